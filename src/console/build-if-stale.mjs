// Builds the web console when src/console/dist is missing or older than its sources, so
// `npm start` on a fresh clone serves a current console. Plain JS: it runs before tsx is needed.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const web = join(here, 'web');
const built = join(here, 'dist', 'index.html');

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** True when the console must be (re)built. */
export function isStale() {
  if (!existsSync(built)) return true;
  return newest(web) > statSync(built).mtimeMs;
}

export async function buildConsole() {
  const { build } = await import('vite');
  await build({ configFile: join(web, 'vite.config.ts'), logLevel: 'warn' });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes('--force');
  if (force || isStale()) {
    process.stdout.write('Building the web console (src/console/web -> src/console/dist)...\n');
    const started = Date.now();
    await buildConsole();
    process.stdout.write(`Web console built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}
