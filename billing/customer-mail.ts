// What billing tells customers by e-mail: each issued invoice (its PDF attached), each dunning
// reminder and each usage alert goes to the customer's billing contact. Driven by billing's own
// events (invoice.issued, invoice.overdue, contract.usage_threshold) in the worker role, so a
// message exists only for a change that committed, and issuing a run's 20k invoices never waits
// for PDFs or SMTP. The mail log's dedupKey makes an event handed over twice mail once.
//
// The billing contact: the customer's contact marked `isBilling` with an e-mail address, else
// its primary contact with one, else the customer's own address; with none the message is
// logged as NO_RECIPIENT, so finance sees whom to ask for an address.
import type { EventEnvelope } from '../src/events/index.js';
import { createBatcher } from '../src/platform/batcher.js';
import type { Db } from '../src/platform/database.js';
import type { MailOutbox, OutgoingMailInput } from '../src/platform/mail-outbox.js';

export const INVOICE_PDF = 'invoice-pdf';
export const MAILED_EVENTS = ['invoice.issued', 'invoice.overdue', 'contract.usage_threshold'] as const;

interface Recipient {
  name: string;
  to: string | null;
}

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : '');

/** 12345 fen in CNY -> "CNY 123.45" (exact, from the integer). */
export function formatAmount(minor: unknown, currency: unknown): string {
  const s = str(minor);
  if (!/^-?\d+$/.test(s)) return `${str(currency)} ?`;
  const v = BigInt(s);
  const a = v < 0n ? -v : v;
  return `${str(currency)} ${v < 0n ? '-' : ''}${(a / 100n).toLocaleString('en-US')}.${String(a % 100n).padStart(2, '0')}`;
}

export function createCustomerMail(d: { db: Db; mail: Pick<MailOutbox, 'enqueue'>; from: string }) {
  const { db } = d;

  async function recipients(customerIds: string[]): Promise<Map<string, Recipient>> {
    const ids = [...new Set(customerIds)];
    const [customers, contacts] = await Promise.all([
      db.customer.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, email: true } }),
      db.contact.findMany({
        where: { customerId: { in: ids }, email: { not: null } },
        orderBy: [{ isBilling: 'desc' }, { isPrimary: 'desc' }, { createdAt: 'asc' }],
        select: { customerId: true, email: true },
      }),
    ]);
    const out = new Map<string, Recipient>();
    for (const c of customers) out.set(c.id, { name: c.name, to: c.email });
    // Contacts come best first: the first one seen for a customer wins over its own address.
    const seen = new Set<string>();
    for (const c of contacts) {
      const r = out.get(c.customerId);
      if (r && !seen.has(c.customerId) && c.email) {
        seen.add(c.customerId);
        r.to = c.email;
      }
    }
    return out;
  }

  function compose(e: EventEnvelope, r: Recipient): OutgoingMailInput | null {
    const p = e.payload;
    const base = { customerId: e.customerId, from: d.from, to: r.to };
    if (e.type === 'invoice.issued') {
      const number = str(p.number);
      return {
        ...base,
        dedupKey: `invoice.issued:${str(p.invoiceId)}`,
        kind: 'invoice',
        subject: `Invoice ${number} for ${str(p.period)}: ${formatAmount(p.totalMinor, p.currency)}`,
        text:
          `Dear ${r.name},\n\nplease find attached invoice ${number} for ${str(p.period)} ` +
          `(${formatAmount(p.totalMinor, p.currency)}).\n\nNexsphere billing\n`,
        attachments: [{ kind: INVOICE_PDF, id: str(p.invoiceId), filename: `${number}.pdf` }],
      };
    }
    if (e.type === 'invoice.overdue') {
      const number = str(p.number);
      return {
        ...base,
        dedupKey: `invoice.overdue:${str(p.invoiceId)}:${str(p.level)}`,
        kind: 'reminder',
        subject: `Payment reminder: invoice ${number} is ${str(p.daysOverdue)} days overdue`,
        text:
          `Dear ${r.name},\n\nour records show invoice ${number} unpaid, ${str(p.daysOverdue)} days past its due date, ` +
          `with ${formatAmount(p.balanceMinor, p.currency)} open. Please pay it, or tell us if you already have.\n\n` +
          `A copy of the invoice is attached.\n\nNexsphere billing\n`,
        attachments: [{ kind: INVOICE_PDF, id: str(p.invoiceId), filename: `${number}.pdf` }],
      };
    }
    if (e.type === 'contract.usage_threshold') {
      return {
        ...base,
        dedupKey: `usage:${str(p.contractId)}:${str(p.period)}:${str(p.threshold)}`,
        kind: 'usage-alert',
        subject: `Usage alert: contract ${str(p.contractNumber)} has used ${str(p.threshold)}% of its allowance for ${str(p.period)}`,
        text:
          `Dear ${r.name},\n\nyour terminals on contract ${str(p.contractNumber)} have used ${str(p.usedUnits)} of the ` +
          `${str(p.allowanceUnits)} message units included this month (${str(p.period)}), ${str(p.threshold)}% or more. ` +
          `Units above the allowance are billed at your plan's overage prices.\n\nNexsphere billing\n`,
      };
    }
    return null;
  }

  // Events of one job arrive together (a run issues thousands): one lookup and one insert for them all.
  const mailBatch = createBatcher<EventEnvelope, number>(
    async (events) => {
      const who = await recipients(events.flatMap((e) => (e.customerId ? [e.customerId] : [])));
      const mails = events.flatMap((e) => {
        const r = e.customerId ? who.get(e.customerId) : undefined;
        const m = r ? compose(e, r) : null;
        return m ? [m] : [];
      });
      await d.mail.enqueue(mails);
      return events.map(() => 0);
    },
    { maxBatch: 200, maxInFlight: 2 },
  );

  return {
    /** The events consumer's handler (worker role). */
    async onEvent(e: EventEnvelope): Promise<void> {
      if (!(MAILED_EVENTS as readonly string[]).includes(e.type) || !e.customerId) return;
      await mailBatch(e);
    },
  };
}
