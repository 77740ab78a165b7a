// Online/offline per terminal as this gateway (or a worker sweeping a lost gateway) sees it:
// the devices module writes the session rows, the online flag and their events.

import type { TerminalCredential } from '../devices/index.js';
import type { Logger } from '../src/platform/logger.js';
import type { PresencePort } from './ports.js';

export function createPresence(deps: { store: PresencePort; log: Logger }, gatewayId: string) {
  const { store, log } = deps;

  return {
    /** Sessions this gateway id left open (a crash) are closed at start-up. */
    async closeStale(): Promise<void> {
      await this.closeOpenSessions(gatewayId, 'gateway restarted');
    },

    /** Closes every open session of a gateway (this one restarting, or one lost); returns how many. */
    async closeOpenSessions(ofGateway: string, reason: string): Promise<number> {
      const open = await store.openSessions(ofGateway);
      for (const s of open) await this.disconnected(s.id, s.deviceId, reason, null);
      return open.length;
    },

    connected(cred: TerminalCredential, remoteAddress: string, protocolLevel: number): Promise<bigint> {
      return store.connected(cred, { gatewayId, remoteAddress, protocolLevel });
    },

    /** Marks the terminal offline unless another session of it is open (a takeover). */
    async disconnected(sessionId: bigint, deviceId: string, reason: string, cred: TerminalCredential | null): Promise<void> {
      await store
        .disconnected(sessionId, deviceId, reason, cred?.modelCode ?? null)
        .catch((err: Error) => log.warn({ err: err.message, deviceId }, 'presence update failed'));
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
