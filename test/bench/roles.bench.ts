// npm run bench:roles [-- --runs 3 --roles gateway,api,worker,all --settle 5]
// Start-up time and resident memory of each process role, started the way production used
// to (`tsx src/main.ts <role>`: the tsx CLI and the node process it runs) and the way it does
// now (`node dist/main.js <role>`, built by tools/build.ts into a temporary directory). Each run
// starts one process against an already migrated database and waits for its `ready` log line.
// Reports, as medians: wall time from spawn to ready, CPU time of the process tree to ready
// (steadier than wall time on a busy machine), and resident memory of the program's process
// and of the whole tree, at ready and after `--settle` idle seconds. Alternates the two ways
// run by run so a change in the machine's load hits both alike.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Redis } from 'ioredis';
import { applyMigrations } from '../../prisma/tools/engine.js';
import { MIGRATIONS_DIR } from '../../src/platform/infrastructure.js';
import { stopChild } from '../helpers/gateway-child.js';
import { createTestDatabase, TEST_REDIS_URL, testEnv } from '../helpers/system.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    roles: { type: 'string', default: 'gateway,api,worker,all' },
    settle: { type: 'string', default: '5' },
  },
});
const runs = Number(values.runs);
const roles = values.roles.split(',');
const settleMs = Number(values.settle) * 1_000;
const out = (s: string) => process.stdout.write(`${s}\n`);
const TICK_MS = 1_000 / 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux.

type Way = 'tsx' | 'dist';
interface Sample {
  wallMs: number;
  cpuMs: number;
  rssMb: number;
  treeRssMb: number;
  settledRssMb: number;
  settledTreeRssMb: number;
}

/** The pid, its descendants (from /proc), and for each its command name, CPU ticks and resident kB. */
function tree(root: number): { pid: number; comm: string; cpuTicks: number; rssKb: number }[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const pids = [root];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parent) if (ppid === pids[i]) pids.push(pid);
  return pids.flatMap((pid) => {
    try {
      const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name, which may itself hold spaces: state, ppid, ... utime (12th), stime.
      const stat = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      const comm = raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')'));
      return [{ pid, comm, cpuTicks: Number(stat[11]) + Number(stat[12]), rssKb: Number(rss?.[1] ?? 0) }];
    } catch {
      return [];
    }
  });
}

/** The process that runs the program: the deepest node of the tree (tsx's CLI runs it as a child, and esbuild beside it). */
const program = (t: ReturnType<typeof tree>) => t.filter((p) => p.comm === 'node').at(-1) ?? t[0]!;
const mb = (kb: number) => Math.round(kb / 1024);

async function startOnce(way: Way, distDir: string, role: string, env: Record<string, string>): Promise<Sample> {
  const [cmd, args] =
    way === 'tsx' ? [join(ROOT, 'node_modules/.bin/tsx'), ['src/main.ts', role]] : [process.execPath, [join(distDir, 'main.js'), role]];
  const started = performance.now();
  const child: ChildProcess = spawn(cmd, args, {
    cwd: way === 'tsx' ? ROOT : distDir,
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = child;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    await new Promise<void>((ready, fail) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('"msg":"ready"')) ready();
      });
      child.once('exit', (code) => fail(new Error(`${way} ${role} exited with ${code}: ${stderr.slice(-1500)}`)));
    });
    const wallMs = performance.now() - started;
    const atReady = tree(child.pid!);
    await new Promise((r) => setTimeout(r, settleMs));
    const settled = tree(child.pid!);
    const sum = (t: typeof atReady) => t.reduce((s, p) => s + p.rssKb, 0);
    return {
      wallMs,
      cpuMs: atReady.reduce((s, p) => s + p.cpuTicks, 0) * TICK_MS,
      rssMb: mb(program(atReady).rssKb),
      treeRssMb: mb(sum(atReady)),
      settledRssMb: mb(program(settled).rssKb),
      settledTreeRssMb: mb(sum(settled)),
    };
  } finally {
    await stopChild(child);
    running = null;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const distDir = await mkdtemp(join(tmpdir(), 'nx-roles-'));
const database = await createTestDatabase();
const prefix = `r${process.pid}`;
let running: ChildProcess | null = null;
const cleanup = async () => {
  if (running) await stopChild(running);
  await database.drop();
  await rm(distDir, { recursive: true, force: true });
  const redis = new Redis(TEST_REDIS_URL);
  for (let cursor = '0'; ; ) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  redis.disconnect();
};
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
try {
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'tools/build.ts', '--out', distDir], { cwd: ROOT });
  await symlink(join(ROOT, 'node_modules'), join(distDir, 'node_modules'), 'dir');
  // Migrated once here, so every measured start only checks that nothing is pending.
  await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR });
  const env = testEnv(database.url, prefix);
  const samples = new Map<string, Sample[]>();
  // One start of each way first: tsx fills its transform cache, the OS its file cache.
  for (const way of ['tsx', 'dist'] as const) await startOnce(way, distDir, 'all', env);
  for (let run = 0; run < runs; run++) {
    for (const role of roles) {
      const ways: Way[] = run % 2 ? ['dist', 'tsx'] : ['tsx', 'dist'];
      for (const way of ways) {
        const s = await startOnce(way, distDir, role, env);
        const key = `${role} ${way}`;
        samples.set(key, [...(samples.get(key) ?? []), s]);
        process.stderr.write(`run ${run + 1}/${runs} ${key}: ${Math.round(s.wallMs)} ms, ${Math.round(s.cpuMs)} ms CPU, ${s.rssMb} MB\n`);
      }
    }
  }
  out(`| role | started by | to ready, wall | CPU to ready | RSS at ready (program / whole tree) | RSS after ${settleMs / 1000} s idle |`);
  out('| --- | --- | --- | --- | --- | --- |');
  for (const role of roles) {
    for (const way of ['tsx', 'dist'] as const) {
      const s = samples.get(`${role} ${way}`)!;
      const m = (f: (x: Sample) => number) => Math.round(median(s.map(f)));
      const rss = way === 'tsx' ? `${m((x) => x.rssMb)} / ${m((x) => x.treeRssMb)} MB` : `${m((x) => x.rssMb)} MB`;
      const settled = way === 'tsx' ? `${m((x) => x.settledRssMb)} / ${m((x) => x.settledTreeRssMb)} MB` : `${m((x) => x.settledRssMb)} MB`;
      const how = way === 'tsx' ? '`tsx src/main.ts`' : '`node dist/main.js`';
      out(
        `| ${role} | ${how} | ${(m((x) => x.wallMs) / 1000).toFixed(2)} s | ${(m((x) => x.cpuMs) / 1000).toFixed(2)} s | ${rss} | ${settled} |`,
      );
    }
  }
  out(`medians of ${runs} runs; ${roles.length * 2 * runs} starts`);
} finally {
  await cleanup();
}
