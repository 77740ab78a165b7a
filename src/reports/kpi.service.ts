import { periodBounds, shiftPeriod } from '../../billing/index.js';
import type { CustomerValue, PeriodKpis } from '../api-types/index.js';
import type { Db } from '../platform/database.js';

export type { CustomerValue, PeriodKpis };

/** a/b in basis points, rounded half-up, in integers. */
export function shareBp(a: number | bigint, b: number | bigint): number {
  const num = BigInt(a) * 10_000n;
  const den = BigInt(b);
  if (den === 0n) return 0;
  return Number((num * 2n + den) / (2n * den));
}

/** Integer division rounded half-up (non-negative operands). */
function divHalfUp(a: bigint, b: bigint): bigint {
  return b === 0n ? 0n : (a * 2n + b) / (2n * b);
}

export function createKpiService({ db, timeZone }: { db: Db; timeZone: string }) {
  return {
    async forPeriod(period: string): Promise<PeriodKpis> {
      const { start, end, firstDay, endDay } = periodBounds(period, timeZone);
      const endUser = { kind: 'END_USER' as const };
      const [newCustomers, churnedCustomers, activeAtStart, invoiceAgg, due, terminalRows, perDay, tickets] = await Promise.all([
        db.customer.count({ where: { ...endUser, createdAt: { gte: start, lt: end } } }),
        db.customer.count({ where: { ...endUser, churnedAt: { gte: start, lt: end } } }),
        db.customer.count({ where: { ...endUser, createdAt: { lt: start }, OR: [{ churnedAt: null }, { churnedAt: { gte: start } }] } }),
        db.invoice.groupBy({ by: ['customerId'], where: { period, status: { not: 'VOID' } }, _sum: { subtotalMinor: true } }),
        db.invoice.findMany({
          where: { dueAt: { gte: start, lt: end }, status: { not: 'VOID' } },
          select: { paidAt: true, dueAt: true, status: true },
        }),
        db.device.groupBy({ by: ['status'], _count: { _all: true } }),
        db.usageCounter.groupBy({
          by: ['day'],
          where: { day: { gte: firstDay, lt: endDay } },
          _sum: { upMessages: true },
          orderBy: { day: 'asc' },
        }),
        db.ticket.groupBy({
          by: ['group', 'firstResponseBreached', 'resolutionBreached'],
          where: { status: { notIn: ['RESOLVED', 'CLOSED', 'MERGED'] } },
          _count: { _all: true },
        }),
      ]);
      const revenue = invoiceAgg.reduce((s, r) => s + (r._sum.subtotalMinor ?? 0n), 0n);
      const paidOnTime = due.filter((i) => i.status === 'PAID' && i.paidAt && i.dueAt && i.paidAt <= i.dueAt).length;
      const groups = new Map<string, { group: string; open: number; firstResponseBreached: number; resolutionBreached: number }>();
      for (const t of tickets) {
        const g = groups.get(t.group) ?? { group: t.group, open: 0, firstResponseBreached: 0, resolutionBreached: 0 };
        g.open += t._count._all;
        if (t.firstResponseBreached) g.firstResponseBreached += t._count._all;
        if (t.resolutionBreached) g.resolutionBreached += t._count._all;
        groups.set(t.group, g);
      }
      return {
        period,
        newCustomers,
        churnedCustomers,
        activeCustomersAtStart: activeAtStart,
        churnRateBp: shareBp(churnedCustomers, activeAtStart),
        invoicedCustomers: invoiceAgg.length,
        revenueMinor: Number(revenue),
        arpuMinor: Number(divHalfUp(revenue, BigInt(invoiceAgg.length))),
        invoicesDue: due.length,
        invoicesPaidOnTime: paidOnTime,
        collectionScoreBp: shareBp(paidOnTime, due.length),
        terminalsByStatus: Object.fromEntries(terminalRows.map((r) => [r.status, r._count._all])),
        messagesPerDay: perDay.map((d) => ({ day: d.day.toISOString().slice(0, 10), messages: d._sum.upMessages ?? 0 })),
        ticketsByGroup: [...groups.values()].sort((a, b) => a.group.localeCompare(b.group)),
      };
    },

    /**
     * Customer value over the 12 periods ending with `period`: revenue (invoiced subtotal),
     * margin = revenue - the managing contractor's commission on it (rate x revenue, half-up),
     * and payment behaviour from the share of invoices paid in full by the due date.
     * Segments: HIGH = top fifth by revenue, MEDIUM = next three tenths, LOW = the rest;
     * RELIABLE >= 90% on time, IRREGULAR >= 60%, POOR below, NO_HISTORY without invoices due or paid.
     */
    async customerValue(period: string): Promise<CustomerValue[]> {
      const from = shiftPeriod(period, -11);
      const invoices = await db.invoice.findMany({
        where: { period: { gte: from, lte: period }, status: { not: 'VOID' }, customer: { kind: 'END_USER' } },
        select: {
          customerId: true,
          subtotalMinor: true,
          status: true,
          paidAt: true,
          dueAt: true,
          customer: { select: { name: true, contractor: { select: { commissionRateBp: true } } } },
        },
      });
      const now = new Date();
      const byCustomer = new Map<
        string,
        { name: string; rateBp: number; revenue: bigint; invoices: number; due: number; onTime: number }
      >();
      for (const inv of invoices) {
        const c = byCustomer.get(inv.customerId) ?? {
          name: inv.customer.name,
          rateBp: inv.customer.contractor?.commissionRateBp ?? 0,
          revenue: 0n,
          invoices: 0,
          due: 0,
          onTime: 0,
        };
        c.revenue += inv.subtotalMinor;
        c.invoices += 1;
        // An invoice counts once it is due or paid: a customer who pays before the due date has a
        // history (of paying on time), not none.
        const paid = inv.status === 'PAID' && inv.paidAt !== null;
        if (paid || (inv.dueAt && inv.dueAt <= now)) {
          c.due += 1;
          if (paid && (!inv.dueAt || inv.paidAt! <= inv.dueAt)) c.onTime += 1;
        }
        byCustomer.set(inv.customerId, c);
      }
      const rows = [...byCustomer.entries()].sort((a, b) =>
        b[1].revenue > a[1].revenue ? 1 : b[1].revenue < a[1].revenue ? -1 : a[0].localeCompare(b[0]),
      );
      const n = rows.length;
      return rows.map(([customerId, c], rank) => {
        const commission = divHalfUp(c.revenue * BigInt(c.rateBp), 10_000n);
        const onTimeBp = shareBp(c.onTime, c.due);
        return {
          customerId,
          name: c.name,
          revenueMinor: Number(c.revenue),
          commissionMinor: Number(commission),
          marginMinor: Number(c.revenue - commission),
          invoices: c.invoices,
          paidOnTimeBp: onTimeBp,
          valueSegment: rank < Math.ceil(n * 0.2) ? 'HIGH' : rank < Math.ceil(n * 0.5) ? 'MEDIUM' : 'LOW',
          paymentBehaviour: c.due === 0 ? 'NO_HISTORY' : onTimeBp >= 9000 ? 'RELIABLE' : onTimeBp >= 6000 ? 'IRREGULAR' : 'POOR',
        };
      });
    },
  };
}

export type KpiService = ReturnType<typeof createKpiService>;
