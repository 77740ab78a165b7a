import type { Db } from '../platform/database.js';
import { notFound } from '../platform/errors.js';

export interface TimelineEntry {
  at: Date;
  kind: string;
  title: string;
  ref: { type: string; id: string };
  detail?: Record<string, unknown>;
}

/**
 * The customer 360 timeline: every contact and every major record of one customer on one
 * list, newest first. Each source is read newest-first up to `limit` before `before`, then
 * merged, so a page costs a handful of indexed queries whatever the customer's history.
 */
export function createTimelineService({ db }: { db: Db }) {
  return {
    async forCustomer(
      customerId: string,
      opts: { limit: number; before?: Date },
    ): Promise<{ items: TimelineEntry[]; nextBefore: string | null }> {
      const customer = await db.customer.findUnique({ where: { id: customerId }, select: { id: true } });
      if (!customer) throw notFound('Customer');
      const before = opts.before ?? new Date(8.64e15);
      const take = opts.limit;
      const [interactions, contracts, orders, devices, tickets, invoices, payments, requests] = await Promise.all([
        db.interaction.findMany({
          where: { customerId, occurredAt: { lt: before } },
          orderBy: { occurredAt: 'desc' },
          take,
          include: { user: { select: { name: true } } },
        }),
        db.contract.findMany({ where: { customerId, createdAt: { lt: before } }, orderBy: { createdAt: 'desc' }, take }),
        db.order.findMany({ where: { customerId, createdAt: { lt: before } }, orderBy: { createdAt: 'desc' }, take }),
        db.device.findMany({ where: { customerId, provisionedAt: { lt: before } }, orderBy: { provisionedAt: 'desc' }, take }),
        db.ticket.findMany({ where: { customerId, createdAt: { lt: before } }, orderBy: { createdAt: 'desc' }, take }),
        db.invoice.findMany({ where: { customerId, issuedAt: { lt: before } }, orderBy: { issuedAt: 'desc' }, take }),
        db.payment.findMany({ where: { customerId, receivedAt: { lt: before } }, orderBy: { receivedAt: 'desc' }, take }),
        // Requests asked or decided before `before`: both moments are on the timeline.
        db.commercialRequest.findMany({
          where: { customerId, OR: [{ createdAt: { lt: before } }, { decidedAt: { lt: before } }] },
          orderBy: { createdAt: 'desc' },
          take,
        }),
      ]);
      const entries: TimelineEntry[] = [
        ...requests.flatMap((r) => commercialRequestEntries(r).filter((e) => e.at < before)),
        ...interactions.map((i) => ({
          at: i.occurredAt,
          kind: `interaction.${i.kind.toLowerCase()}`,
          title: i.subject,
          ref: { type: 'interaction', id: i.id },
          detail: { by: i.user.name, body: i.body },
        })),
        ...contracts.map((c) => ({
          at: c.createdAt,
          kind: 'contract.created',
          title: `Contract ${c.number} (${c.status.toLowerCase()})`,
          ref: { type: 'contract', id: c.id },
        })),
        ...orders.map((o) => ({
          at: o.createdAt,
          kind: 'order.created',
          title: `Order ${o.number}: ${o.quantity} terminals to ${o.kind.toLowerCase()} (${o.status.toLowerCase()})`,
          ref: { type: 'order', id: o.id },
        })),
        ...devices.map((d) => ({
          at: d.provisionedAt!,
          kind: 'device.provisioned',
          title: `Terminal ${d.serial}${d.label ? ` "${d.label}"` : ''} provisioned`,
          ref: { type: 'device', id: d.id },
          detail: { status: d.status },
        })),
        ...tickets.map((t) => ({
          at: t.createdAt,
          kind: 'ticket.created',
          title: `Ticket #${t.number}: ${t.subject}`,
          ref: { type: 'ticket', id: t.id },
          detail: { status: t.status, priority: t.priority },
        })),
        ...invoices.map((i) => ({
          at: i.issuedAt!,
          kind: 'invoice.issued',
          title: `Invoice ${i.number ?? ''} for ${i.period}`,
          ref: { type: 'invoice', id: i.id },
          detail: { totalMinor: Number(i.totalMinor), currency: i.currency, status: i.status },
        })),
        ...payments.map((p) => ({
          at: p.receivedAt,
          kind: 'payment.received',
          title: `Payment ${p.reference}`,
          ref: { type: 'payment', id: p.id },
          detail: { amountMinor: Number(p.amountMinor), currency: p.currency },
        })),
      ];
      entries.sort((a, b) => b.at.getTime() - a.at.getTime());
      const items = entries.slice(0, take);
      // Entries older than the last one shown may be missing from this merge: the next page starts there.
      const last = items[items.length - 1];
      return { items, nextBefore: entries.length > take && last ? last.at.toISOString() : null };
    },
  };
}

export type TimelineService = ReturnType<typeof createTimelineService>;

const TERM_LABELS: Record<string, (v: unknown) => string> = {
  tier: (v) => `tier ${String(v)}`,
  paymentTermsDays: (v) => `payment terms ${String(v)} days`,
};

/** A commercial request shows twice: when it was asked for, and when it was decided. */
function commercialRequestEntries(r: {
  id: string;
  changes: unknown;
  before: unknown;
  reason: string;
  status: string;
  decisionNote: string | null;
  createdAt: Date;
  decidedAt: Date | null;
}): TimelineEntry[] {
  const changes = (r.changes ?? {}) as Record<string, unknown>;
  const was = (r.before ?? {}) as Record<string, unknown>;
  const asked = Object.entries(changes)
    .map(([term, value]) => `${TERM_LABELS[term]?.(was[term]) ?? term} → ${TERM_LABELS[term]?.(value) ?? String(value)}`)
    .join(', ');
  const ref = { type: 'commercial_request', id: r.id };
  const entries: TimelineEntry[] = [
    {
      at: r.createdAt,
      kind: 'commercial_request.created',
      title: `Commercial change requested: ${asked}`,
      ref,
      detail: { reason: r.reason },
    },
  ];
  if (r.decidedAt) {
    entries.push({
      at: r.decidedAt,
      kind: `commercial_request.${r.status.toLowerCase()}`,
      title: `Commercial change ${r.status.toLowerCase()}: ${asked}`,
      ref,
      detail: { note: r.decisionNote },
    });
  }
  return entries;
}
