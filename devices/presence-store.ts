// Presence rows of the devices module: a DeviceSession per connection and the Device's online
// flag with connect/disconnect times, with device.online / device.offline in the same
// transaction. The gateway (and the worker's lost-gateway sweep) write them only through here.

import type { EventService } from '../src/events/index.js';
import type { Db } from '../src/platform/database.js';
import type { TerminalCredential } from './credentials.js';

export function createPresenceStore({ db, events }: { db: Db; events: Pick<EventService, 'emit'> }) {
  return {
    /** Opens a session row and marks the terminal online; returns the session id. */
    async connected(cred: TerminalCredential, at: { gatewayId: string; remoteAddress: string; protocolLevel: number }): Promise<bigint> {
      const now = new Date();
      const { gatewayId, remoteAddress, protocolLevel } = at;
      return db.$transaction(async (tx) => {
        await tx.device.update({ where: { id: cred.deviceId }, data: { online: true, lastConnectAt: now } });
        const session = await tx.deviceSession.create({
          data: { deviceId: cred.deviceId, gatewayId, remoteAddress, protocolLevel, connectedAt: now },
        });
        await events.emit(tx, [
          {
            type: 'device.online',
            customerId: cred.customerId,
            deviceId: cred.deviceId,
            payload: { serial: cred.serial, label: cred.label, model: cred.modelCode, at: now.toISOString(), remoteAddress, protocolLevel },
          },
        ]);
        return session.id;
      });
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
