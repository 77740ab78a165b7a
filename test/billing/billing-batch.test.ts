import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/app/container.js';
import { addUsage, createContract, createCustomer, createOracleTariff, createTerminal, waitFor } from '../helpers/billing.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

// A run drafts many contracts per transaction (issuer.draftMany). These check that batching
// changes nothing a contract sees: the same amounts as issuing it alone, an already invoiced
// contract left exactly as it was, and one contract's failure confined to that contract.
let sys: TestSystem;
let s: Services;
let planId: string;

beforeAll(async () => {
  sys = await startTestSystem('all');
  s = sys.services;
  planId = (await createOracleTariff(s)).id;
});

afterAll(async () => {
  await sys?.stop();
});

/** A contract with the oracle's terminals and September usage, scaled by `k` so contracts differ. */
async function oracleContract(name: string, k: number) {
  const customer = await createCustomer(s, { name });
  const contract = await createContract(s, { customerId: customer.id, tariffPlanId: planId });
  const t1 = await createTerminal(s, contract, `${name}-T1`, new Date('2026-08-03T02:00:00Z'));
  const t2 = await createTerminal(s, contract, `${name}-T2`, new Date('2026-09-12T02:00:00Z'));
  await addUsage(s, t1, '2026-09-01', 1000 * k, 64, 20 * k);
  await addUsage(s, t1, '2026-09-15', 700 * k, 130, 3);
  await addUsage(s, t2, '2026-09-20', 400 * k, 100);
  return { contract, t1, t2 };
}

const billedColumns = (contractId: string) =>
  s.db.usageCounter.findMany({
    where: { contractId },
    select: { deviceId: true, day: true, upUnits: true, billedUpUnits: true, downMessages: true, billedDownMessages: true },
    orderBy: [{ deviceId: 'asc' }, { day: 'asc' }],
  });

/** The invoice's lines, terminal serials (random per test terminal) left out of the descriptions. */
const linesOf = async (invoiceId: string) =>
  (await s.db.invoiceLine.findMany({ where: { invoiceId }, orderBy: { position: 'asc' } })).map((l) => [
    l.kind,
    l.description.replace(/^Rental \S+:/, 'Rental <serial>:'),
    l.quantity,
    l.unitPriceMicros,
    l.amountMinor,
  ]);

