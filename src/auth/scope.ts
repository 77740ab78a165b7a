import type { Principal } from './principal.js';
import { customerScope } from './principal.js';

/** Prisma `where` on Customer limiting rows to what the principal may see. */
export function customerWhere(p: Principal) {
  const scope = customerScope(p);
  if (scope === null) return {};
  if ('contractorId' in scope) return { OR: [{ id: scope.contractorId }, { contractorId: scope.contractorId }] };
  return { id: scope.customerId };
}

/** Prisma `where` on records that belong to a customer (contracts, contacts, devices, invoices...). */
export function ownedByCustomerWhere(p: Principal) {
  const scope = customerScope(p);
  if (scope === null) return {};
  return { customer: customerWhere(p) };
}

/**
 * Prisma `where` on Contract: a contractor sees the contracts of its end users and those it
 * is named on; an end user sees its own.
 */
export function contractWhere(p: Principal) {
  const scope = customerScope(p);
  if (scope === null) return {};
  if ('contractorId' in scope) return { OR: [{ contractorId: scope.contractorId }, { customer: { contractorId: scope.contractorId } }] };
  return { customerId: scope.customerId };
}

/** Prisma `where` on Device: contractors see the units they maintain, end users their own. */
export function deviceScopeWhere(p: Principal) {
  const scope = customerScope(p);
  if (scope === null) return {};
  if ('contractorId' in scope) return { contractorId: scope.contractorId };
  return { customerId: scope.customerId };
}
