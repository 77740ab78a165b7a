// The ingest's writes of the devices module's rows: messages (with the content of their
// device.uplink / device.fault events) and device last-seen. The gateway composes these
// fragments with the outbox's and billing's into one transaction and one round trip per batch.
import type { TerminalCredential } from './credentials.js';

/** One uplink to store, as the gateway hands it over. */
export interface MessageInput {
  cred: Pick<TerminalCredential, 'deviceId' | 'contractId' | 'serial' | 'label' | 'modelCode' | 'category' | 'customerId'>;
  topic: string;
  kind: string;
  qos: number;
  payload: Buffer;
  units: number;
  decoded: Record<string, unknown> | null;
  decodeError: string | null;
  deviceTime: Date | null;
  receivedAt: Date;
  /** Per terminal, assigned by the gateway holding its connection. */
  seq: number;
  dedupKey: string | null;
}

/**
 * The batch as ONE json value expanded by Postgres (json_to_recordset): far less Node CPU than
 * pg's per-element array escaping. `devices` carries each terminal once, for the event payloads.
 */
export function packMessages(rows: MessageInput[]): { messages: string; devices: string } {
  const devices = new Map<string, object>();
  for (const p of rows) {
    const c = p.cred;
    if (devices.has(c.deviceId)) continue;
    devices.set(c.deviceId, {
      id: c.deviceId,
      serial: c.serial,
      label: c.label,
      model: c.modelCode,
      category: c.category,
      customer: c.customerId,
    });
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

/** Name of the CTE holding the inserted Message rows (RETURNING *): usage and the caller read it. */
export const INSERTED_MESSAGES = 'ins';

/**
 * CTEs `ins` (the Message rows inserted; a row whose dedupKey is taken is skipped, ON CONFLICT DO
 * NOTHING, and the caller retries it on the careful path) and `dev`, `body` (the event payload of
 * each inserted row). `messages` and `devices` are SQL expressions of type json holding
 * packMessages' output (a parameter or a literal). The event payload is built from the rows
 * actually inserted (a duplicate gets none), so it never crosses the wire twice.
 */
export function insertMessagesCtes(messages: string, devices: string): string {
  return `${INSERTED_MESSAGES} AS (
    INSERT INTO "Message" ("deviceId","contractId","topic","kind","qos","payload","bytes","units",
                           "decoded","decodeError","deviceTime","receivedAt","seq","dedupKey")
    SELECT d, c, t, k, q, decode(p, 'hex'), b, u, j, e, dt, r, s, x
    FROM json_to_recordset(${messages})
      AS x(d uuid, c uuid, t text, k text, q int, p text, b int, u int, j jsonb, e text, dt timestamp(3), r timestamp(3), s bigint, x text)
    ON CONFLICT ("dedupKey") DO NOTHING
    RETURNING *
  ), dev AS (
    SELECT * FROM json_to_recordset(${devices}) AS v(id uuid, serial text, label text, model text, category text, customer uuid)
  ), body AS (
    SELECT ins.id, ins."deviceId", dev.customer, ins.decoded, jsonb_build_object(
      'serial', dev.serial, 'label', dev.label, 'model', dev.model, 'category', dev.category,
      'seq', ins.seq, 'topic', ins.topic, 'kind', ins.kind, 'qos', ins.qos, 'bytes', ins.bytes, 'units', ins.units,
      'payloadHex', encode(ins.payload, 'hex'), 'decoded', ins.decoded, 'decodeError', ins."decodeError",
      'deviceTime', to_char(ins."deviceTime", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'receivedAt', to_char(ins."receivedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS payload
    FROM ins JOIN dev ON dev.id = ins."deviceId"
  )`;
}

/**
 * The events of the inserted messages, over `body`: device.uplink for each, device.fault besides
 * for a decoded fault frame; ordered by UPLINK_EVENTS_ORDER (message id, uplink before fault).
 */
export const UPLINK_EVENTS = `SELECT id, 0 AS n, 'device.uplink' AS type, customer AS "customerId", "deviceId", payload FROM body
      UNION ALL
      SELECT id, 1, 'device.fault', customer, "deviceId",
             payload || jsonb_build_object('faultCode', decoded->'faultCode', 'severity', decoded->'severity', 'detail', decoded->'detail')
      FROM body WHERE decoded->>'type' = 'fault'`;
export const UPLINK_EVENTS_ORDER = 'id, n';

/** The result columns naming what was inserted; the caller matches them to its uplinks. */
export const INSERTED_KEYS = `"deviceId", seq`;

/** Each terminal's highest stored seq ($1: device ids), so a gateway continues where another left off. */
export const LAST_SEQS_SQL =
  'SELECT d.id, (SELECT max(m.seq) FROM "Message" m WHERE m."deviceId" = d.id) AS max FROM unnest($1::uuid[]) AS d(id)';

/** Whether the row holding a dedup key ($1) has this topic ($2) and payload ($3): a true retransmission. */
export const SAME_MESSAGE_SQL = 'SELECT (topic = $2 AND payload = $3) AS same, seq FROM "Message" WHERE "dedupKey" = $1';

/** A terminal reused a packet id: the stored row gives its dedup key ($1) up to the new one. */
export const RELEASE_DEDUP_KEY_SQL = 'UPDATE "Message" SET "dedupKey" = NULL WHERE "dedupKey" = $1';

/** Last-seen per device as json [{id, t}] in id order (the lock order of touchDevicesSql). */
export function packLastSeen(last: Map<string, Date>): string | null {
  if (last.size === 0) return null;
  return JSON.stringify([...last.keys()].sort().map((id) => ({ id, t: last.get(id)!.toISOString() })));
}

/**
 * Moves last-seen forward (never back) and activates a PROVISIONED terminal on its first
 * uplink. `lastSeen` is a json SQL expression holding packLastSeen's output. Rows are locked in
 * id order, so concurrent batches touching the same terminals cannot deadlock.
 */
export function touchDevicesSql(lastSeen: string): string {
  return `WITH v AS (
    SELECT * FROM json_to_recordset(${lastSeen}) AS x(id uuid, t timestamp(3))
  ), lk AS (
    SELECT d.id FROM "Device" d JOIN v ON v.id = d.id ORDER BY d.id FOR UPDATE OF d
  )
  UPDATE "Device" d SET
    "lastSeenAt" = GREATEST(COALESCE(d."lastSeenAt", v.t), v.t),
    "status" = CASE WHEN d.status = 'PROVISIONED' THEN 'ACTIVE'::"DeviceStatus" ELSE d.status END,
    "activatedAt" = COALESCE(d."activatedAt", v.t),
    "updatedAt" = now()
  FROM v, lk WHERE d.id = v.id AND lk.id = v.id`;
}
