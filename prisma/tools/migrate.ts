// npm run db:migrate
// Applies pending prisma/migrations to DATABASE_URL (the offline stand-in for
// `prisma migrate deploy`), creating the database first if it does not exist.
import { applyMigrations, ensureDatabase } from './engine.ts';
import { databaseUrl, migrationsDir } from './paths.ts';

const where = new URL(databaseUrl);
const target = `${where.host}${where.pathname}`; // printed without credentials
const applied = await (async () => {
  if (await ensureDatabase(databaseUrl)) console.log(`created database ${target}`);
  return applyMigrations({ connectionString: databaseUrl, migrationsDir });
})().catch((err: Error) => {
  console.error(`db:migrate failed on ${target}: ${err.message}`);
  process.exit(1);
});
if (applied.length === 0) console.log(`${target}: already up to date`);
for (const name of applied) console.log(`${target}: applied ${name}`);
