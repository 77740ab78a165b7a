// Shapes of API answers that the web console reads. Pure types with no imports, so the console
// type-checks against the very types the server code is written to: a change on one side that
// the other does not follow fails `tsc` instead of the screen.

/** A shape as JSON carries it (what the console receives): Dates become ISO strings. */
export type Json<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

/** What the browser receives for one domain event: enough to draw the feed, map and counters. */
export interface LiveEvent {
  id: string;
  type: string;
  at: string;
  customerId: string | null;
  serial: string | null;
  label: string | null;
  category: string | null;
  kind: string | null;
  /** Fault severity 0-3, or ticket priority. */
  severity: string | number | null;
  faultCode: number | null;
  lat: number | null;
  lon: number | null;
  /** One short human-readable line (ticket subject, invoice number, offline reason...). */
  text: string | null;
}

/**
 * Management KPIs for one billing period (a calendar month in the operator's time zone).
 * Definitions, so finance and sales read the same numbers:
 * - new customers: end users created in the period; churned: end users whose churnedAt is in it;
 * - churn rate: churned / end users active at the period start, in basis points (half-up);
 * - ARPU: invoiced subtotal (before tax) of the period / customers invoiced, minor units, half-up;
 * - collection score: share of invoices due in the period that were paid in full by their due date, bp;
 * - terminals by status: now; messages per day: uplinks per operator-local day of the period;
 * - open tickets and SLA breaches by group: now.
 * Shares are integers in basis points so the numbers are exact and comparable.
 */
export interface PeriodKpis {
  period: string;
  newCustomers: number;
  churnedCustomers: number;
  activeCustomersAtStart: number;
  churnRateBp: number;
  invoicedCustomers: number;
  revenueMinor: number;
  arpuMinor: number;
  invoicesDue: number;
  invoicesPaidOnTime: number;
  collectionScoreBp: number;
  terminalsByStatus: Record<string, number>;
  messagesPerDay: { day: string; messages: number }[];
  ticketsByGroup: { group: string; open: number; firstResponseBreached: number; resolutionBreached: number }[];
}

export interface CustomerValue {
  customerId: string;
  name: string;
  revenueMinor: number;
  commissionMinor: number;
  marginMinor: number;
  invoices: number;
  paidOnTimeBp: number;
  valueSegment: 'HIGH' | 'MEDIUM' | 'LOW';
  paymentBehaviour: 'RELIABLE' | 'IRREGULAR' | 'POOR' | 'NO_HISTORY';
}

/** Terminals of one device category (or all) by state. */
export interface CategoryCount {
  total: number;
  inService: number;
  online: number;
  byStatus: Record<string, number>;
}

/** A terminal with an open fault ticket. */
export interface FaultyTerminal {
  serial: string | null;
  label: string | null;
  faultCode: number | null;
  priority: string;
  ticketId: string;
  ticketNumber: number;
  subject: string;
  since: Date;
}

/** GET /overview: the network at a glance, scoped to the caller. */
export interface NetworkOverview {
  generatedAt: string;
  terminals: { total: number; inService: number; online: number; byCategory: Record<string, CategoryCount> };
  /** Uplinks per minute, the last 60 whole minutes and the current one, oldest first. */
  messagesPerMinute: { minute: string; count: number }[];
  silent: { count: number; items: { serial: string; label: string | null; category: string; lastSeenAt: Date | null }[] };
  faulty: { count: number; items: FaultyTerminal[] };
  openTickets: { total: number; byPriority: Record<string, number> };
  incidents: { count: number; items: { id: string; kind: string; title: string; startedAt: Date; silentTerminals: number }[] };
}

/** GET /overview: the network, and for staff the background loops with work that stopped advancing. */
export interface OverviewAnswer extends NetworkOverview {
  stalledLoops: StalledLoop[];
}

export interface StalledLoop {
  loop: string;
  lastProgressAt: Date | null;
  pendingAgeSec: number | null;
}

/** One line of an invoice (or of a preview, which has no position). */
export interface InvoiceLineAnswer {
  position?: number;
  kind: string;
  description: string;
  quantity: number;
  unitPriceMicros: number;
  amountMinor: number;
}

/** An invoice as GET /invoices and /invoices/{id} answer it; money in minor units (fen). */
export interface InvoiceAnswer {
  id: string;
  number: string | null;
  contractId: string;
  customerId: string;
  billingRunId: string | null;
  period: string;
  currency: string;
  status: string;
  subtotalMinor: number;
  taxMinor: number;
  totalMinor: number;
  paidMinor: number;
  creditedMinor: number;
  balanceMinor: number;
  issuedAt: Date | null;
  dueAt: Date | null;
  paidAt: Date | null;
  createdAt: Date;
  lines?: InvoiceLineAnswer[];
}

/** A billing run with its progress. */
export interface BillingRunAnswer {
  id: string;
  period: string;
  status: string;
  totalContracts: number;
  processedContracts: number;
  failedContracts: number;
  invoicesCreated: number;
  /** Contracts processed, in whole percent. */
  percent: number;
  error: string | null;
  createdById: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
}

/** What the one search box found, each section limited to the caller's scope. */
export interface SearchAnswer {
  query: string;
  terminals: { serial: string; label: string | null; address: string | null; status: string; customerName: string | null }[];
  customers: { id: string; name: string; kind: string; status: string; city: string | null }[];
  tickets: { id: string; number: number; subject: string; status: string; priority: string }[];
  invoices: {
    id: string;
    number: string | null;
    period: string;
    status: string;
    totalMinor: number;
    currency: string;
    customerId: string;
    customerName: string;
  }[];
  contracts: { id: string; number: string; status: string; customerId: string; customerName: string }[];
}

/** One message of the outgoing mail log (GET /outgoing-mail). */
export interface OutgoingMailAnswer {
  id: string;
  /** invoice, reminder, usage-alert, page */
  kind: string;
  customerId: string | null;
  from: string;
  to: string | null;
  subject: string;
  /** File names of the attachments. */
  attachments: string[];
  /** QUEUED (waiting or between attempts), SENT, FAILED (attempts exhausted), NO_RECIPIENT */
  status: string;
  attempts: number;
  lastError: string | null;
  /** smtp or file (.eml under the mail directory, when no SMTP server is configured) */
  transport: string | null;
  messageId: string | null;
  sentAt: Date | null;
  createdAt: Date;
}
