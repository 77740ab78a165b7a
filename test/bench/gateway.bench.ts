// npm run bench:gateway -- [--terminals 100] [--inflight 10] [--seconds 10] [--warmup 2] [--load-procs 2]
//                          [--runs 1] [--stored 0] [--sweep] [--tls]
// Durable QoS 1 ingest through the gateway (its own process, role `gateway`, committing every
// uplink to Postgres before PUBACK) next to a private Mosquitto, with the same load in the same
// run from raw mqtt-packet clients spread over --load-procs child processes (raw-load.child.ts),
// 18-byte vehicle telemetry frames. Prints msg/s, publish -> PUBACK p50/p99, the ratio, the CPU
// of the gateway, of its Postgres backends and of the load processes per message, and checks
// that every PUBACKed uplink is in Postgres.
// --sweep: Mosquitto again with 1, 2 and 4 load processes, to show the load is not the limit.
// --stored N: N messages stored beforehand (spread over the last 12 months) to show ingest
//   does not slow down as the store grows.
// BENCH_GATEWAY_PROF=<dir>: CPU profile of the gateway process.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { encodeUplink } from '../../gateway/codecs/index.js';
import { applyMigrations } from '../../prisma/tools/engine.js';
import { LatencyHistogram } from '../../simulators/index.js';
import { createDb } from '../../src/platform/database.js';
import { MIGRATIONS_DIR } from '../../src/platform/infrastructure.js';
import { ensureSelfSignedCertificate } from '../../src/platform/tls-certificate.js';
import { spawnGateway, stopChild } from '../helpers/gateway-child.js';
import { seedTerminals } from '../helpers/seed-terminals.js';
import { createTestDatabase } from '../helpers/system.js';
import type { LoadChildRequest, LoadChildResult } from './raw-load.child.js';

const { values } = parseArgs({
  options: {
    terminals: { type: 'string', default: '100' },
    inflight: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'load-procs': { type: 'string', default: '2' },
    runs: { type: 'string', default: '1' },
    stored: { type: 'string', default: '0' },
    sweep: { type: 'boolean', default: false },
    tls: { type: 'boolean', default: false },
  },
});
const terminalsN = Number(values.terminals);
const inflight = Number(values.inflight);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const loadProcs = Number(values['load-procs']);
const runs = Number(values.runs);
const prefill = Number(values.stored);
const out = (s: string) => process.stdout.write(`${s}\n`);
const CLK_TCK = 100;

const frame = encodeUplink(
  {
    type: 'vehicle-telemetry',
    latitude: 31.2304,
    longitude: 121.4737,
    speedKmh: 42,
    heading: 90,
    ignition: true,
    moving: true,
    doorOpen: false,
    immobilized: false,
  },
  new Date(),
);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** utime + stime of a process in seconds (Linux /proc), 0 once it is gone. */
async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

const cpuOf = async (pids: number[]) => (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0);

interface Measured {
  msgPerSec: number;
  p50: number;
  p99: number;
  ackedTotal: number;
  unacked: number;
  disconnects: number;
  loadCpuShare: number;
  loadUsPerMsg: number;
  /** Broker process (gateway or Mosquitto): share of one core and CPU per message. */
  brokerCpuShare: number;
  brokerUsPerMsg: number;
  pgCpuShare?: number;
  pgUsPerMsg?: number;
}

type Ask = (m: LoadChildRequest) => Promise<unknown>;

