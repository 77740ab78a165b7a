import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/platform/embedded-postgres.js';
import { createLogger } from '../../src/platform/logger.js';
import { resolveRedis } from '../../src/platform/redis.js';

/**
 * Tests need a PostgreSQL server to create per-file databases on and a Redis. Use the
 * machine's (or TEST_DATABASE_URL / TEST_REDIS_URL); on a machine without them, start
 * private ones so `npm test` works on a fresh clone.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const log = createLogger('warn', { component: 'test-setup' });
  const stops: (() => Promise<void>)[] = [];
  const pgUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  if (!(await pgAnswers(pgUrl))) {
    const started = await startEmbeddedPostgres('.data/test', 54330, log);
    const admin = new URL(started.url);
    admin.pathname = '/postgres';
    process.env.TEST_DATABASE_URL = admin.toString();
    stops.push(started.stop);
  }
  const redis = await resolveRedis(process.env.TEST_REDIS_URL, '.data/test', 63791, log);
  process.env.TEST_REDIS_URL = redis.url;
  stops.push(redis.stop);
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}

async function pgAnswers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}
