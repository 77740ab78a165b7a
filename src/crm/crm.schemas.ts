import { z } from 'zod';
import { patchOf } from '../platform/schemas.js';

const optionalText = (max: number) => z.string().trim().min(1).max(max).nullable().optional();

export const CUSTOMER_TIERS = ['STANDARD', 'SILVER', 'GOLD', 'PLATINUM'] as const;

export const customerInput = z.object({
  kind: z.enum(['END_USER', 'CONTRACTOR']),
  name: z.string().trim().min(1).max(200),
  segment: optionalText(100),
  tier: z.enum(CUSTOMER_TIERS).default('STANDARD'),
  email: z.string().email().max(200).nullable().optional(),
  phone: optionalText(50),
  taxId: optionalText(50),
  addressLine: optionalText(300),
  city: optionalText(100),
  postalCode: optionalText(20),
  country: z.string().length(2).default('CN'),
  contractorId: z.string().uuid().nullable().optional(),
  commissionRateBp: z.number().int().min(0).max(10_000).nullable().optional(),
  paymentTermsDays: z.number().int().min(0).max(365).default(30),
});
export type CustomerInput = z.infer<typeof customerInput>;
export const customerPatch = patchOf(customerInput.omit({ kind: true })).extend({
  status: z.enum(['ACTIVE', 'CHURNED']).optional(),
});
export type CustomerPatch = z.infer<typeof customerPatch>;

export const customerFilter = z.object({
  kind: z.enum(['END_USER', 'CONTRACTOR']).optional(),
  contractorId: z.string().uuid().optional(),
  status: z.enum(['ACTIVE', 'CHURNED']).optional(),
  q: z.string().max(100).optional(),
});

export const contactInput = z.object({
  name: z.string().trim().min(1).max(200),
  title: optionalText(100),
  email: z.string().email().max(200).nullable().optional(),
  phone: optionalText(50),
  isPrimary: z.boolean().default(false),
  /** The billing contact: invoices, payment reminders and usage alerts are e-mailed to them (one per customer). */
  isBilling: z.boolean().default(false),
  // E-mails about the customer's tickets (opened, status changes, public replies, resolved).
  ticketEmails: z.boolean().default(false),
});
export type ContactInput = z.infer<typeof contactInput>;
export const contactPatch = patchOf(contactInput);

/** The customer (or staff for them) turns a contact's ticket e-mails on or off. */
export const ticketEmailsInput = z.object({ enabled: z.boolean() }).strict();