function startLoadProcs(n: number): { procs: ChildProcess[]; asks: Ask[]; ready: Promise<unknown[]> } {
  const procs = Array.from({ length: n }, () =>
    fork(fileURLToPath(new URL('./raw-load.child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] }),
  );
  const readies = procs.map((p) => new Promise((r) => p.once('message', r)));
  const asks = procs.map(
    (p): Ask =>
      (m) =>
        new Promise((resolve) => {
          p.once('message', resolve);
          p.send(m);
        }),
  );
  return { procs, asks, ready: Promise.all(readies) };
}

/** Runs the load against a broker on `port`; `brokerPid` and `pgPids` are sampled for CPU over the measured window. */
async function measure(
  port: number,
  terminals: { serial: string; secret: string }[],
  procsN: number,
  brokerPid: number,
  pgPids: () => Promise<number[]>,
  ca?: string,
): Promise<Measured> {
  const { procs, asks, ready } = startLoadProcs(procsN);
  await ready;
  try {
    const shares = asks.map((_, i) => terminals.filter((_, j) => j % procsN === i));
    const connected = (await Promise.all(
      asks.map((ask, i) =>
        ask({ cmd: 'connect', port, terminals: shares[i]!, kind: 'telemetry', payloadHex: frame.toString('hex'), inflight, ca }),
      ),
    )) as { connected: number; failures: number }[];
    const failures = connected.reduce((n, c) => n + c.failures, 0);
    if (failures) throw new Error(`${failures} terminals could not connect`);
    const go = { cmd: 'go', durationMs: seconds * 1000, warmupMs: warmup * 1000, drainMs: 10_000 } as const;
    const results = asks.map((ask) => ask(go) as Promise<LoadChildResult>);
    // Sample CPU over the measured window (the children measure the same window themselves).
    await new Promise((r) => setTimeout(r, warmup * 1000));
    const pids = await pgPids();
    const [b0, p0, t0] = [await cpuSeconds(brokerPid), await cpuOf(pids), performance.now()];
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const [b1, p1, t1] = [await cpuSeconds(brokerPid), await cpuOf(pids), performance.now()];
    const rs = await Promise.all(results);
    const hist = new LatencyHistogram();
    for (const r of rs) hist.addBuckets(r.buckets);
    const acked = rs.reduce((n, r) => n + r.ackedInWindow, 0);
    const windowS = Math.max(...rs.map((r) => r.windowMs)) / 1000;
    const wallS = (t1 - t0) / 1000;
    const loadCpu = rs.reduce((n, r) => n + r.cpuMs, 0) / 1000;
    const perMsg = (cpuS: number) => (acked ? (cpuS * 1e6) / acked : 0);
    return {
      msgPerSec: acked / windowS,
      p50: hist.percentile(50),
      p99: hist.percentile(99),
      ackedTotal: rs.reduce((n, r) => n + r.ackedTotal, 0),
      unacked: rs.reduce((n, r) => n + r.unacked, 0),
      disconnects: rs.reduce((n, r) => n + r.disconnects, 0),
      loadCpuShare: loadCpu / windowS,
      loadUsPerMsg: perMsg(loadCpu),
      brokerCpuShare: (b1 - b0) / wallS,
      brokerUsPerMsg: perMsg(b1 - b0),
      ...(pids.length ? { pgCpuShare: (p1 - p0) / wallS, pgUsPerMsg: perMsg(p1 - p0) } : {}),
    };
  } finally {
    await Promise.all(
      procs.map(async (p) => {
        if (p.exitCode !== null) return;
        const exited = new Promise((r) => p.once('exit', r));
        p.send({ cmd: 'exit' } satisfies LoadChildRequest);
        await exited;
      }),
    );
  }
}

async function withMosquitto<T>(
  tls: { certPath: string; keyPath: string } | null,
  fn: (port: number, pid: number) => Promise<T>,
): Promise<T> {
  const port = await freePort();
  const confDir = await mkdtemp(join(tmpdir(), 'nx-bench-mosquitto-'));
  const conf = join(confDir, 'mosquitto.conf');
  // Started as root, mosquitto drops to its own user, which cannot read the private key here; `user` keeps the invoking one.
  const tlsConf = tls ? [`certfile ${tls.certPath}`, `keyfile ${tls.keyPath}`, `user ${userInfo().username}`] : [];
  await writeFile(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...tlsConf, ''].join('\n'));
  const mosquitto = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  try {
    return await fn(port, mosquitto.pid!);
  } finally {
    mosquitto.kill('SIGTERM');
    await rm(confDir, { recursive: true, force: true });
  }
}

const ms = (n: number) => n.toFixed(1).padStart(6);
const share = (n: number | undefined) => (n === undefined ? '   n/a' : `${(100 * n).toFixed(0).padStart(4)}%`);
function line(name: string, m: Measured): string {
  const pg = m.pgUsPerMsg === undefined ? '' : `  postgres backends ${share(m.pgCpuShare)} ${m.pgUsPerMsg.toFixed(0)} us/msg`;
  return (
    `${name.padEnd(20)} ${String(Math.round(m.msgPerSec)).padStart(7)} msg/s  PUBACK p50 ${ms(m.p50)} ms  p99 ${ms(m.p99)} ms  ` +
    `broker cpu ${share(m.brokerCpuShare)} ${m.brokerUsPerMsg.toFixed(1)} us/msg${pg}  load cpu ${share(m.loadCpuShare)} ${m.loadUsPerMsg.toFixed(1)} us/msg` +
    (m.disconnects ? `  DISCONNECTS ${m.disconnects}` : '')
  );
}

/** N stored messages of the bench terminals spread over the last 12 months, written by Postgres itself. */
async function prefillMessages(client: pg.Client, n: number): Promise<void> {
  const t0 = performance.now();
  const chunk = 2_000_000;
  for (let from = 0; from < n; from += chunk) {
    await client.query(
      `INSERT INTO "Message" ("deviceId","contractId","topic","kind","qos","payload","bytes","units","decoded","receivedAt","seq")
       SELECT d.id, d."contractId", 'nx/' || d.serial || '/up/telemetry', 'telemetry', 1, $3::bytea, 18, 1,
              '{"type":"vehicle-telemetry","latitude":31.2304,"longitude":121.4737,"speedKmh":42}'::jsonb,
              now() AT TIME ZONE 'UTC' - interval '1 day' - (g.i::float8 / $2) * interval '360 days',
              ($2::bigint - g.i) / (SELECT count(*) FROM "Device") + 1
       FROM generate_series($1::bigint, LEAST($1::bigint + ${chunk} - 1, $2::bigint - 1)) AS g(i)
       JOIN (SELECT id, "contractId", serial, row_number() OVER (ORDER BY id) - 1 AS k FROM "Device") d
         ON d.k = g.i % (SELECT count(*) FROM "Device")`,
      [from, n, frame],
    );
    out(`  stored ${Math.min(n, from + chunk)} of ${n} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  await client.query('ANALYZE "Message"');
}

const tlsDir = values.tls ? await mkdtemp(join(tmpdir(), 'nx-bench-tls-')) : null;
const cert = tlsDir ? await ensureSelfSignedCertificate(tlsDir) : null;
const ca = cert ? (await readFile(cert.certPath)).toString() : undefined;

const database = await createTestDatabase();
const db = createDb(database.url, 2);
const client = new pg.Client({ connectionString: database.url });
await client.connect();
const dbName = new URL(database.url).pathname.slice(1);
try {
  await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR });
  const terminals = await seedTerminals(db, terminalsN, 'NXE-BENCH', 'VEHICLE');
  if (prefill > 0) {
    out(`storing ${prefill} messages first`);
    await prefillMessages(client, prefill);
  }
  const count = async () => Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM "Message"')).rows[0]!.n);
  out(
    `load: ${terminalsN} terminals x ${inflight} QoS 1 in flight, ${frame.length}-byte telemetry frames, raw mqtt-packet clients in ` +
      `${loadProcs} load process(es), ${warmup} s warm-up + ${seconds} s measured per run${ca ? ', over TLS' : ''}; ` +
      `${await count()} messages stored before; machine load average ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`,
  );

  const gatewayEnv = { LOG_LEVEL: 'warn', MQTT_CONNECT_BURST: '100000' };
  const tlsEnv: Record<string, string> = cert ? { MQTT_TLS_PORT: '0', MQTT_TLS_CERT: cert.certPath, MQTT_TLS_KEY: cert.keyPath } : {};
  const prof = process.env.BENCH_GATEWAY_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_GATEWAY_PROF] : [];
  // The gateway's own Postgres connections (its ingest pool and its other pools): every backend on the bench database but ours.
  const pgPids = async () =>
    (
      await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName])
    ).rows.map((r) => r.pid);

  const ratios: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const before = await count();
    // A busy shared machine can take well over the tests' 30 s to start a TypeScript process.
    const gw = await spawnGateway(database.url, { ...gatewayEnv, ...tlsEnv }, prof, 180_000);
    let gateway: Measured;
    try {
      gateway = await measure(ca ? gw.tlsPort! : gw.port, terminals, loadProcs, gw.child.pid!, pgPids, ca);
    } finally {
      await stopChild(gw.child);
    }
    const stored = (await count()) - before;
    const mosquitto = await withMosquitto(cert, (port, pid) => measure(port, terminals, loadProcs, pid, async () => [], ca));
    const ratio = (100 * gateway.msgPerSec) / mosquitto.msgPerSec;
    ratios.push(ratio);
    out(`run ${run}/${runs}`);
    out(line(`gateway${ca ? ' tls' : ''}`, gateway));
    out(line(`mosquitto${ca ? ' tls' : ''}`, mosquitto));
    const missing = Math.max(0, gateway.ackedTotal - stored);
    out(
      `  stored ${stored} of ${gateway.ackedTotal} PUBACKed (${gateway.unacked} never acknowledged): ` +
        (missing ? `${missing} PUBACKed uplinks MISSING` : 'every PUBACKed uplink stored'),
    );
    out(`  ratio gateway / mosquitto: ${ratio.toFixed(1)}% (target >= 40%, PUBACK p99 < 100 ms)`);
  }
  if (runs > 1)
    out(`ratios: ${ratios.map((r) => `${r.toFixed(1)}%`).join(', ')}; >= 40% in ${ratios.filter((r) => r >= 40).length} of ${runs}`);

  if (values.sweep) {
    out('mosquitto with more load processes (the figure must not rise if the load is not the limit):');
    for (const n of [1, 2, 4]) {
      const m = await withMosquitto(cert, (port, pid) => measure(port, terminals, n, pid, async () => [], ca));
      out(line(`  ${n} load process(es)`, m));
    }
  }
} finally {
  await client.end();
  await db.$disconnect();
  await database.drop();
  if (tlsDir) await rm(tlsDir, { recursive: true, force: true });
}
