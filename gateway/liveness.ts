// Which gateways are alive. Each gateway refreshes a key with a time to live; the sessions of a
// gateway whose key has expired (killed, host lost) are closed by the worker's sweep, whatever
// id that gateway restarts under (the default id includes the process id, so a restarted
// gateway never finds its predecessor's sessions by itself).
import type { Redis } from 'ioredis';
import type { Logger } from '../src/platform/logger.js';
import type { PresencePort } from './ports.js';
import type { Presence } from './presence.js';

const HEARTBEAT_MS = 5_000;
/** A gateway silent this long is taken for lost. */
export const GATEWAY_ALIVE_TTL_MS = 20_000;
export const GATEWAY_SWEEP_JOB = 'gateway.lost-sessions';

const aliveKey = (prefix: string, gatewayId: string) => `${prefix}:gateway:alive:${gatewayId}`;

/** Keeps this gateway's key alive until stopped; stopping removes it (its sessions are closed by then). */
export async function startHeartbeat(deps: {
  redis: Redis;
  prefix: string;
  gatewayId: string;
  log: Logger;
}): Promise<{ stop(): Promise<void> }> {
  const key = aliveKey(deps.prefix, deps.gatewayId);
  const beat = () => deps.redis.set(key, new Date().toISOString(), 'PX', GATEWAY_ALIVE_TTL_MS);
  await beat();
  const timer = setInterval(
    () => void beat().catch((err: Error) => deps.log.warn({ err: err.message }, 'gateway heartbeat failed')),
    HEARTBEAT_MS,
  );
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await deps.redis.del(key).catch(() => {});
    },
  };
}

/**
 * Closes the open sessions of every gateway that has stopped beating: its terminals go offline
 * (device.offline) unless they are connected elsewhere by now. A key must be seen missing for a
 * whole time to live before its gateway counts as lost: after a Redis restart every key is
 * gone until the next heartbeat, and those gateways are alive.
 */
export function createLostGatewaySweeper(deps: {
  sessions: Pick<PresencePort, 'gatewaysWithOpenSessions'>;
  redis: Redis;
  prefix: string;
  presence: Presence;
  log: Logger;
}) {
  const missingSince = new Map<string, number>();
  return {
    /** One sweep; returns the sessions closed. */
    async sweep(now = Date.now()): Promise<number> {
      const seen = new Set(await deps.sessions.gatewaysWithOpenSessions());
      for (const id of missingSince.keys()) if (!seen.has(id)) missingSince.delete(id);
      let closed = 0;
      for (const gatewayId of seen) {
        if (await deps.redis.exists(aliveKey(deps.prefix, gatewayId))) {
          missingSince.delete(gatewayId);
          continue;
        }
        const since = missingSince.get(gatewayId) ?? now;
        missingSince.set(gatewayId, since);
        if (now - since < GATEWAY_ALIVE_TTL_MS) continue;
        const n = await deps.presence.closeOpenSessions(gatewayId, 'gateway lost');
        missingSince.delete(gatewayId);
        if (n > 0) deps.log.warn({ gatewayId, sessions: n }, 'closed the sessions of a lost gateway');
        closed += n;
      }
      return closed;
    },
  };
}
