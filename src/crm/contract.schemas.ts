import { z } from 'zod';
import { dateInput } from '../platform/schemas.js';

export const CONTRACT_STATUSES = ['DRAFT', 'ACTIVE', 'SUSPENDED', 'TERMINATED'] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

export const contractInput = z
  .object({
    number: z
      .string()
      .trim()
      .regex(/^[A-Z0-9][A-Z0-9-]{2,39}$/, 'Upper-case letters, digits and dashes, 3 to 40 characters')
      .optional(),
    customerId: z.string().uuid(),
    contractorId: z.string().uuid().nullable().optional(),
    tariffPlanId: z.string().uuid(),
    startDate: dateInput,
    endDate: dateInput.nullable().optional(),
    // A contract is usually entered once signed; DRAFT holds it until someone activates it.
    status: z.enum(['DRAFT', 'ACTIVE']).default('ACTIVE'),
  })
  .refine((c) => !c.endDate || c.endDate >= c.startDate, { message: 'endDate must not be before startDate', path: ['endDate'] });
export type ContractInput = z.infer<typeof contractInput>;

export const contractPatch = z.object({
  tariffPlanId: z.string().uuid().optional(),
  /**
   * With tariffPlanId: the local day (operator time zone) the new plan applies from, today or
   * later (e.g. the 1st of next month); default today. Days before stay under the old plan.
   */
  effectiveFrom: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'A date YYYY-MM-DD')
    .optional(),
  endDate: dateInput.nullable().optional(),
  status: z.enum(CONTRACT_STATUSES).optional(),
  suspensionReason: z.string().trim().min(1).max(500).nullable().optional(),
});
export type ContractPatch = z.infer<typeof contractPatch>;

export const contractFilter = z.object({
  customerId: z.string().uuid().optional(),
  contractorId: z.string().uuid().optional(),
  status: z.enum(CONTRACT_STATUSES).optional(),
});
export type ContractFilter = z.infer<typeof contractFilter>;

/**
 * The contract lifecycle. Suspension is reversible (dunning suspends, payment reactivates);
 * termination is final and reachable from every state.
 */
export const CONTRACT_TRANSITIONS: Record<ContractStatus, readonly ContractStatus[]> = {
  DRAFT: ['ACTIVE', 'TERMINATED'],
  ACTIVE: ['SUSPENDED', 'TERMINATED'],
  SUSPENDED: ['ACTIVE', 'TERMINATED'],
  TERMINATED: [],
};
