import type { Redis } from 'ioredis';

// Leases in a sorted set scored by expiry: a worker that dies mid-request frees its slot when
// the lease expires, so the limit holds across processes without leaking slots.
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

// Several slots at once for a process's endpoint lane (endpoint-lanes.ts): grants what is free, up to ARGV[4].
const ACQUIRE_MANY = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = tonumber(ARGV[3]) - redis.call('ZCARD', KEYS[1])
if n > tonumber(ARGV[4]) then n = tonumber(ARGV[4]) end
local out = {}
for i = 1, n do
  local m = ARGV[5] .. ':' .. (tonumber(ARGV[6]) + i)
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), m)
  out[i] = m
end
if n > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return out`;

// Extends the leases still held; returns those that had expired (another process may own them now).
const RENEW = `
local lost = {}
for i = 3, #ARGV do
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[i]) == 0 and not redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    lost[#lost + 1] = ARGV[i]
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return lost`;

/** A slot freed elsewhere is noticed within this time; a local release wakes a waiter at once. */
const RETRY_MS = 25;
const MAX_RETRY_MS = 400;

/** Per-endpoint limit on requests in flight, shared by every worker process through Redis. */
export function createEndpointSemaphore(redis: Redis, prefix: string, leaseMs: number) {
  const key = (endpointId: string) => `${prefix}:webhook-inflight:${endpointId}`;
  const waiters = new Map<string, (() => void)[]>();

  const tryAcquire = async (endpointId: string, max: number, token: string) =>
    (await redis.eval(ACQUIRE, 1, key(endpointId), Date.now(), leaseMs, max, token)) === 1;

  return {
    /** Waits up to `waitMs` for a slot; false means the caller should come back later. */
    async acquire(endpointId: string, max: number, token: string, waitMs: number): Promise<boolean> {
      const until = Date.now() + waitMs;
      // Local releases wake a waiter at once; the timer only catches slots freed by other
      // processes, so it backs off to keep many waiters from hammering Redis.
      let pause = RETRY_MS;
      for (;;) {
        if (await tryAcquire(endpointId, max, token)) return true;
        const left = until - Date.now();
        // Enough jobs of this endpoint already wait here: step aside rather than let one busy
        // endpoint fill every worker slot and hold up the others.
        if (left <= 0 || (waiters.get(endpointId)?.length ?? 0) >= max) return false;
        await new Promise<void>((resolve) => {
          const list = waiters.get(endpointId) ?? [];
          waiters.set(endpointId, list);
          const wake = () => {
            clearTimeout(timer);
            const i = list.indexOf(wake);
            if (i >= 0) list.splice(i, 1);
            if (list.length === 0 && waiters.get(endpointId) === list) waiters.delete(endpointId);
            resolve();
          };
          const timer = setTimeout(wake, Math.min(left, pause));
          pause = Math.min(pause * 2, MAX_RETRY_MS);
          list.push(wake);
        });
      }
    },
    /** Up to `want` slots at once, each a lease of its own; returns the slot ids granted (maybe none). */
    async acquireMany(endpointId: string, max: number, token: string, first: number, want: number): Promise<string[]> {
      return (await redis.eval(ACQUIRE_MANY, 1, key(endpointId), Date.now(), leaseMs, max, want, token, first)) as string[];
    },
    /** Extends held slots' leases; returns the ids that had already expired. */
    async renew(endpointId: string, slots: string[]): Promise<string[]> {
      if (slots.length === 0) return [];
      return (await redis.eval(RENEW, 1, key(endpointId), Date.now(), leaseMs, ...slots)) as string[];
    },
    async releaseMany(endpointId: string, slots: string[]): Promise<void> {
      if (slots.length === 0) return;
      await redis.zrem(key(endpointId), ...slots);
      const waiting = waiters.get(endpointId);
      for (let i = 0; i < slots.length && waiting?.[0]; i++) waiting[0]();
    },
    async release(endpointId: string, token: string): Promise<void> {
      await redis.zrem(key(endpointId), token);
      waiters.get(endpointId)?.[0]?.();
    },
  };
}

export type EndpointSemaphore = ReturnType<typeof createEndpointSemaphore>;
