// "One module owns each table": every write to a table (Prisma's write calls, or raw
// INSERT/UPDATE/DELETE) sits in its owning folder. Others reach a table through the owner's
// services, or, on the gateway's hot path, through the SQL fragments the owner exports.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The owner of each table; ARCHITECTURE.md carries the same list. */
const OWNERS: Record<string, string> = {
  User: 'src/auth',
  Session: 'src/auth',
  ApiKey: 'src/auth',
  AuditLog: 'src/audit',
  IdempotencyRecord: 'src/platform',
  OutgoingMail: 'src/platform',
  Customer: 'src/crm',
  Contact: 'src/crm',
  Lead: 'src/crm',
  Interaction: 'src/crm',
  Contract: 'src/crm',
  CommercialRequest: 'src/crm',
  Order: 'src/crm',
  TariffPlan: 'billing',
  TariffTier: 'billing',
  DeviceModel: 'devices',
  Device: 'devices',
  DeviceSession: 'devices',
  Message: 'devices',
  DownlinkCommand: 'devices',
  UsageCounter: 'billing',
  Ticket: 'src/service-desk',
  TicketEvent: 'src/service-desk',
  KnowledgeArticle: 'src/service-desk',
  Incident: 'devices/health',
  IncidentDevice: 'devices/health',
  OutboxEvent: 'src/events',
  WebhookEndpoint: 'src/webhooks',
  WebhookDelivery: 'src/webhooks',
  WebhookAttempt: 'src/webhooks',
  BillingRun: 'billing',
  InvoiceNumberSequence: 'billing',
  Invoice: 'billing',
  InvoiceLine: 'billing',
  Payment: 'billing',
  CreditNote: 'billing',
  DunningNotice: 'billing',
  CommissionStatement: 'billing',
  ServiceEvent: 'billing',
  OneOffCharge: 'billing',
  PaymentAllocation: 'billing',
  CreditEntry: 'billing',
  BankStatement: 'billing',
  BankStatementLine: 'billing',
  UsageAlert: 'billing',
  OnCallShift: 'src/notifications',
  Page: 'src/notifications',
  Notification: 'src/notifications',
  AlarmRule: 'devices/health',
  Alarm: 'devices/health',
};

const folderOf = (path: string) =>
  /^(src\/[^/]+|devices\/health|gateway\/codecs|prisma\/[^/]+)\//.exec(path)?.[1] ?? path.split('/')[0] ?? path;

/** Every (table, folder, file) write found in product code. */
function writesIn(files: { path: string; text: string }[], models: string[]) {
  const byClient = new Map(models.map((m) => [m[0]?.toLowerCase() + m.slice(1), m]));
  const found: { table: string; folder: string; file: string }[] = [];
  for (const { path, text } of files) {
    for (const m of text.matchAll(/\.(\w+)\.(?:create|createMany|createManyAndReturn|update|updateMany|upsert|delete|deleteMany)\(/g)) {
      const table = byClient.get(m[1] ?? '');
      if (table) found.push({ table, folder: folderOf(path), file: path });
    }
    for (const m of text.matchAll(/(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?/g)) {
      if (models.includes(m[1] ?? '')) found.push({ table: m[1] ?? '', folder: folderOf(path), file: path });
    }
  }
  return found;
}

describe('table ownership', () => {
  const models = [...readFileSync('prisma/schema.prisma', 'utf8').matchAll(/^model (\w+)/gm)].map((m) => m[1] ?? '');
  // The demo seed loads fixtures into an empty database once; it is data, not a module.
  const product = execFileSync('git', ['ls-files', '*.ts'], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !f.startsWith('test/') && !f.endsWith('.test.ts') && !f.startsWith('prisma/'));

  it('names an owner for every table', () => {
    expect(models.filter((m) => !OWNERS[m])).toEqual([]);
  });

  it('has every table written only by its owner', () => {
    const writes = writesIn(
      product.map((path) => ({ path, text: readFileSync(path, 'utf8') })),
      models,
    );
    expect(writes.length).toBeGreaterThan(50);
    const strays = writes
      .filter((w) => OWNERS[w.table] !== w.folder)
      .map((w) => `${w.table} written in ${w.file} (owner ${OWNERS[w.table]})`);
    expect([...new Set(strays)]).toEqual([]);
  });

  it('catches a stray writer', () => {
    const writes = writesIn(
      [{ path: 'gateway/x.ts', text: 'await tx.query(`UPDATE "Device" SET x = 1`); db.usageCounter.upsert({})' }],
      models,
    );
    expect(writes.map((w) => w.table).sort()).toEqual(['Device', 'UsageCounter']);
  });
});
