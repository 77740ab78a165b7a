// npm run bench:gateway -- [--terminals 100] [--inflight 10] [--seconds 10] [--payload 11] [--tls]
// Durable QoS 1 ingest through the gateway (its own process, role `gateway`, committing every
// uplink to Postgres before PUBACK) next to a private raw Mosquitto with the same load from
// the same load generator (simulators runLoad). Prints msg/s, publish->PUBACK p50/p99 and the ratio.
// --tls: both over TLS with the same self-signed certificate (the one demo mode makes).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyMigrations } from '../../prisma/tools/engine.js';
import { type LoadResult, runLoad } from '../../simulators/index.js';
import { createDb } from '../../src/platform/database.js';
import { MIGRATIONS_DIR } from '../../src/platform/infrastructure.js';
import { ensureSelfSignedCertificate } from '../../src/platform/tls-certificate.js';
import { spawnGateway, stopChild } from '../helpers/gateway-child.js';
import { seedTerminals } from '../helpers/seed-terminals.js';
import { createTestDatabase } from '../helpers/system.js';

const { values } = parseArgs({
  options: {
    terminals: { type: 'string', default: '100' },
    inflight: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    payload: { type: 'string', default: '11' },
    tls: { type: 'boolean', default: false },
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

const tlsDir = values.tls ? await mkdtemp(join(tmpdir(), 'nx-bench-tls-')) : null;
const cert = tlsDir ? await ensureSelfSignedCertificate(tlsDir) : null;
const ca = cert ? await readFile(cert.certPath) : undefined;
const scheme = ca ? 'mqtts' : 'mqtt';
const tlsLoad = ca ? { mqtt: { ca } } : {};

const database = await createTestDatabase();
const db = createDb(database.url, 2);
try {
  await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR });
  const terminals = await seedTerminals(db, terminalsN, 'NXE-BENCH');
  out(
    `load: ${terminalsN} terminals x ${inflight} in flight, ${payloadBytes}-byte payloads, QoS 1, ${seconds} s per run${ca ? ', over TLS' : ''}`,
  );

  const gatewayEnv = { LOG_LEVEL: 'warn', MQTT_CONNECT_BURST: '100000', INGEST_WRITERS: process.env.INGEST_WRITERS ?? '4' };
  const tlsEnv: Record<string, string> = cert ? { MQTT_TLS_PORT: '0', MQTT_TLS_CERT: cert.certPath, MQTT_TLS_KEY: cert.keyPath } : {};
  const prof = process.env.BENCH_GATEWAY_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_GATEWAY_PROF] : [];
  const gw = await spawnGateway(database.url, { ...gatewayEnv, ...tlsEnv }, prof);
  let gateway: LoadResult;
  try {
    const url = `${scheme}://127.0.0.1:${ca ? gw.tlsPort : gw.port}`;
    gateway = await runLoad({ url, terminals, durationSec: seconds, inflightPerTerminal: inflight, payloadBytes, ...tlsLoad });
  } finally {
    await stopChild(gw.child);
  }
  const stored = await db.message.count();

  const port = await freePort();
  // A private config: with --tls the listener uses the gateway's certificate.
  const confDir = tlsDir ?? (await mkdtemp(join(tmpdir(), 'nx-bench-mosquitto-')));
  const conf = join(confDir, 'mosquitto.conf');
  // Started as root, mosquitto drops to its own user, which cannot read the private key here; `user` keeps the invoking one.
  const tlsConf = cert ? [`certfile ${cert.certPath}`, `keyfile ${cert.keyPath}`, `user ${userInfo().username}`] : [];
  await writeFile(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...tlsConf, ''].join('\n'));
  const mosquitto = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  let raw: LoadResult;
  try {
    raw = await runLoad({
      url: `${scheme}://127.0.0.1:${port}`,
      terminals,
      durationSec: seconds,
      inflightPerTerminal: inflight,
      payloadBytes,
      ...tlsLoad,
    });
  } finally {
    mosquitto.kill('SIGTERM');
    await rm(confDir, { recursive: true, force: true });
  }

  out(line(`nexsphere gateway${ca ? ' tls' : ''}`, gateway));
  out(line(`raw mosquitto${ca ? ' tls' : ''}`, raw));
  out(`durable rows stored: ${stored} (acknowledged ${gateway.acked})`);
  out(`ratio gateway / mosquitto: ${((100 * gateway.msgPerSec) / raw.msgPerSec).toFixed(1)}% (target >= 25%)`);
} finally {
  await db.$disconnect();
  await database.drop();
}
