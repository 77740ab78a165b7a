import type { TerminalCredential } from '../devices/index.js';

/** What the gateway keeps per authenticated connection. */
export interface GatewaySession {
  cred: TerminalCredential;
  /** The secret hash the terminal proved at connect; a rotation drops the session. */
  secretHash: string | null;
  sessionRowId: Promise<bigint | null>;
  /** clean session = false: the downlink subscription outlives the connection. */
  persistent: boolean;
  subscribed: boolean;
  /** QoS 1 uplink packet ids received and not yet committed. */
  inflight: Set<number>;
  /** Downlink packet id -> command id, waiting for the terminal's PUBACK. */
  outgoing: Map<number, number>;
  sentCommands: Set<number>;
}
