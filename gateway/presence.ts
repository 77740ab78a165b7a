// Online/offline per terminal: a DeviceSession row per connection and the Device's online
// flag with connect/disconnect times, plus device.online / device.offline events.
import type { Services } from '../src/app/container.js';
import type { TerminalCredential } from '../devices/index.js';

export function createPresence(services: Services, gatewayId: string) {
  const { db, events, log } = services;

  return {
    /** Sessions this gateway id left open (a crash) are closed at start-up. */
    async closeStale(): Promise<void> {
      await this.closeOpenSessions(gatewayId, 'gateway restarted');
    },

    /** Closes every open session of a gateway (this one restarting, or one lost); returns how many. */
    async closeOpenSessions(ofGateway: string, reason: string): Promise<number> {
      const open = await db.deviceSession.findMany({ where: { gatewayId: ofGateway, disconnectedAt: null }, select: { id: true, deviceId: true } });
      for (const s of open) await this.disconnected(s.id, s.deviceId, reason, null);
      return open.length;
    },

    async connected(cred: TerminalCredential, remoteAddress: string, protocolLevel: number): Promise<bigint> {
      const at = new Date();
      return db.$transaction(async (tx) => {
        await tx.device.update({ where: { id: cred.deviceId }, data: { online: true, lastConnectAt: at } });
        const session = await tx.deviceSession.create({ data: { deviceId: cred.deviceId, gatewayId, remoteAddress, protocolLevel, connectedAt: at } });
        await events.emit(tx, [{ type: 'device.online', customerId: cred.customerId, deviceId: cred.deviceId, payload: { serial: cred.serial, label: cred.label, model: cred.modelCode, at: at.toISOString(), remoteAddress, protocolLevel } }]);
        return session.id;
      });
    },

    /** Marks the terminal offline unless another session of it is open (a takeover). */
    async disconnected(sessionId: bigint, deviceId: string, reason: string, cred: TerminalCredential | null): Promise<void> {
      const at = new Date();
      await db.$transaction(async (tx) => {
        // Lock the device first: a takeover's connect on another gateway must not interleave
        // between our count and our update, or the terminal would show offline while connected.
        await tx.$executeRaw`SELECT 1 FROM "Device" WHERE id = ${deviceId}::uuid FOR UPDATE`;
        // Already closed (a lost gateway's sweep racing its own restart): nothing more to say.
        const closed = await tx.deviceSession.updateMany({ where: { id: sessionId, disconnectedAt: null }, data: { disconnectedAt: at, reason } });
        if (closed.count === 0) return;
        const open = await tx.deviceSession.count({ where: { deviceId, disconnectedAt: null } });
        if (open > 0) return;
        const d = await tx.device.update({ where: { id: deviceId }, data: { online: false, lastDisconnectAt: at }, select: { serial: true, customerId: true, label: true } });
        await events.emit(tx, [{ type: 'device.offline', customerId: d.customerId, deviceId, payload: { serial: d.serial, label: d.label, model: cred?.modelCode ?? null, at: at.toISOString(), reason } }]);
      }).catch((err: Error) => log.warn({ err: err.message, deviceId }, 'presence update failed'));
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
