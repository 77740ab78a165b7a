// The production build: `npm run build`'s transpiler writes a dist/ tree that plain node runs
// with no TypeScript loader, its migrations and console resolved from inside dist/.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopChild } from '../helpers/gateway-child.js';
import { createTestDatabase, testEnv } from '../helpers/system.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Starts `node <dir>/main.js <role>` and resolves with its `ready` log line. */
async function startBuilt(dir: string, role: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [join(dir, 'main.js'), role], {
    cwd: dir,
    env: { ...process.env, ...env, LOG_LEVEL: 'info', NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const ready = await new Promise<{ httpUrl: string; startupMs: number }>((resolveReady, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no ready line within 60 s: ${buf.slice(-2000)}${stderr.slice(-2000)}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        if (!line.includes('"msg":"ready"')) continue;
        clearTimeout(timer);
        resolveReady(JSON.parse(line) as { httpUrl: string; startupMs: number });
      }
    });
    child.once('exit', (code) => reject(new Error(`node main.js ${role} exited with ${code}: ${stderr.slice(-2000)}`)));
  });
  return { child, ...ready };
}

describe('production build', () => {
  let out: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: { child: ChildProcess; httpUrl: string } | undefined;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'nx-dist-'));
    // Exactly what `npm run build` runs after the console, into a directory of the test's own.
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'tools/build.ts', '--out', out], { cwd: ROOT, timeout: 60_000 });
    database = await createTestDatabase();
  }, 90_000);

  afterAll(async () => {
    if (api) await stopChild(api.child);
    await database?.drop();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('holds JavaScript only, with the migrations beside it', async () => {
    const files = await readdir(out, { recursive: true });
    expect(files.some((f) => f.endsWith('.ts'))).toBe(false);
    expect(files).toContain(join('src', 'main.js'));
    expect(files).toContain(join('prisma', 'generated', 'client.js'));
    const migrations = await readdir(join(ROOT, 'prisma', 'migrations'));
    expect((await readdir(join(out, 'prisma', 'migrations'))).sort()).toEqual(migrations.sort());
  });

  it('runs the api role under plain node: migrates a fresh database and answers its health checks', async () => {
    // Deployed as dist/ plus the installed packages beside it.
    await symlink(join(ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
    api = await startBuilt(out, 'api', testEnv(database.url, `b${process.pid}`));
    const ready = await fetch(`${api.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ postgres: 'ok', redis: 'ok' });
    expect((await fetch(`${api.httpUrl}/openapi.json`)).status).toBe(200);

    // The schema came from dist/prisma/migrations: every migration is recorded as applied.
    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL');
    await c.end();
    expect(rows[0]!.n).toBe(
      (await readdir(join(ROOT, 'prisma', 'migrations'), { withFileTypes: true })).filter((d) => d.isDirectory()).length,
    );

    // The web console is served from dist/ when it was built before (npm run build builds it).
    if (existsSync(join(ROOT, 'src', 'console', 'dist', 'index.html'))) {
      const page = await fetch(`${api.httpUrl}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
    }
  });
});
