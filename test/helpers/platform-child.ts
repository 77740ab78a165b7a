// Starts test/helpers/platform-process.ts as a child process, so a test can see whether the
// platform survived a fault (and a crash does not take the test runner with it).
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface PlatformChild {
  child: ChildProcess;
  httpUrl: string;
  mqttPort: number;
  /** The child's log lines (JSON), for tests that look for what it said. */
  lines: string[];
  alive(): boolean;
}

export async function spawnPlatform(env: Record<string, string>): Promise<PlatformChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/platform-process.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (process.env.TEST_LOG_LEVEL) process.stderr.write(d);
  });
  const ready = await new Promise<{ httpUrl: string; mqttPort: number }>((resolveReady, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('platform child did not start')), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('PLATFORM ')) {
          clearTimeout(timer);
          resolveReady(JSON.parse(line.slice(9)) as { httpUrl: string; mqttPort: number });
        } else {
          lines.push(line);
          if (process.env.TEST_LOG_LEVEL) process.stderr.write(`${line}\n`);
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`platform child exited with ${code}: ${stderr.slice(-2000)}`)));
  });
  return {
    child,
    ...ready,
    lines,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}
