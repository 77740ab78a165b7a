// npm run bench:gateway -- [--terminals 100] [--inflight 10] [--seconds 10] [--payload 11]
// Durable QoS 1 ingest through the gateway (its own process, role `gateway`, committing every
// uplink to Postgres before PUBACK) next to a private raw Mosquitto with the same load from
// the same load generator (simulators runLoad). Prints msg/s, publish->PUBACK p50/p99 and the ratio.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { createDb } from '../../src/platform/database.js';
import { MIGRATIONS_DIR } from '../../src/platform/infrastructure.js';
import { applyMigrations } from '../../prisma/tools/engine.js';
import { runLoad, type LoadResult } from '../../simulators/index.js';
import { createTestDatabase } from '../helpers/system.js';
import { spawnGateway, stopChild } from '../helpers/gateway-child.js';
import { seedTerminals } from '../helpers/seed-terminals.js';

const { values } = parseArgs({
  options: {
    terminals: { type: 'string', default: '100' },
    inflight: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    payload: { type: 'string', default: '11' },
  },
});
const terminalsN = Number(values.terminals);
const inflight = Number(values.inflight);
const seconds = Number(values.seconds);
const payloadBytes = Number(values.payload);
const out = (s: string) => process.stdout.write(`${s}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const line = (name: string, r: LoadResult) =>
  `${name.padEnd(22)} ${String(Math.round(r.msgPerSec)).padStart(8)} msg/s   p50 ${r.p50Ms.toFixed(2).padStart(7)} ms   p99 ${r.p99Ms.toFixed(2).padStart(7)} ms   acked ${r.acked}  errors ${r.errors}`;

const database = await createTestDatabase();
const db = createDb(database.url, 2);
try {
  await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR });
  const terminals = await seedTerminals(db, terminalsN, 'NXE-BENCH');
  out(`load: ${terminalsN} terminals x ${inflight} in flight, ${payloadBytes}-byte payloads, QoS 1, ${seconds} s per run`);

  const gw = await spawnGateway(database.url, { LOG_LEVEL: 'warn', MQTT_CONNECT_BURST: '100000', INGEST_WRITERS: process.env.INGEST_WRITERS ?? '4' }, process.env.BENCH_GATEWAY_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_GATEWAY_PROF] : []);
  let gateway: LoadResult;
  try {
    gateway = await runLoad({ url: `mqtt://127.0.0.1:${gw.port}`, terminals, durationSec: seconds, inflightPerTerminal: inflight, payloadBytes });
  } finally {
    await stopChild(gw.child);
  }
  const stored = await db.message.count();

  const port = await freePort();
  const mosquitto = spawn('mosquitto', ['-p', String(port)], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  let raw: LoadResult;
  try {
    raw = await runLoad({ url: `mqtt://127.0.0.1:${port}`, terminals, durationSec: seconds, inflightPerTerminal: inflight, payloadBytes });
  } finally {
    mosquitto.kill('SIGTERM');
  }

  out(line('nexsphere gateway', gateway));
  out(line('raw mosquitto', raw));
  out(`durable rows stored: ${stored} (acknowledged ${gateway.acked})`);
  out(`ratio gateway / mosquitto: ${((100 * gateway.msgPerSec) / raw.msgPerSec).toFixed(1)}% (target >= 25%)`);
} finally {
  await db.$disconnect();
  await database.drop();
}
