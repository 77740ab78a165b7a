import { z } from 'zod';

export const TICKET_STATUSES = [
  'NEW',
  'TRIAGED',
  'IN_PROGRESS',
  'WAITING_CUSTOMER',
  'ESCALATED',
  'VISIT_SCHEDULED',
  'RESOLVED',
  'CLOSED',
  'MERGED',
] as const;
export const TICKET_GROUPS = ['SERVICE_DESK', 'REPAIR', 'SYSTEM', 'FINANCE'] as const;
export const TICKET_PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'CRITICAL'] as const;
/** Statuses in which nobody has started work yet: automatic resolution may still close the ticket. */
export const UNTOUCHED_STATUSES = ['NEW', 'TRIAGED'] as const;
/** A ticket in one of these is finished; its dedupKey is released so the problem can open a new one. */
export const DONE_STATUSES = ['RESOLVED', 'CLOSED', 'MERGED'] as const;
/** Statuses of a ticket still being worked (the complement of DONE_STATUSES). */
export const WORKING_STATUSES = ['NEW', 'TRIAGED', 'IN_PROGRESS', 'WAITING_CUSTOMER', 'ESCALATED', 'VISIT_SCHEDULED'] as const;

export type TicketStatus = (typeof TICKET_STATUSES)[number];
export type TicketGroup = (typeof TICKET_GROUPS)[number];
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

const text = (max: number) => z.string().trim().min(1).max(max);

/** What a person sends to open a ticket; automatic tickets use `AutoTicketInput`. */
export const ticketInput = z.object({
  kind: z
    .string()
    .trim()
    .regex(/^[A-Z][A-Z0-9_]{1,39}$/, 'An upper-case kind such as GENERAL')
    .default('GENERAL'),
  subject: text(200),
  description: text(5_000).nullable().optional(),
  priority: z.enum(TICKET_PRIORITIES).default('NORMAL'),
  group: z.enum(TICKET_GROUPS).default('SERVICE_DESK'),
  customerId: z.string().uuid().nullable().optional(),
  /** The terminal the ticket is about, by serial or by id. */
  serial: z.string().trim().min(1).max(40).nullable().optional(),
  deviceId: z.string().uuid().nullable().optional(),
});
export type TicketInput = z.infer<typeof ticketInput>;

export const ticketPatch = z
  .object({
    status: z.enum(TICKET_STATUSES).exclude(['MERGED']),
    assigneeId: z.string().uuid().nullable(),
    group: z.enum(TICKET_GROUPS),
    priority: z.enum(TICKET_PRIORITIES),
    /** Why the status changed; kept in the ticket history (and as the resolution note on RESOLVED). */
    note: text(5_000),
  })
  .partial();
export type TicketPatch = z.infer<typeof ticketPatch>;

export const ticketFilter = z.object({
  status: z.enum(TICKET_STATUSES).optional(),
  /** `true` lists only tickets still being worked (not resolved, closed or merged). */
  open: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  group: z.enum(TICKET_GROUPS).optional(),
  priority: z.enum(TICKET_PRIORITIES).optional(),
  kind: z.string().max(40).optional(),
  customerId: z.string().uuid().optional(),
  deviceId: z.string().uuid().optional(),
  incidentId: z.string().uuid().optional(),
  assigneeId: z.string().uuid().optional(),
});
export type TicketFilter = z.infer<typeof ticketFilter>;

export const commentInput = z.object({
  body: text(10_000),
  /** Staff choose; a comment by a customer or contractor is always visible to the customer. */
  visibility: z.enum(['INTERNAL', 'CUSTOMER']).default('INTERNAL'),
});
export type CommentInput = z.infer<typeof commentInput>;

/** A ticket opened by the platform itself (watchdog, fault frames, incidents). */
export interface AutoTicketInput {
  kind: string;
  subject: string;
  description?: string | null;
  priority?: TicketPriority;
  group?: TicketGroup;
  customerId?: string | null;
  deviceId?: string | null;
  incidentId?: string | null;
  faultCode?: number | null;
  /** Safety-critical (fault table): 24x7 SLA whatever the tier. */
  safety?: boolean;
  /** When the problem arose, if earlier than now (a fault frame's receipt); the SLA clocks start there. */
  openedAt?: Date;
  /** One open ticket per key: a second create with the same key returns the open ticket. */
  dedupKey?: string | null;
}
