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
  /** The MQTT packet id of a QoS 1 uplink, for recognising its retransmission. */
  packetId: number | null;
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
    rows.map((p, o) => ({
      o,
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
      x: p.packetId,
    })),
  );
  return { messages, devices: JSON.stringify([...devices.values()]) };
}

/**
 * The stored rows as a relation for billing's usage upsert ("deviceId", "contractId",
 * "receivedAt", bytes, units), read from the batch itself: every row of it is inserted.
 */
export const STORED_MESSAGES = `(SELECT d AS "deviceId", c AS "contractId", r::timestamp(3) AS "receivedAt", b AS bytes, u AS units FROM src) AS stored`;

/**
 * CTEs `src` (the batch, from packMessages' json), `ins` (the INSERT into Message), `dev` and
 * `body` (the event payload of each row). `messages` and `devices` are SQL expressions of type
 * json holding packMessages' output (a parameter or a literal). The event payloads are built
 * from the batch, not from RETURNING rows: the times are already ISO text and the payload
 * already hex, so Postgres neither formats nor encodes anything twice, and nothing comes back
 * to the gateway. Retransmissions are filtered out before (SAME_MESSAGE_SQL), so every row of
 * the batch is stored; a (deviceId, seq) clash fails the statement and the caller retries.
 */
export function insertMessagesCtes(messages: string, devices: string): string {
  return `src AS (
    SELECT * FROM json_to_recordset(${messages})
      AS x(d uuid, c uuid, t text, k text, q int, p text, b int, u int, j jsonb, e text, dt text, r text, s bigint, x int, o int)
  ), ins AS (
    INSERT INTO "Message" ("deviceId","contractId","topic","kind","qos","payload","bytes","units",
                           "decoded","decodeError","deviceTime","receivedAt","seq","packetId")
    SELECT d, c, t, k, q, decode(p, 'hex'), b, u, j, e, dt::timestamp(3), r::timestamp(3), s, x FROM src ORDER BY o
  ), dev AS (
    SELECT * FROM json_to_recordset(${devices}) AS v(id uuid, serial text, label text, model text, category text, customer uuid)
  ), body AS (
    SELECT src.o, src.d AS "deviceId", dev.customer, src.j AS decoded, jsonb_build_object(
      'serial', dev.serial, 'label', dev.label, 'model', dev.model, 'category', dev.category,
      'seq', src.s, 'topic', src.t, 'kind', src.k, 'qos', src.q, 'bytes', src.b, 'units', src.u,
      'payloadHex', src.p, 'decoded', src.j, 'decodeError', src.e, 'deviceTime', src.dt, 'receivedAt', src.r) AS payload
    FROM src JOIN dev ON dev.id = src.d
  )`;
}

/**
 * The events of the stored messages, over `body`: device.uplink for each, device.fault besides
 * for a decoded fault frame; ordered by UPLINK_EVENTS_ORDER (batch order, uplink before fault).
 */
export const UPLINK_EVENTS = `SELECT o, 0 AS n, 'device.uplink' AS type, customer AS "customerId", "deviceId", payload FROM body
      UNION ALL
      SELECT o, 1, 'device.fault', customer, "deviceId",
             payload || jsonb_build_object('faultCode', decoded->'faultCode', 'severity', decoded->'severity', 'detail', decoded->'detail')
      FROM body WHERE decoded->>'type' = 'fault'`;
export const UPLINK_EVENTS_ORDER = 'o, n';

/**
 * Makes sure the partitions of this month and the next exist (a no-op when they do): the
 * gateway runs it at start, so ingest does not stop at a month's turn if the worker's
 * `devices.message-store` job has not run for months.
 */
export const ENSURE_CURRENT_PARTITIONS_SQL = `SELECT nx_message_partition((now() AT TIME ZONE 'UTC')::date),
  nx_message_partition(((now() AT TIME ZONE 'UTC') + interval '1 month')::date)`;

/** Each terminal's highest stored seq ($1: device ids), so a gateway continues where another left off. */
export const LAST_SEQS_SQL =
  'SELECT d.id, (SELECT max(m.seq) FROM "Message" m WHERE m."deviceId" = d.id) AS max FROM unnest($1::uuid[]) AS d(id)';

/** How far back a retransmission's original is looked for: its age and the terminal's newest rows. */
export const RETRANSMISSION_WINDOW = { days: 7, rows: 1000 };

/**
 * The terminal's ($1) newest stored row with this packet id ($2) and whether it has this topic
 * ($3) and payload ($4): a true retransmission. $5: the time now (UTC ISO text). Looked for among the terminal's newest rows
 * through ("deviceId", "receivedAt"), so it needs no index of its own and holds across
 * partitions; MQTT brokers acknowledge in order, so an unacknowledged original is always among
 * the last few rows of its terminal.
 */
export const SAME_MESSAGE_SQL = `SELECT seq, (topic = $3 AND payload = $4) AS same FROM (
    SELECT seq, topic, payload, "packetId", "receivedAt" FROM "Message"
    WHERE "deviceId" = $1 AND "receivedAt" >= $5::timestamp - interval '${RETRANSMISSION_WINDOW.days} days'
    ORDER BY "receivedAt" DESC LIMIT ${RETRANSMISSION_WINDOW.rows}
  ) m WHERE "packetId" = $2 ORDER BY "receivedAt" DESC, seq DESC LIMIT 1`;

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
