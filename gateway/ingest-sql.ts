// SQL of the ingest batch, kept apart so ingest.ts reads as the batching logic alone.
import type { Uplink } from './ingest.js';

export type BatchRow = Uplink & { seq: number; units: number };

// The batch goes as ONE json value expanded by Postgres (json_to_recordset): far less Node CPU
// than pg's per-element array escaping. The device.uplink / device.fault outbox rows are built
// in the same statement from the rows actually inserted (a duplicate gets none), so the event
// payload never crosses the wire twice.
export const INSERT_SQL = `WITH ins AS (
    INSERT INTO "Message" ("deviceId","contractId","topic","kind","qos","payload","bytes","units","decoded","decodeError","deviceTime","receivedAt","seq","dedupKey")
    SELECT d, c, t, k, q, decode(p, 'hex'), b, u, j, e, dt, r, s, x
    FROM json_to_recordset($1::json) AS x(d uuid, c uuid, t text, k text, q int, p text, b int, u int, j jsonb, e text, dt timestamp(3), r timestamp(3), s bigint, x text)
    ON CONFLICT ("dedupKey") DO NOTHING
    RETURNING *
  ), dev AS (
    SELECT * FROM json_to_recordset($2::json) AS v(id uuid, serial text, label text, model text, category text, customer uuid)
  ), body AS (
    SELECT ins.id, ins."deviceId", dev.customer, ins.decoded, jsonb_build_object(
      'serial', dev.serial, 'label', dev.label, 'model', dev.model, 'category', dev.category,
      'seq', ins.seq, 'topic', ins.topic, 'kind', ins.kind, 'qos', ins.qos, 'bytes', ins.bytes, 'units', ins.units,
      'payloadHex', encode(ins.payload, 'hex'), 'decoded', ins.decoded, 'decodeError', ins."decodeError",
      'deviceTime', to_char(ins."deviceTime", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'receivedAt', to_char(ins."receivedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS payload
    FROM ins JOIN dev ON dev.id = ins."deviceId"
  ), ev AS (
    INSERT INTO "OutboxEvent" ("type","customerId","deviceId","payload")
    SELECT type, customer, "deviceId", payload FROM (
      SELECT id, 0 AS n, 'device.uplink' AS type, customer, "deviceId", payload FROM body
      UNION ALL
      SELECT id, 1, 'device.fault', customer, "deviceId",
             payload || jsonb_build_object('faultCode', decoded->'faultCode', 'severity', decoded->'severity', 'detail', decoded->'detail')
      FROM body WHERE decoded->>'type' = 'fault'
    ) e ORDER BY id, n
  )
  SELECT "deviceId", seq FROM ins`;

// Rows locked in id order, so concurrent batches touching the same terminals cannot deadlock.
export const TOUCH_SQL = `WITH v AS (
    SELECT * FROM json_to_recordset($1::json) AS x(id uuid, t timestamp(3))
  ), lk AS (
    SELECT d.id FROM "Device" d JOIN v ON v.id = d.id ORDER BY d.id FOR UPDATE OF d
  )
  UPDATE "Device" d SET
    "lastSeenAt" = GREATEST(COALESCE(d."lastSeenAt", v.t), v.t),
    "status" = CASE WHEN d.status = 'PROVISIONED' THEN 'ACTIVE'::"DeviceStatus" ELSE d.status END,
    "activatedAt" = COALESCE(d."activatedAt", v.t),
    "updatedAt" = now()
  FROM v, lk WHERE d.id = v.id AND lk.id = v.id`;

export function batchJson(rows: BatchRow[]): { messages: string; devices: string } {
  const devices = new Map<string, object>();
  for (const p of rows) {
    const c = p.cred;
    if (!devices.has(c.deviceId)) devices.set(c.deviceId, { id: c.deviceId, serial: c.serial, label: c.label, model: c.modelCode, category: c.category, customer: c.customerId });
  }
  const messages = JSON.stringify(
    rows.map((p) => ({
      d: p.cred.deviceId,
      c: p.cred.contractId,
      t: p.topic,
      k: p.kind,
      q: p.qos,
      p: p.payload.toString('hex'),
      b: p.payload.length,
      u: p.units,
      j: p.decoded,
      e: p.decodeError,
      dt: p.deviceTime?.toISOString() ?? null,
      r: p.receivedAt.toISOString(),
      s: p.seq,
      x: p.dedupKey,
    })),
  );
  return { messages, devices: JSON.stringify([...devices.values()]) };
}
