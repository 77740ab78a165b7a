// npm run bench:connections -- [--terminals 15000] [--inflight 500] [--loaders 3] [--settle 5]
// A fleet of provisioned terminals connecting at once to ONE gateway process (role `gateway`,
// its own process, connect limit per address raised since all come from 127.0.0.1): --inflight
// CONNECTs awaiting CONNACK at a time, spread over --loaders load processes (ulimit -n is per
// process). Prints the time until every terminal had its CONNACK, connects/s, the time until
// every session row was written, and the gateway's resident memory before any terminal and
// with all of them idle: kB per idle terminal.
// It also asks the gateway for a full collection and its heap figures then: what the fleet really
// holds, apart from garbage of the storm not yet collected. BENCH_HEAP_SNAPSHOT=<dir> writes a
// heap snapshot at that moment too, to look at per-connection objects in Chrome DevTools.
import { type ChildProcess, fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { applyMigrations } from '../../prisma/tools/engine.js';
import { createDb } from '../../src/platform/database.js';
import { MIGRATIONS_DIR } from '../../src/platform/infrastructure.js';
import { spawnGateway, stopChild } from '../helpers/gateway-child.js';
import { seedTerminals } from '../helpers/seed-terminals.js';
import { createTestDatabase } from '../helpers/system.js';

const { values } = parseArgs({
  options: {
    terminals: { type: 'string', default: '15000' },
    inflight: { type: 'string', default: '500' },
    loaders: { type: 'string', default: '3' },
    settle: { type: 'string', default: '5' },
  },
});
const N = Number(values.terminals);
const INFLIGHT = Number(values.inflight);
const LOADERS = Math.max(1, Number(values.loaders));
const SETTLE_S = Number(values.settle);
const out = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
}
async function cpuMs(pid: number): Promise<number> {
  // utime + stime in clock ticks (100 per second on Linux).
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(stat[11]) + Number(stat[12])) * 10;
}

const database = await createTestDatabase();
const db = createDb(database.url, 2);
const loaders: ChildProcess[] = [];
let gw: Awaited<ReturnType<typeof spawnGateway>> | null = null;
try {
  await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR });
  const terminals = await seedTerminals(db, N, 'NXE-CONN');
  gw = await spawnGateway(database.url, { LOG_LEVEL: 'warn', MQTT_CONNECT_BURST: String(N * 2), MQTT_CONNECT_PER_SECOND: String(N * 2) }, [
    '--expose-gc',
  ]);
  const pid = gw.child.pid!;
  let stdout = '';
  gw.child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  /** Heap figures of the gateway right after a full collection. */
  async function collected(): Promise<{ rss: number; heapUsed: number; external: number; arrayBuffers: number }> {
    const seen = stdout.length;
    gw!.child.kill('SIGUSR2');
    for (let i = 0; i < 1200; i++) {
      const m = /MEMORY (\{.*\})\n/.exec(stdout.slice(seen));
      if (m) return JSON.parse(m[1]!);
      await sleep(100);
    }
    throw new Error('the gateway did not report its memory');
  }
  await sleep(2000);
  const before = await rssKb(pid);
  const heapBefore = await collected();
  const cpuBefore = await cpuMs(pid);

  for (let i = 0; i < LOADERS; i++) {
    const child = fork(new URL('./connect-load.child.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
    loaders.push(child);
    await new Promise<void>((r) => child.once('message', () => r()));
  }
  const results: Promise<{ accepted: number; refused: Record<string, number>; doneAt: number }>[] = loaders.map(
    (child) => new Promise((r) => child.once('message', (m) => r(m as never))),
  );
  const t0 = Date.now();
  for (const [i, child] of loaders.entries()) {
    const share = terminals.filter((_, k) => k % LOADERS === i);
    child.send({ cmd: 'start', start: { port: gw.port, inflight: Math.ceil(INFLIGHT / LOADERS), terminals: share } });
  }
  const done = await Promise.all(results);
  const connectedMs = Math.max(...done.map((d) => d.doneAt)) - t0;
  const accepted = done.reduce((a, d) => a + d.accepted, 0);
  const refused: Record<string, number> = {};
  for (const d of done) for (const [k, v] of Object.entries(d.refused)) refused[k] = (refused[k] ?? 0) + v;
  // Sessions are written after CONNACK: wait until every terminal shows online.
  let online = 0;
  for (let i = 0; i < 600; i++) {
    online = await db.deviceSession.count({ where: { disconnectedAt: null } });
    if (online >= accepted) break;
    await sleep(100);
  }
  const recordedMs = Date.now() - t0;
  const cpuDuring = (await cpuMs(pid)) - cpuBefore;
  await sleep(SETTLE_S * 1000);
  const after = await rssKb(pid);
  const heapAfter = await collected();

  out(`${N} terminals, ${INFLIGHT} CONNECTs in flight over ${LOADERS} load processes, one gateway process`);
  out(
    `all CONNACKed in ${(connectedMs / 1000).toFixed(1)} s = ${Math.round((accepted * 1000) / connectedMs)} connects/s; accepted ${accepted}, refused ${JSON.stringify(refused)}`,
  );
  out(`every session recorded (DeviceSession rows, Device.online) after ${(recordedMs / 1000).toFixed(1)} s: ${online} open sessions`);
  out(
    `gateway CPU during the storm: ${(cpuDuring / 1000).toFixed(1)} s (${((cpuDuring * 1000) / Math.max(1, accepted)).toFixed(0)} us per connect)`,
  );
  out(
    `gateway RSS: ${(before / 1024).toFixed(0)} MB before any terminal, ${(after / 1024).toFixed(0)} MB with ${accepted} idle terminals (after ${SETTLE_S} s idle)`,
  );
  out(`= ${((after - before) / Math.max(1, accepted)).toFixed(1)} kB per idle terminal`);
  const per = (k: 'rss' | 'heapUsed' | 'external') => ((heapAfter[k] - heapBefore[k]) / 1024 / Math.max(1, accepted)).toFixed(1);
  out(
    `after a full collection: RSS ${per('rss')} kB, V8 heap ${per('heapUsed')} kB, external ${per('external')} kB per idle terminal (heap ${(heapBefore.heapUsed / 2 ** 20).toFixed(0)} -> ${(heapAfter.heapUsed / 2 ** 20).toFixed(0)} MB)`,
  );
} finally {
  for (const l of loaders) l.send({ cmd: 'exit' });
  await sleep(500);
  if (gw) await stopChild(gw.child);
  await db.$disconnect();
  await database.drop();
}
