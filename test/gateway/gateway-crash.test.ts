// kill -9 under QoS 1 load: every uplink the gateway acknowledged must be in Postgres.

import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeUplink } from '../../gateway/codecs/index.js';
import { applyMigrations } from '../../prisma/tools/engine.js';
import { createDb, type Db } from '../../src/platform/database.js';
import { MIGRATIONS_DIR } from '../../src/platform/infrastructure.js';
import { spawnGateway, stopChild } from '../helpers/gateway-child.js';
import { seedTerminals } from '../helpers/seed-terminals.js';
import { createTestDatabase } from '../helpers/system.js';
import { connectTerminal } from '../helpers/terminals.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR });
  db = createDb(database.url, 2);
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('gateway crash safety', () => {
  it('keeps every PUBACKed QoS 1 uplink when the gateway is killed with SIGKILL under load', async () => {
    const terminals = await seedTerminals(db, 20, 'NXE-CRASH');
    const { child, port } = await spawnGateway(database.url);
    const acked = new Map<string, number[]>();
    const clients: MqttClient[] = [];
    for (const t of terminals) {
      clients.push(await connectTerminal(port, t.serial, t.secret));
      acked.set(t.serial, []);
    }
    let stop = false;
    const loops = terminals.map(async (t, i) => {
      const c = clients[i]!;
      let n = 0;
      const window = new Set<Promise<void>>();
      // Stops when the gateway is gone: failed publishes settle at once, and spinning on them
      // in microtasks would starve the event loop.
      while (!stop && c.connected) {
        const value = ++n;
        const p = c
          .publishAsync(`nx/${t.serial}/up/event`, encodeUplink({ type: 'event', eventCode: 1, value }, new Date()), { qos: 1 })
          .then(
            () => void acked.get(t.serial)!.push(value),
            () => undefined,
          )
          .finally(() => window.delete(p));
        window.add(p);
        if (window.size >= 20) await Promise.race(window);
        if (n % 50 === 0) await new Promise((r) => setImmediate(r));
      }
    });
    // Let load build up, then kill the gateway mid-stream.
    await new Promise((r) => setTimeout(r, 2500));
    const killedAlive = child.exitCode === null;
    await stopChild(child, 'SIGKILL');
    expect(killedAlive).toBe(true);
    stop = true;
    for (const c of clients) c.end(true);
    await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 2000))]);

    const totalAcked = [...acked.values()].reduce((n, v) => n + v.length, 0);
    expect(totalAcked).toBeGreaterThan(500);
    let missing = 0;
    for (const [serial, values] of acked) {
      const rows = await db.$queryRaw<
        { v: number }[]
      >`SELECT (m.decoded->>'value')::int AS v FROM "Message" m JOIN "Device" d ON d.id = m."deviceId" WHERE d.serial = ${serial}`;
      const stored = new Set(rows.map((r) => r.v));
      missing += values.filter((v) => !stored.has(v)).length;
    }
    const stored = await db.message.count();
    process.stdout.write(`crash test: ${totalAcked} acknowledged, ${stored} stored, ${missing} acknowledged but missing\n`);
    expect(missing).toBe(0);
    expect(stored).toBeGreaterThanOrEqual(totalAcked);
  }, 60_000);
});
