import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { DestinationStream } from 'pino';
import { type ProcessRole, type System, startSystem } from '../../src/app/system.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/platform/logger.js';

/** Server that holds the per-file test databases (the machine's local PostgreSQL by default). */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestSystem extends System {
  databaseUrl: string;
  config: Config;
}

/**
 * A fresh database (created and migrated) and a private Redis key prefix per call, so test
 * files run in any order and in parallel without seeing each other's data.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `nx_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * Another platform process of `role` on the same database and Redis prefix as `of` (roles run
 * in separate processes in production); stopping it leaves the database to `of`.
 */
export async function startPeerSystem(of: TestSystem, role: ProcessRole, env: Record<string, string> = {}): Promise<System> {
  const config = loadConfig(testEnv(of.databaseUrl, of.config.REDIS_PREFIX, env));
  return startSystem(config, role, createLogger(config.LOG_LEVEL, { test: true }));
}

/** Where a test system without SMTP_URL writes its .eml files (removed when it stops). */
export const testMailDir = (redisPrefix: string) => path.join(tmpdir(), `nx-mail-${redisPrefix}`);

/**
 * The environment of a test platform process on a database and Redis prefix: loopback, ports (metrics too)
 * picked by the system, private webhook targets allowed, no demo fleet, mail files in a private
 * temporary directory; `env` overrides.
 */
export function testEnv(databaseUrl: string, redisPrefix: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    DEMO_FLEET_SIZE: '0',
    MAIL_DIR: testMailDir(redisPrefix),
    ...env,
  };
}

/** `logTo` receives the system's log lines (at LOG_LEVEL, which env may set) for tests that read them. */
export async function startTestSystem(
  role: ProcessRole = 'all',
  env: Record<string, string> = {},
  logTo?: DestinationStream,
): Promise<TestSystem> {
  const database = await createTestDatabase();
  const config = loadConfig(testEnv(database.url, `t${randomBytes(5).toString('hex')}`, env));
  const log = createLogger(config.LOG_LEVEL, { test: true }, logTo);
  const system = await startSystem(config, role, log);
  return {
    ...system,
    databaseUrl: database.url,
    config,
    async stop() {
      await system.stop();
      await Promise.all([
        database.drop(),
        dropRedisKeys(config.REDIS_PREFIX),
        rm(testMailDir(config.REDIS_PREFIX), { recursive: true, force: true }),
      ]);
    },
  };
}

/** Removes a test system's keys (queues, health index, counters) from the shared Redis. */
async function dropRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // A Redis that is gone already has nothing to clean.
  } finally {
    redis.disconnect();
  }
}
