// Presence rows of the devices module: a DeviceSession per connection and the Device's online
// flag with connect/disconnect times, with device.online / device.offline in the same
// transaction. The gateway (and the worker's lost-gateway sweep) write them only through here.

import { type EventService, OUTBOX_NOTIFY, outboxInsertCte } from '../src/events/index.js';
import { createBatcher } from '../src/platform/batcher.js';
import type { Db } from '../src/platform/database.js';
import type { TerminalCredential } from './credentials.js';

interface Connect {
  cred: Pick<TerminalCredential, 'deviceId' | 'customerId' | 'serial' | 'label' | 'modelCode'>;
  gatewayId: string;
  remoteAddress: string;
  protocolLevel: number;
  at: Date;
}

/**
 * The connects of a batch in ONE statement (one round trip, one commit): session rows with ids
 * drawn up front so each caller gets its own, the terminals' online flag (rows locked in id
 * order, as ingest and disconnects lock them), and a device.online event each. A gateway
 * restart brings its whole fleet back at once; one transaction per connect made that a queue.
 */
const CONNECTS_SQL = `WITH v AS MATERIALIZED (
    SELECT x.*, nextval(pg_get_serial_sequence('"DeviceSession"', 'id')) AS sid
    FROM json_to_recordset($1::json) AS x(i int, d uuid, c uuid, g text, a text, p int, t timestamp(3), s text, l text, m text)
  ), lk AS (
    SELECT dv.id FROM "Device" dv WHERE dv.id IN (SELECT d FROM v) ORDER BY dv.id FOR UPDATE OF dv
  ), upd AS (
    UPDATE "Device" dv SET online = true, "lastConnectAt" = m.t, "updatedAt" = now()
    FROM (SELECT d, max(t) AS t FROM v GROUP BY d) m WHERE dv.id = m.d AND dv.id IN (SELECT id FROM lk)
  ), ses AS (
    INSERT INTO "DeviceSession" (id, "deviceId", "gatewayId", "remoteAddress", "protocolLevel", "connectedAt")
    SELECT sid, d, g, a, p, t FROM v
  ), ${outboxInsertCte(
    'ev',
    `SELECT i, 'device.online' AS type, c AS "customerId", d AS "deviceId",
            jsonb_build_object('serial', s, 'label', l, 'model', m, 'at', to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                               'remoteAddress', a, 'protocolLevel', p) AS payload
     FROM v`,
    'i',
  )}
  SELECT v.i, v.sid::text AS sid FROM v CROSS JOIN (SELECT ${OUTBOX_NOTIFY}) n ORDER BY v.i`;

export function createPresenceStore({ db, events }: { db: Db; events: Pick<EventService, 'emit'> }) {
  const connectMany = createBatcher(
    async (batch: Connect[]): Promise<bigint[]> => {
      const rows = batch.map((c, i) => ({
        i,
        d: c.cred.deviceId,
        c: c.cred.customerId,
        g: c.gatewayId,
        a: c.remoteAddress,
        p: c.protocolLevel,
        t: c.at.toISOString(),
        s: c.cred.serial,
        l: c.cred.label,
        m: c.cred.modelCode,
      }));
      const out = await db.$queryRawUnsafe<{ i: number; sid: string }[]>(CONNECTS_SQL, JSON.stringify(rows));
      return out.map((r) => BigInt(r.sid));
    },
    { maxBatch: 500, maxInFlight: 2 },
  );

  return {
    /**
     * Opens a session row and marks the terminal online, with its device.online event; returns
     * the session id. Connects arriving together share one statement (group commit).
     */
    connected(cred: Connect['cred'], at: { gatewayId: string; remoteAddress: string; protocolLevel: number }): Promise<bigint> {
      return connectMany({ cred, ...at, at: new Date() });
    },

    /** Closes a session; marks the terminal offline unless another session of it is open (a takeover). */
    async disconnected(sessionId: bigint, deviceId: string, reason: string, modelCode: string | null): Promise<void> {
      const at = new Date();
      await db.$transaction(async (tx) => {
        // Lock the device first: a takeover's connect on another gateway must not interleave
        // between our count and our update, or the terminal would show offline while connected.
        await tx.$executeRaw`SELECT 1 FROM "Device" WHERE id = ${deviceId}::uuid FOR UPDATE`;
        // Already closed (a lost gateway's sweep racing its own restart): nothing more to say.
        const closed = await tx.deviceSession.updateMany({
          where: { id: sessionId, disconnectedAt: null },
          data: { disconnectedAt: at, reason },
        });
        if (closed.count === 0) return;
        const open = await tx.deviceSession.count({ where: { deviceId, disconnectedAt: null } });
        if (open > 0) return;
        const d = await tx.device.update({
          where: { id: deviceId },
          data: { online: false, lastDisconnectAt: at },
          select: { serial: true, customerId: true, label: true },
        });
        await events.emit(tx, [
          {
            type: 'device.offline',
            customerId: d.customerId,
            deviceId,
            payload: { serial: d.serial, label: d.label, model: modelCode, at: at.toISOString(), reason },
          },
        ]);
      });
    },

    /** The sessions a gateway left open. */
    async openSessions(gatewayId: string): Promise<{ id: bigint; deviceId: string }[]> {
      return db.deviceSession.findMany({ where: { gatewayId, disconnectedAt: null }, select: { id: true, deviceId: true } });
    },

    /** Every gateway id with an open session. */
    async gatewaysWithOpenSessions(): Promise<string[]> {
      const rows = await db.$queryRaw<{ gatewayId: string }[]>`
        SELECT DISTINCT "gatewayId" FROM "DeviceSession" WHERE "disconnectedAt" IS NULL`;
      return rows.map((r) => r.gatewayId);
    },
  };
}

export type PresenceStore = ReturnType<typeof createPresenceStore>;
