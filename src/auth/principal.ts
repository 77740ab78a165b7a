import type { Role } from '../../prisma/generated/enums.js';

export type { Role };

/** Who is making a request, after authentication. */
export interface Principal {
  userId: string;
  role: Role;
  /** For CONTRACTOR and CUSTOMER: the customer record they act for. */
  customerId: string | null;
  via: 'session' | 'api-key';
  /** For API keys: what the key may do within the user's rights (`<family>:read|write`); unset for sessions. */
  scopes?: readonly string[];
}

export const STAFF_ROLES: readonly Role[] = ['ADMIN', 'OPS', 'SERVICE', 'REPAIR', 'SYSTEM', 'FINANCE', 'SALES'];
export const ALL_ROLES: readonly Role[] = [...STAFF_ROLES, 'CONTRACTOR', 'CUSTOMER'];

export function isStaff(p: Principal): boolean {
  return STAFF_ROLES.includes(p.role);
}

/**
 * The customers a principal may see: null means all (staff). Contractors see themselves and
 * the end users they manage; end users see only themselves.
 */
export type CustomerScope = null | { contractorId: string } | { customerId: string };

export function customerScope(p: Principal): CustomerScope {
  if (isStaff(p)) return null;
  if (!p.customerId) return { customerId: '00000000-0000-0000-0000-000000000000' };
  return p.role === 'CONTRACTOR' ? { contractorId: p.customerId } : { customerId: p.customerId };
}
