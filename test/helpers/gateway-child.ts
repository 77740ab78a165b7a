// Starts test/helpers/gateway-process.ts as a child process against a given database.
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_REDIS_URL } from './system.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export async function spawnGateway(
  databaseUrl: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  /** A busy machine may need longer than the default to start a gateway. */
  startTimeoutMs = Number(process.env.TEST_CHILD_START_MS ?? 60_000),
): Promise<{ child: ChildProcess; port: number; tlsPort: number | null }> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'test/helpers/gateway-process.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: `c${process.pid}${Date.now().toString(36)}`,
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports = await new Promise<{ port: number; tlsPort: number | null }>((resolvePort, reject) => {
    let out = '';
    // A loaded 2-core machine has taken over 30 s; a child that never answers is not left behind.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway child did not start within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /MQTT_TLS_PORT=(\w+) MQTT_PORT=(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        // The child's log lines (stdout) stay visible when a test asks for them.
        if (process.env.TEST_LOG_LEVEL) child.stdout!.on('data', (l: Buffer) => process.stderr.write(l));
        resolvePort({ port: Number(m[2]), tlsPort: m[1] === 'null' ? null : Number(m[1]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway child exited with ${code}`)));
  });
  return { child, ...ports };
}

/** Signals the child and waits for it to exit (at once if it is gone already). */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await exited;
}