describe('batched drafting in a run', () => {
  it('invoices each contract as issuing it alone would, and leaves an already invoiced one untouched', async () => {
    // Twins: the same data twice; one of each pair is issued alone before the run, as the reference.
    const pairs = [];
    for (const k of [1, 2, 3])
      pairs.push({ alone: await oracleContract(`Alone-${k}`, k), batched: await oracleContract(`Batched-${k}`, k) });
    const reference = [];
    for (const p of pairs) {
      const out = await s.billing.issuer.issue(p.alone.contract.id, '2026-09', null);
      expect(out.kind).toBe('created');
      reference.push(
        await s.db.invoice.findUniqueOrThrow({ where: { contractId_period: { contractId: p.alone.contract.id, period: '2026-09' } } }),
      );
    }
    // Usage recorded after the first one's invoice: the run must neither mark it nor invoice it again.
    const first = pairs[0]!.alone;
    await addUsage(s, first.t1, '2026-09-25', 300, 64, 4);
    const marksBefore = await billedColumns(first.contract.id);
    const aloneBefore = await s.db.invoice.findMany({
      where: { period: '2026-09' },
      include: { lines: { orderBy: { position: 'asc' } } },
      orderBy: { id: 'asc' },
    });

    const { run } = await s.billing.billingRuns.start({ actor: null }, '2026-09');
    const done = await waitFor(async () => {
      const r = await s.db.billingRun.findUniqueOrThrow({ where: { id: run.id } });
      return r.status === 'COMPLETED' || r.status === 'FAILED' ? r : null;
    });
    expect(done).toMatchObject({ status: 'COMPLETED', totalContracts: 6, processedContracts: 6, invoicesCreated: 3, failedContracts: 0 });

    // A batch of all six (a retried or rerun batch) finds every invoice and marks nothing.
    const again = await s.billing.issuer.draftMany(
      '2026-09',
      run.id,
      pairs.flatMap((p) => [p.alone.contract.id, p.batched.contract.id]),
    );
    expect(again.map((r) => (r.status === 'fulfilled' ? r.value.kind : 'rejected'))).toEqual(Array(6).fill('exists'));

    // The invoices issued alone are exactly as they were, and so are the late usage's marks.
    const aloneAfter = await s.db.invoice.findMany({
      where: { id: { in: aloneBefore.map((i) => i.id) } },
      include: { lines: { orderBy: { position: 'asc' } } },
      orderBy: { id: 'asc' },
    });
    expect(aloneAfter).toEqual(aloneBefore);
    expect(await billedColumns(first.contract.id)).toEqual(marksBefore);
    expect(marksBefore.some((c) => c.upUnits > c.billedUpUnits)).toBe(true);

    for (const [i, p] of pairs.entries()) {
      const inv = await s.db.invoice.findUniqueOrThrow({
        where: { contractId_period: { contractId: p.batched.contract.id, period: '2026-09' } },
      });
      const ref = reference[i]!;
      expect(inv).toMatchObject({
        status: 'ISSUED',
        billingRunId: run.id,
        subtotalMinor: ref.subtotalMinor,
        taxMinor: ref.taxMinor,
        totalMinor: ref.totalMinor,
      });
      expect(await linesOf(inv.id)).toEqual(await linesOf(ref.id));
      // Every unit of the batched contract is marked billed, once.
      expect(
        (await billedColumns(p.batched.contract.id)).every((c) => c.billedUpUnits === c.upUnits && c.billedDownMessages === c.downMessages),
      ).toBe(true);
    }
    // k = 1 by hand: 2 terminals, one from 12 September (19 of 30 days): rental 29.90, proration
    // 29.90 x 19/30 = 18.9367 -> 18.94, activation 50.00; allowance 1000 x 49/30 = 1633.3 -> 1633;
    // 1000 + 700 x 3 + 400 x 2 = 3,900 units, 2,267 over: 2000 x 0.012 = 24.00 and
    // 267 x 0.0085 = 2.2695 -> 2.27; 23 downlinks x 0.0333 = 0.7659 -> 0.77. Subtotal 125.88,
    // tax 6% 7.5528 -> 7.55, total 133.43.
    expect(reference[0]).toMatchObject({ subtotalMinor: 12588n, taxMinor: 755n, totalMinor: 13343n });
  });

  it('confines a failing contract to itself: the batch falls back to drafting each contract alone', async () => {
    const ok1 = await oracleContract('Fallback-1', 1);
    const raced = await oracleContract('Fallback-2', 2);
    const ok2 = await oracleContract('Fallback-3', 3);
    const idle = await createContract(s, { customerId: (await createCustomer(s, { name: 'Idle Ltd' })).id, tariffPlanId: planId });
    const run = await s.db.billingRun.create({ data: { period: '2026-10', status: 'RUNNING', totalContracts: 4 } });
    for (const c of [ok1, raced, ok2]) await addUsage(s, c.t1, '2026-10-02', 10, 64, 1);

    // Another run drafts `raced` concurrently: its insert is not committed when the batch loads
    // and marks, so the batch's own insert of that invoice waits on the unique index, then fails.
    const other = new pg.Client({ connectionString: sys.databaseUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      const { rows } = await other.query<{ id: string }>(
        `INSERT INTO "Invoice" ("id", "contractId", "customerId", "period", "currency", "status", "updatedAt")
         VALUES (gen_random_uuid(), $1, $2, '2026-10', 'CNY', 'DRAFT', now()) RETURNING "id"`,
        [raced.contract.id, raced.contract.customerId],
      );
      const batch = s.billing.issuer.draftMany('2026-10', run.id, [ok1.contract.id, raced.contract.id, idle.id, ok2.contract.id]);
      await waitFor(
        async () => {
          // The batch is waiting for this transaction (on the unique index of Invoice).
          const waiting = await other.query(`SELECT 1 FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))`);
          return waiting.rowCount ? true : null;
        },
        10_000,
        20,
      );
      await other.query('COMMIT');
      const results = await batch;

      expect(results.map((r) => (r.status === 'fulfilled' ? r.value.kind : 'rejected'))).toEqual(['created', 'exists', 'empty', 'created']);
      expect(results[1]).toMatchObject({ status: 'fulfilled', value: { kind: 'exists', invoiceId: rows[0]!.id, billingRunId: null } });
    } finally {
      await other.end();
    }
    // The raced contract's usage stays unbilled for whoever owns its invoice; the others are billed.
    expect(
      (await billedColumns(raced.contract.id)).filter((c) => c.day >= new Date('2026-10-01')).every((c) => c.billedUpUnits === 0),
    ).toBe(true);
    for (const c of [ok1, ok2]) {
      const inv = await s.db.invoice.findUniqueOrThrow({ where: { contractId_period: { contractId: c.contract.id, period: '2026-10' } } });
      expect(inv).toMatchObject({ status: 'DRAFT', billingRunId: run.id, number: null });
      // October is billed; September never had an invoice for them, so it stays unbilled.
      const marks = await billedColumns(c.contract.id);
      expect(marks.filter((u) => u.day >= new Date('2026-10-01')).every((u) => u.billedUpUnits === u.upUnits)).toBe(true);
      expect(marks.filter((u) => u.day < new Date('2026-10-01')).every((u) => u.billedUpUnits === 0)).toBe(true);
    }
    expect(await s.db.invoice.count({ where: { contractId: idle.id } })).toBe(0);
  });
});
