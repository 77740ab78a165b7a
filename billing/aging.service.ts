// The receivables aging report: open balances (after credit applied) by days past due, per
// customer, with the credit each customer holds in that currency beside it.
import type { Ctx } from '../src/auth/index.js';
import { ownedByCustomerWhere } from '../src/auth/index.js';
import type { Db } from '../src/platform/database.js';
import { daysOverdue } from './dunning.service.js';
import { balanceOf, n } from './money.js';
import { DEFAULT_CURRENCY } from './payment.service.js';

const BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'] as const;
type Bucket = (typeof BUCKETS)[number];

export function agingBucket(daysPastDue: number): Bucket {
  if (daysPastDue <= 0) return 'current';
  if (daysPastDue <= 30) return '1-30';
  if (daysPastDue <= 60) return '31-60';
  if (daysPastDue <= 90) return '61-90';
  return '90+';
}

export function createAgingService({ db }: { db: Db }) {
  return {
    /**
     * Open balances by days past due, in one currency: amounts in different currencies never add
     * up. Without `currency`, the one with the most open invoices; `currencies` lists every
     * currency with open balances, so a reader can ask for the others. In total and per customer;
     * `creditMinor` is unapplied customer credit, `netMinor` what is owed after it.
     */
    async aging(ctx: Ctx, asOf: Date = new Date(), currency?: string) {
      const scope = ownedByCustomerWhere(ctx.actor);
      const all = await db.invoice.findMany({
        where: { AND: [scope, { status: 'ISSUED' }] },
        select: {
          id: true,
          customerId: true,
          totalMinor: true,
          paidMinor: true,
          creditedMinor: true,
          dueAt: true,
          currency: true,
          customer: { select: { name: true } },
        },
      });
      const open = all.filter((r) => balanceOf(r) > 0n);
      const counts = new Map<string, number>();
      for (const r of open) counts.set(r.currency, (counts.get(r.currency) ?? 0) + 1);
      const currencies = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c);
      const shown = currency ?? currencies[0] ?? DEFAULT_CURRENCY;
      const rows = open.filter((r) => r.currency === shown);
      const credits = await db.creditEntry.groupBy({
        by: ['customerId'],
        where: { AND: [scope, { currency: shown, remainingMinor: { gt: 0 } }] },
        _sum: { remainingMinor: true },
      });
      const zero = (): Record<Bucket, bigint> => ({ current: 0n, '1-30': 0n, '31-60': 0n, '61-90': 0n, '90+': 0n });
      const total = zero();
      const perCustomer = new Map<string, { name: string; buckets: Record<Bucket, bigint>; invoices: number; credit: bigint }>();
      for (const r of rows) {
        const balance = balanceOf(r);
        const bucket = agingBucket(r.dueAt ? daysOverdue(r.dueAt, asOf) : 0);
        total[bucket] += balance;
        const c = perCustomer.get(r.customerId) ?? { name: r.customer.name, buckets: zero(), invoices: 0, credit: 0n };
        c.buckets[bucket] += balance;
        c.invoices++;
        perCustomer.set(r.customerId, c);
      }
      // Customers in credit with nothing open are listed too: the credit is a liability.
      const withCredit = credits.filter((c) => (c._sum.remainingMinor ?? 0n) > 0n);
      const names = new Map(
        (
          await db.customer.findMany({
            where: { id: { in: withCredit.map((c) => c.customerId).filter((id) => !perCustomer.has(id)) } },
            select: { id: true, name: true },
          })
        ).map((c) => [c.id, c.name]),
      );
      let creditTotal = 0n;
      for (const c of withCredit) {
        const amount = c._sum.remainingMinor ?? 0n;
        creditTotal += amount;
        const entry = perCustomer.get(c.customerId) ?? { name: names.get(c.customerId) ?? '', buckets: zero(), invoices: 0, credit: 0n };
        entry.credit = amount;
        perCustomer.set(c.customerId, entry);
      }
      const out = (b: Record<Bucket, bigint>) => Object.fromEntries(BUCKETS.map((k) => [k, n(b[k])])) as Record<Bucket, number>;
      const sum = (b: Record<Bucket, bigint>) => BUCKETS.reduce((s, k) => s + b[k], 0n);
      return {
        asOf,
        currency: shown,
        currencies,
        buckets: out(total),
        totalMinor: n(sum(total)),
        creditMinor: n(creditTotal),
        netMinor: n(sum(total) - creditTotal),
        customers: [...perCustomer.entries()]
          .map(([customerId, c]) => ({
            customerId,
            name: c.name,
            invoices: c.invoices,
            buckets: out(c.buckets),
            totalMinor: n(sum(c.buckets)),
            creditMinor: n(c.credit),
            netMinor: n(sum(c.buckets) - c.credit),
          }))
          .sort((a, b) => b.totalMinor - a.totalMinor || a.creditMinor - b.creditMinor),
      };
    },
  };
}

export type AgingService = ReturnType<typeof createAgingService>;
