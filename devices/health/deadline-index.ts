// The silence deadline index in Redis. Each tracked terminal is a member of one sorted set,
// scored by the time (ms) after which it counts as silent. Each uplink pushes its deadline
// forward; the watchdog takes only members whose score has passed, so its cost follows the
// number of terminals going silent, not the fleet size. Every multi-key step is one Lua script,
// so several worker processes never fire the same silence or recovery twice.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Uplink: move the deadline forward (never back) and take the silent mark if there was one. */
const OBSERVE = `
redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
local since = redis.call('HGET', KEYS[2], ARGV[2])
if since then
  redis.call('HDEL', KEYS[2], ARGV[2])
  redis.call('ZREM', KEYS[3], ARGV[2])
end
return since`;

/** Watchdog: claim up to N expired members; each becomes silent (mark + storm window) atomically. */
const CLAIM = `
local m = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
for i = 1, #m, 2 do
  redis.call('ZREM', KEYS[1], m[i])
  redis.call('HSET', KEYS[2], m[i], ARGV[3])
  redis.call('ZADD', KEYS[3], ARGV[3], m[i])
end
return m`;

/** Undo a claim whose handling failed: the member is due again at once and is no longer silent. */
const RELEASE = `
for i = 1, #ARGV - 1 do
  redis.call('ZADD', KEYS[1], 'NX', ARGV[#ARGV], ARGV[i])
  redis.call('HDEL', KEYS[2], ARGV[i])
  redis.call('ZREM', KEYS[3], ARGV[i])
end
return 1`;

const sha = (s: string) => createHash('sha1').update(s).digest('hex');

export interface Claimed {
  serial: string;
  /** The deadline that passed (ms since epoch). */
  deadline: number;
}

export function createDeadlineIndex({ redis, prefix }: { redis: Redis; prefix: string }) {
  const keys = {
    deadlines: `${prefix}:health:deadlines`,
    silent: `${prefix}:health:silent`,
    recent: `${prefix}:health:recent`,
    alive: `${prefix}:health:watchdog-alive`,
  };
  const three = [keys.deadlines, keys.silent, keys.recent];

  /** EVALSHA with a fallback to EVAL the first time a Redis has not seen the script. */
  async function run(script: string, args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(sha(script), three.length, ...three, ...args);
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      return redis.eval(script, three.length, ...three, ...args);
    }
  }

  return {
    keys,

    /** Returns when the terminal had been marked silent (ms), or null when it was not silent. */
    async observe(serial: string, deadlineMs: number): Promise<number | null> {
      const since = (await run(OBSERVE, [Math.round(deadlineMs), serial])) as string | null;
      return since === null ? null : Number(since);
    },

    /** Sets a tracked terminal's deadline, earlier too (its interval became shorter). */
    async reset(serial: string, deadlineMs: number): Promise<void> {
      await redis.zadd(keys.deadlines, 'XX', Math.round(deadlineMs), serial);
    },

    async claimExpired(maxScore: number, limit: number, now: number): Promise<Claimed[]> {
      const flat = (await run(CLAIM, [Math.floor(maxScore), limit, now])) as string[];
      const out: Claimed[] = [];
      for (let i = 0; i < flat.length; i += 2) out.push({ serial: flat[i]!, deadline: Number(flat[i + 1]) });
      return out;
    },

    async release(serials: string[], now: number): Promise<void> {
      if (serials.length) await run(RELEASE, [...serials, now]);
    },

    async isSilent(serial: string): Promise<boolean> {
      return (await redis.hexists(keys.silent, serial)) === 1;
    },

    /**
     * Storm figures: terminals silent in the window (claimed) plus those already past their
     * deadline but not yet claimed (in the grace period), against the fleet being tracked.
     */
    async stormCounts(now: number, windowMs: number): Promise<{ silent: number; fleet: number }> {
      const res = await redis
        .multi()
        .zremrangebyscore(keys.recent, '-inf', `(${now - windowMs}`)
        .zcard(keys.recent)
        .zcount(keys.deadlines, '-inf', now)
        .zcard(keys.deadlines)
        .exec();
      const n = (i: number) => Number(res?.[i]?.[1] ?? 0);
      return { silent: n(1) + n(2), fleet: n(1) + n(3) };
    },

    /** Serials that went silent within the window (for folding early tickets into an incident). */
    async recentSilent(now: number, windowMs: number): Promise<string[]> {
      return redis.zrangebyscore(keys.recent, now - windowMs, '+inf');
    },

    /** Past deadlines, oldest first, for the warm-up after a pause. */
    async pastDue(now: number, limit: number): Promise<Claimed[]> {
      const flat = await redis.zrangebyscore(keys.deadlines, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit);
      const out: Claimed[] = [];
      for (let i = 0; i < flat.length; i += 2) out.push({ serial: flat[i]!, deadline: Number(flat[i + 1]) });
      return out;
    },

    /** Moves deadlines later only (XX: members still tracked; GT: never earlier than an uplink set). */
    async postpone(items: { serial: string; deadline: number }[]): Promise<void> {
      if (!items.length) return;
      const m = redis.multi();
      for (const i of items) m.zadd(keys.deadlines, 'XX', 'GT', Math.round(i.deadline), i.serial);
      await m.exec();
    },

    /** Cold start: adds deadlines only for terminals the index does not hold (NX). */
    async seed(items: { serial: string; deadline: number }[]): Promise<void> {
      if (!items.length) return;
      const m = redis.multi();
      for (const i of items) m.zadd(keys.deadlines, 'NX', Math.round(i.deadline), i.serial);
      await m.exec();
    },

    /** Cold start: restores silent marks (kept if present) so the next uplink still recovers them. */
    async markSilent(serials: string[], now: number): Promise<void> {
      if (!serials.length) return;
      const m = redis.multi();
      for (const s of serials) m.hsetnx(keys.silent, s, String(now));
      await m.exec();
    },

    async silentSerials(): Promise<Set<string>> {
      return new Set(await redis.hkeys(keys.silent));
    },

    async forget(serials: string[]): Promise<void> {
      if (serials.length) await redis.zrem(keys.deadlines, ...serials);
    },

    /**
     * Announces a running watchdog. Returns true when none was alive before (the key had
     * expired), i.e. nobody watched the index for a while and a warm-up is due.
     */
    async heartbeat(ttlMs: number, first = false): Promise<boolean> {
      if (first) return (await redis.set(keys.alive, String(process.pid), 'PX', ttlMs, 'NX')) === 'OK';
      await redis.set(keys.alive, String(process.pid), 'PX', ttlMs);
      return false;
    },
  };
}

export type DeadlineIndex = ReturnType<typeof createDeadlineIndex>;
