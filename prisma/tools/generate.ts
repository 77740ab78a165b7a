// npm run db:generate (also postinstall): `prisma generate` for prisma/schema.prisma, offline.
// The prisma CLI downloads its native schema-engine binary before any command and fails
// without network; generate never runs that binary, so pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file (node itself) skips the download.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot, schemaPath } from './paths.ts';

if (!existsSync(schemaPath)) {
  // postinstall must not fail on a checkout that has no schema yet.
  console.log(`db:generate: ${path.relative(repoRoot, schemaPath)} not found, nothing to generate`);
  process.exit(0);
}

const cli = path.join(path.dirname(createRequire(import.meta.url).resolve('prisma/package.json')), 'build/index.js');
const result = spawnSync(process.execPath, [cli, 'generate', '--schema', schemaPath], {
  cwd: repoRoot,
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    CHECKPOINT_DISABLE: '1', // no telemetry request (no network here anyway)
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
process.exit(result.status ?? 1);
