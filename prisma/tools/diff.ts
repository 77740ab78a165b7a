// npm run db:diff -- <name>
// Writes prisma/migrations/<YYYYMMDDHHMMSS>_<name>/migration.sql with the SQL that takes the
// committed migrations to prisma/schema.prisma (the offline stand-in for
// `prisma migrate dev --create-only`). DATABASE_URL only names a server to host the
// temporary shadow database; nothing in it is changed.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { diffSql, ensureLockfile } from './engine.ts';
import { databaseUrl, migrationsDir, repoRoot, schemaPath } from './paths.ts';

const name = (process.argv[2] ?? '').trim();
if (!/^[A-Za-z0-9_]+$/.test(name)) {
  console.error('usage: npm run db:diff -- <name>   (letters, digits and _ only)');
  process.exit(2);
}
if (!existsSync(schemaPath)) {
  console.error(`no schema at ${path.relative(repoRoot, schemaPath)}`);
  process.exit(1);
}

await ensureLockfile(migrationsDir);
const sql = await diffSql({ connectionString: databaseUrl, schemaPath, migrationsDir }).catch((err: Error) => {
  console.error(`db:diff failed: ${err.message}`);
  process.exit(1);
});
if (!sql) {
  console.log('no changes: prisma/schema.prisma matches prisma/migrations');
} else {
  // UTC timestamp, the format `prisma migrate dev` uses, so directories sort by creation.
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const dir = path.join(migrationsDir, `${stamp}_${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'migration.sql'), sql);
  console.log(`wrote ${path.relative(repoRoot, dir)}/migration.sql (${sql.split('\n').length} lines)`);
}
