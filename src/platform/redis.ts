import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { assertPortFree } from './embedded-postgres.js';
import type { Logger } from './logger.js';

export interface ResolvedRedis {
  url: string;
  stop(): Promise<void>;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/**
 * REDIS_URL when given; else the local Redis on 6379 if it answers; else a private
 * redis-server with AOF on under dataDir; else (Debian, root) install redis-server first.
 */
export async function resolveRedis(redisUrl: string | undefined, dataDir: string, port: number, log: Logger): Promise<ResolvedRedis> {
  if (redisUrl) return { url: redisUrl, stop: async () => {} };
  if (await answers(DEFAULT_URL)) {
    log.info({ url: DEFAULT_URL }, 'using local Redis');
    return { url: DEFAULT_URL, stop: async () => {} };
  }
  if (!onPath('redis-server')) {
    if (process.getuid?.() === 0 && onPath('apt-get')) {
      log.warn('redis-server not found: installing it with apt-get (Debian package redis-server)');
      run('apt-get', ['update']);
      run('apt-get', ['install', '-y', 'redis-server']);
    } else {
      throw new Error('Redis is needed: set REDIS_URL, or install redis-server (e.g. `apt-get install redis-server`).');
    }
  }
  await assertPortFree(port, 'EMBEDDED_REDIS_PORT');
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await answers(url)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await answers(url))) throw new Error(`private redis-server did not start on port ${port}`);
  log.info({ port, dir }, 'private redis-server started (AOF on)');
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
    },
  };
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
}
