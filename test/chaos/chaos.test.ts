// Chaos under steady QoS 1 load, against real services: the platform runs as a child process on
// a private redis-server and its own database; Redis is killed and restarted (with and without
// its data) and paused, and the database's connections are terminated. After each fault: every
// PUBACKed uplink is stored, every stored uplink reaches the customer's webhook receiver (once
// per webhook-id), the process is alive, and a new terminal, a login and a webhook work.

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeUplink } from '../../gateway/codecs/index.js';
import { applyMigrations } from '../../prisma/tools/engine.js';
import { hashPassword } from '../../src/auth/index.js';
import { createDb, type Db } from '../../src/platform/database.js';
import { MIGRATIONS_DIR } from '../../src/platform/infrastructure.js';
import { stopChild } from '../helpers/gateway-child.js';
import { type PlatformChild, spawnPlatform } from '../helpers/platform-child.js';
import { type PrivateRedis, startPrivateRedis } from '../helpers/private-redis.js';
import { seedTerminals } from '../helpers/seed-terminals.js';
import { createTestDatabase, TEST_PG_URL, testEnv } from '../helpers/system.js';
import { connectTerminal } from '../helpers/terminals.js';
import { type Receiver, startReceiver, waitFor } from '../helpers/webhook-receiver.js';
import { startLoad } from './chaos-load.js';

