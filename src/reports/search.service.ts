import { invoiceScopeWhere } from '../../billing/index.js';
import type { SearchAnswer } from '../api-types/index.js';
import type { Principal } from '../auth/index.js';
import { contractWhere, customerWhere, deviceScopeWhere } from '../auth/index.js';
import type { Db } from '../platform/database.js';
import { containsText } from '../platform/text-match.js';
import { ticketScopeWhere } from '../service-desk/index.js';

/** `#1234`, `1234` or `T-1234`: the way people say a ticket's number. */
function ticketNumber(q: string): number | null {
  const m = /^(?:#|t-?)?(\d{1,9})$/i.exec(q);
  return m ? Number(m[1]) : null;
}

/**
 * One box for the whole platform: terminals by serial, label or address; customers by name,
 * e-mail, phone or a contact's name; tickets by number or subject; invoices and contracts by
 * number. Every section is limited by the same scope as its list, so a search never shows what
 * the list would not. Substring matches (in Latin or Chinese script) are answered by trigram
 * indexes; exact hits (a whole serial or number) come first.
 */
export function createSearchService({ db }: { db: Db }) {
  return {
    async search(actor: Principal, q: string, limit: number): Promise<SearchAnswer> {
      const number = ticketNumber(q);
      const [terminals, customers, tickets, invoices, contracts] = await Promise.all([
        db.device.findMany({
          where: {
            AND: [deviceScopeWhere(actor), { OR: [{ serial: containsText(q) }, { label: containsText(q) }, { address: containsText(q) }] }],
          },
          select: { serial: true, label: true, address: true, status: true, customerId: true },
          orderBy: { serial: 'asc' },
          take: limit * 4,
        }),
        db.customer.findMany({
          where: {
            AND: [
              customerWhere(actor),
              {
                OR: [
                  { name: containsText(q) },
                  { email: containsText(q) },
                  { phone: containsText(q) },
                  { contacts: { some: { OR: [{ name: containsText(q) }, { email: containsText(q) }, { phone: containsText(q) }] } } },
                ],
              },
            ],
          },
          select: { id: true, name: true, kind: true, status: true, city: true },
          orderBy: { name: 'asc' },
          take: limit * 4,
        }),
        db.ticket.findMany({
          where: { AND: [ticketScopeWhere(actor), { OR: [...(number !== null ? [{ number }] : []), { subject: containsText(q) }] }] },
          select: { id: true, number: true, subject: true, status: true, priority: true },
          orderBy: { createdAt: 'desc' },
          take: limit * 4,
        }),
        db.invoice.findMany({
          where: { AND: [invoiceScopeWhere(actor), { number: containsText(q) }] },
          select: {
            id: true,
            number: true,
            period: true,
            status: true,
            totalMinor: true,
            currency: true,
            customer: { select: { id: true, name: true } },
          },
          orderBy: { number: 'desc' },
          take: limit * 4,
        }),
        db.contract.findMany({
          where: { AND: [contractWhere(actor), { number: containsText(q) }] },
          select: { id: true, number: true, status: true, customer: { select: { id: true, name: true } } },
          orderBy: { number: 'desc' },
          take: limit * 4,
        }),
      ]);
      const owners = new Set(terminals.flatMap((d) => (d.customerId ? [d.customerId] : [])));
      const ownerNames = new Map(
        (owners.size ? await db.customer.findMany({ where: { id: { in: [...owners] } }, select: { id: true, name: true } }) : []).map(
          (c) => [c.id, c.name] as const,
        ),
      );
      const lower = q.toLowerCase();
      // Exact hits first, then prefix hits, then the rest in the order the query gave.
      const rank = <T>(rows: T[], key: (row: T) => string | null | undefined) =>
        rows
          .map((row, i) => {
            const k = (key(row) ?? '').toLowerCase();
            return { row, score: k === lower ? 0 : k.startsWith(lower) ? 1 : 2, i };
          })
          .sort((a, b) => a.score - b.score || a.i - b.i)
          .slice(0, limit)
          .map((r) => r.row);
      return {
        query: q,
        terminals: rank(terminals, (d) => d.serial).map((d) => ({
          serial: d.serial,
          label: d.label,
          address: d.address,
          status: d.status,
          customerName: d.customerId ? (ownerNames.get(d.customerId) ?? null) : null,
        })),
        customers: rank(customers, (c) => c.name),
        tickets: rank(tickets, (t) => (number !== null && t.number === number ? lower : t.subject)),
        invoices: rank(invoices, (i) => i.number).map((i) => ({
          id: i.id,
          number: i.number,
          period: i.period,
          status: i.status,
          totalMinor: Number(i.totalMinor),
          currency: i.currency,
          customerId: i.customer.id,
          customerName: i.customer.name,
        })),
        contracts: rank(contracts, (c) => c.number).map((c) => ({
          id: c.id,
          number: c.number,
          status: c.status,
          customerId: c.customer.id,
          customerName: c.customer.name,
        })),
      };
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;
