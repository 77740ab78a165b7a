// Production build: every module of the program transpiled to JavaScript under dist/, in the
// same tree as the sources, so paths resolved from import.meta.url (the console's files, the
// migrations) keep working. esbuild only strips types, one file at a time, in well under a
// second; `npm run typecheck` (part of `npm test`) is the type gate. Run: `npm run build`
// (`-- --out <dir>` to build elsewhere; that directory then needs node_modules beside it).

import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Folders holding the program's modules (prisma: the generated client, seed and migration engine). */
const SOURCES = ['src', 'gateway', 'devices', 'billing', 'prisma', 'simulators'];
/** Read at run time relative to the module that reads them; copied as they are. */
const ASSETS = ['prisma/migrations', 'src/console/dist'];

async function modules(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      // The console's web sources are built by vite into src/console/dist (an asset here).
      if (rel === path.join('src', 'console', 'web') || entry.name === 'node_modules' || entry.name === 'dist') continue;
      out.push(...(await modules(rel)));
    } else if (/\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name)) {
      out.push(rel);
    }
  }
  return out;
}

/**
 * Keeps every import as it is (each file is its own output, nothing is bundled) except that a
 * relative `./x.ts` becomes `./x.js`: the generated Prisma client imports with .ts extensions.
 */
const keepImports: Plugin = {
  name: 'keep-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const relative = args.path.startsWith('./') || args.path.startsWith('../');
      return { path: relative ? args.path.replace(/\.(m?)ts$/, '.$1js') : args.path, external: true };
    });
  },
};

export async function buildDist(outDir: string): Promise<{ modules: number; missing: string[] }> {
  const entryPoints = (await Promise.all(SOURCES.map(modules))).flat();
  await rm(outDir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints,
    outdir: outDir,
    outbase: '.',
    bundle: true,
    plugins: [keepImports],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  const missing: string[] = [];
  for (const asset of ASSETS) {
    const from = path.join(root, asset);
    if (!existsSync(from)) {
      missing.push(asset);
      continue;
    }
    await cp(from, path.join(outDir, asset), { recursive: true });
  }
  // dist/ can be shipped alone (with node_modules): it says it is ES modules and has one entry.
  await writeFile(path.join(outDir, 'package.json'), `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`);
  await writeFile(path.join(outDir, 'main.js'), "// node main.js <all|gateway|api|worker>\nimport './src/main.js';\n");
  return { modules: entryPoints.length, missing };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const outDir = path.resolve(at > 0 ? (process.argv[at + 1] ?? 'dist') : path.join(root, 'dist'));
  const started = Date.now();
  await mkdir(outDir, { recursive: true });
  const { modules: count, missing } = await buildDist(outDir);
  for (const asset of missing) process.stderr.write(`warning: ${asset} does not exist, not copied\n`);
  process.stdout.write(`Built ${count} modules into ${path.relative(process.cwd(), outDir) || '.'} in ${Date.now() - started} ms\n`);
}
