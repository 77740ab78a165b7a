// Downlink dispatch: sends a terminal's queued commands on nx/{serial}/down when it is
// subscribed here, matches PUBACKs to commands (delivered), and expires overdue commands.
// The API announces new commands on Redis so whichever gateway holds the connection sends.
import type { Logger } from '../src/platform/logger.js';
import { downlinkTopic } from './acl.js';
import type { MqttConnection } from './mqtt-server.js';
import type { CommandPort } from './ports.js';
import type { GatewaySession } from './session.js';

export function createDownlinks(deps: { commands: CommandPort; log: Logger }) {
  const { commands, log } = deps;

  async function send(conn: MqttConnection, s: GatewaySession, cmd: { id: number; payload: Uint8Array; status: string }): Promise<void> {
    if (s.sentCommands.has(cmd.id) || conn.closed) return;
    s.sentCommands.add(cmd.id);
    const messageId = conn.publish(downlinkTopic(s.cred.serial), Buffer.from(cmd.payload), 1, cmd.status === 'SENT');
    s.outgoing.set(messageId, cmd.id);
    await commands.markSent(cmd.id);
  }

  return {
    /** Everything pending for the terminal, oldest first (after connect or subscribe). */
    async flush(conn: MqttConnection, s: GatewaySession): Promise<void> {
      if (!s.subscribed) return;
      try {
        for (const cmd of await commands.pendingFor(s.cred.deviceId)) await send(conn, s, cmd);
      } catch (err) {
        log.warn({ err: (err as Error).message, serial: s.cred.serial }, 'downlink flush failed');
      }
    },

    async sendOne(conn: MqttConnection, s: GatewaySession, commandId: number): Promise<void> {
      if (!s.subscribed) return;
      const cmd = await commands.pendingById(commandId);
      if (cmd && cmd.deviceId === s.cred.deviceId) await send(conn, s, { ...cmd, status: 'QUEUED' });
    },

    puback(s: GatewaySession, messageId: number): void {
      const id = s.outgoing.get(messageId);
      if (id === undefined) return;
      s.outgoing.delete(messageId);
      commands.markDelivered(id).catch((err: Error) => log.warn({ err: err.message, commandId: id }, 'marking delivered failed'));
    },

    startExpiry(everyMs = 1000): () => void {
      let running = false;
      const t = setInterval(() => {
        if (running) return;
        running = true;
        commands
          .expireDue()
          .catch((err: Error) => log.warn({ err: err.message }, 'command expiry failed'))
          .finally(() => (running = false));
      }, everyMs);
      return () => clearInterval(t);
    },
  };
}