const LOAD_TERMINALS = 20;
const PER_TERMINAL_PER_SEC = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
let redis: PrivateRedis;
let platform: PlatformChild;
let receiver: Receiver;
let load: ReturnType<typeof startLoad>;
let spares: { serial: string; secret: string }[];
const admin = { email: 'chaos-admin@test.nexsphere', password: 'chaos-admin-password-1' };
const figures: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR });
  db = createDb(database.url, 2);
  redis = await startPrivateRedis();
  const terminals = await seedTerminals(db, LOAD_TERMINALS + 6, 'NXE-CHAOS');
  spares = terminals.slice(LOAD_TERMINALS);
  await db.user.create({
    data: { email: admin.email, name: 'Chaos admin', role: 'ADMIN', passwordHash: await hashPassword(admin.password) },
  });
  receiver = await startReceiver();
  platform = await spawnPlatform(
    testEnv(database.url, 'chaos', {
      REDIS_URL: redis.url,
      LOG_LEVEL: 'info',
      LOOP_STALL_SEC: '2',
      HEALTH_TICK_MS: '500',
    }),
  );
  const token = await login();
  const customer = await db.customer.findFirstOrThrow({ where: { name: 'NXE-CHAOS' } });
  const res = await fetch(`${platform.httpUrl}/api/v1/webhook-endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: customer.id, url: receiver.url, eventTypes: ['device.uplink'], maxConcurrency: 8 }),
  });
  expect(res.status).toBe(201);
  load = startLoad(platform.mqttPort, terminals.slice(0, LOAD_TERMINALS), PER_TERMINAL_PER_SEC);
  await load.connectAll();
}, 90_000);

afterAll(async () => {
  process.stdout.write(`chaos figures:\n  ${figures.join('\n  ')}\n`);
  await load?.close();
  if (platform) await stopChild(platform.child);
  await receiver?.close();
  await redis?.stop();
  await db?.$disconnect();
  await database?.drop();
});

async function login(): Promise<string> {
  const res = await fetch(`${platform.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(admin),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** `serial:tripCounter` of every uplink the receiver got, one per webhook-id. */
function delivered(): Set<string> {
  const seen = new Set<string>();
  const keys = new Set<string>();
  for (const r of receiver.received) {
    const id = r.headers['webhook-id']!;
    if (seen.has(id)) continue;
    seen.add(id);
    const body = JSON.parse(r.body) as { data: { serial: string; decoded: { tripCounter?: number } | null } };
    keys.add(`${body.data.serial}:${body.data.decoded?.tripCounter}`);
  }
  return keys;
}

async function stored(): Promise<Set<string>> {
  const rows = await db.$queryRaw<{ k: string }[]>`
    SELECT d.serial || ':' || (m.decoded->>'tripCounter') AS k FROM "Message" m JOIN "Device" d ON d.id = m."deviceId"`;
  return new Set(rows.map((r) => r.k));
}

async function readyz(): Promise<{ status: string; stalled: string[] }> {
  const res = await fetch(`${platform.httpUrl}/readyz`);
  return (await res.json()) as { status: string; stalled: string[] };
}

/**
 * Load runs before, during and after `fault`; then the load pauses and the checks run. Records
 * how long after the fault ended every stored uplink had reached the receiver.
 */
async function survive(name: string, fault: () => Promise<void>): Promise<void> {
  load.resume();
  await sleep(1_500);
  await fault();
  const faultEnded = Date.now();
  await sleep(1_500);
  const unsettled = await load.pause(30_000);
  const holdMs = Date.now() - faultEnded;
  expect(platform.alive(), `${name}: platform process alive`).toBe(true);

  const have = await stored();
  const lost: string[] = [];
  for (const [serial, values] of load.acked) for (const v of values) if (!have.has(`${serial}:${v}`)) lost.push(`${serial}:${v}`);
  expect(lost, `${name}: PUBACKed but not stored`).toEqual([]);

  const missing = await waitFor(
    async () => {
      const got = delivered();
      const now = await stored();
      return [...now].every((k) => got.has(k)) ? now : null;
    },
    `${name}: every stored uplink delivered by webhook`,
    45_000,
  ).catch(async (err: Error) => {
    const got = delivered();
    const now = await stored();
    throw new Error(`${err.message}: ${[...now].filter((k) => !got.has(k)).length} of ${now.size} not delivered`);
  });
  const caughtUpMs = Date.now() - faultEnded;

  // A terminal that was not connected before, a login and a webhook, all working now.
  const spare = spares.shift()!;
  const c = await connectTerminal(platform.mqttPort, spare.serial, spare.secret);
  await c.publishAsync(
    `nx/${spare.serial}/up/telemetry`,
    encodeUplink({ type: 'elevator-telemetry', floor: 2, motion: 'up', door: 'closed', loadPercent: 5, tripCounter: 1 }, new Date()),
    { qos: 1 },
  );
  await c.endAsync();
  await waitFor(() => delivered().has(`${spare.serial}:1`), `${name}: webhook of a new terminal`, 15_000);
  await login();
  expect(platform.alive()).toBe(true);
  figures.push(
    `${name}: ${load.totalAcked()} acknowledged in all, ${missing.size} stored, ${unsettled} publishes unsettled; ` +
      `last publish acknowledged ${holdMs} ms after the fault ended (load ran 1.5 s past it); every webhook delivered ${caughtUpMs} ms after it`,
  );
}

describe('chaos under QoS 1 load', () => {
  it('survives kill -9 of Redis and a restart 3 s later (AOF on)', async () => {
    await survive('Redis killed, back after 3 s with its data', async () => {
      await redis.kill();
      await sleep(3_000);
      await redis.start();
    });
  }, 120_000);

  it('survives Redis refusing writes for 8 s, and names the stalled loop meanwhile', async () => {
    await survive('Redis writes paused 8 s', async () => {
      const until = Date.now() + 8_000;
      await redis.command('CLIENT', 'PAUSE', '8000', 'WRITE');
      // Each call waits up to 3 s on the paused Redis (the API's own connection is queued behind its writes).
      const during = await waitFor(
        async () => {
          const r = await readyz();
          return r.stalled.includes('outbox-relay') ? r : null;
        },
        'readyz naming the stalled outbox relay',
        12_000,
      );
      // The API's own Redis connection waits behind its paused writes: not ready, and the stalled loop named.
      expect(during.status).not.toBe('ready');
      await sleep(Math.max(0, until - Date.now()));
    });
    expect(platform.lines.some((l) => l.includes('background loop outbox-relay is stalled'))).toBe(true);
    await waitFor(async () => (await readyz()).status === 'ready', 'readyz ready again', 15_000);
  }, 120_000);

  it('survives the termination of every database connection', async () => {
    await survive('database connections terminated (twice, 0.5 s apart)', async () => {
      const admin = new pg.Client({ connectionString: TEST_PG_URL });
      await admin.connect();
      const name = new URL(database.url).pathname.slice(1);
      for (let i = 0; i < 2; i++) {
        const r = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
          [name],
        );
        expect(r.rowCount).toBeGreaterThan(0);
        await sleep(500);
      }
      await admin.end();
    });
  }, 120_000);

  it('holds acknowledgements and answers 503 while the database refuses connections for 5 s', async () => {
    const name = new URL(database.url).pathname.slice(1);
    const adminPg = new pg.Client({ connectionString: TEST_PG_URL });
    await adminPg.connect();
    try {
      await survive('database away 5 s (connections refused)', async () => {
        await adminPg.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
        await adminPg.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
        const until = Date.now() + 5_000;
        const res = await fetch(`${platform.httpUrl}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(admin),
        });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        await sleep(until - Date.now());
        await adminPg.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      });
    } finally {
      await adminPg.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`).catch(() => {});
      await adminPg.end();
    }
  }, 120_000);

  it('survives kill -9 of Redis that comes back without its data', async () => {
    await survive('Redis killed, back empty after 2 s', async () => {
      await redis.kill();
      redis.wipe();
      await sleep(2_000);
      await redis.start();
    });
  }, 120_000);
});
