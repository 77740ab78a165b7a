import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { rateLimited } from '../platform/errors.js';

// Failed logins are counted in Redis, per account and per client address, so every API
// process sees the same counts. Past a threshold each further failure locks the account (or
// address) for twice as long as the last, up to MAX_LOCK_MS; a success clears the account's count.
const WINDOW_MS = 15 * 60_000;
const MAX_LOCK_MS = 15 * 60_000;
const BASE_LOCK_MS = 30_000;
const ACCOUNT_THRESHOLD = 5;
const ADDRESS_THRESHOLD = 20;

// KEYS: failure counter, lock. ARGV: window ms, threshold, base lock ms, max lock ms. Returns the lock set (ms), 0 if none.
const FAIL = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local over = n - tonumber(ARGV[2])
if over < 0 then return 0 end
local lock = math.min(tonumber(ARGV[3]) * math.pow(2, math.min(over, 20)), tonumber(ARGV[4]))
redis.call('SET', KEYS[2], '1', 'PX', math.floor(lock))
return math.floor(lock)
`;

export function createLoginThrottle(redis: Redis, prefix: string) {
  // Hashed, so Redis holds no e-mail addresses.
  const account = (email: string) => createHash('sha256').update(email.toLowerCase()).digest('base64url').slice(0, 22);
  const keys = (kind: 'acct' | 'ip', id: string) => [`${prefix}:login:fail:${kind}:${id}`, `${prefix}:login:lock:${kind}:${id}`] as const;

  return {
    /** Throws 429 while the account or the address is locked; called before the password is checked. */
    async check(email: string, ip: string): Promise<void> {
      const [acct, addr] = await Promise.all([redis.pttl(keys('acct', account(email))[1]), redis.pttl(keys('ip', ip)[1])]);
      const waitMs = Math.max(acct, addr);
      if (waitMs > 0) throw rateLimited('Too many failed logins; try again later', waitMs / 1000);
    },

    async failed(email: string, ip: string): Promise<void> {
      await Promise.all([
        redis.eval(FAIL, 2, ...keys('acct', account(email)), WINDOW_MS, ACCOUNT_THRESHOLD, BASE_LOCK_MS, MAX_LOCK_MS),
        redis.eval(FAIL, 2, ...keys('ip', ip), WINDOW_MS, ADDRESS_THRESHOLD, BASE_LOCK_MS, MAX_LOCK_MS),
      ]);
    },

    async succeeded(email: string): Promise<void> {
      await redis.del(...keys('acct', account(email)));
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
