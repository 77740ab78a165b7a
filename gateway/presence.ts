// Online/offline per terminal: a DeviceSession row per connection and the Device's online
// flag with connect/disconnect times, plus device.online / device.offline events.
import type { Services } from '../src/services.js';
import type { TerminalCredential } from '../devices/index.js';

export function createPresence(services: Services, gatewayId: string) {
  const { db, events, log } = services;

  return {
    /** Sessions this gateway id left open (a crash) are closed at start-up. */
    async closeStale(): Promise<void> {
      const stale = await db.deviceSession.findMany({ where: { gatewayId, disconnectedAt: null }, select: { id: true, deviceId: true } });
      for (const s of stale) await this.disconnected(s.id, s.deviceId, 'gateway restarted', null);
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
        await tx.deviceSession.update({ where: { id: sessionId }, data: { disconnectedAt: at, reason } });
        const open = await tx.deviceSession.count({ where: { deviceId, disconnectedAt: null } });
        if (open > 0) return;
        const d = await tx.device.update({ where: { id: deviceId }, data: { online: false, lastDisconnectAt: at }, select: { serial: true, customerId: true, label: true } });
        await events.emit(tx, [{ type: 'device.offline', customerId: d.customerId, deviceId, payload: { serial: d.serial, label: d.label, model: cred?.modelCode ?? null, at: at.toISOString(), reason } }]);
      }).catch((err: Error) => log.warn({ err: err.message, deviceId }, 'presence update failed'));
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
