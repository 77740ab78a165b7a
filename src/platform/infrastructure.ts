import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyMigrations } from '../../prisma/tools/engine.js';
import type { Config } from '../config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import type { Logger } from './logger.js';
import { resolveRedis } from './redis.js';

export const MIGRATIONS_DIR = resolve(fileURLToPath(new URL('../../prisma/migrations', import.meta.url)));

export interface Infrastructure {
  databaseUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

/** Finds or starts PostgreSQL and Redis, then brings the schema up to date. */
export async function startInfrastructure(config: Config, log: Logger): Promise<Infrastructure> {
  const stops: (() => Promise<void>)[] = [];
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres(config.DATA_DIR, config.EMBEDDED_PG_PORT, log);
    stops.push(pg.stop);
    databaseUrl = pg.url;
  }
  const applied = await applyMigrations({ connectionString: databaseUrl, migrationsDir: MIGRATIONS_DIR });
  if (applied.length) log.info({ applied }, 'database migrations applied');
  const redis = await resolveRedis(config.REDIS_URL, config.DATA_DIR, config.EMBEDDED_REDIS_PORT, log);
  stops.push(redis.stop);
  return {
    databaseUrl,
    redisUrl: redis.url,
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.warn({ err }, 'stop failed'));
    },
  };
}
