import type { Prisma } from '../platform/database.js';
import type { Principal } from './principal.js';
import { customerScope } from './principal.js';

// Every helper returns `{ AND: [...] }` so that its result can only narrow a query: spread
// next to `{ id }` or `{ customerId }` it adds a condition instead of replacing the caller's
// key (a scope `{ id: own }` spread over `{ id: requested }` used to answer with one's own row).

/** Prisma `where` on Customer limiting rows to what the principal may see. */
export function customerWhere(p: Principal): { AND: Prisma.CustomerWhereInput[] } {
  const scope = customerScope(p);
  if (scope === null) return { AND: [] };
  if ('contractorId' in scope) return { AND: [{ OR: [{ id: scope.contractorId }, { contractorId: scope.contractorId }] }] };
  return { AND: [{ id: scope.customerId }] };
}

/** Prisma `where` on records that belong to a customer (contracts, contacts, devices, invoices...). */
export function ownedByCustomerWhere(p: Principal): { AND: { customer?: Prisma.CustomerWhereInput }[] } {
  const scope = customerScope(p);
  if (scope === null) return { AND: [] };
  return { AND: [{ customer: customerWhere(p) }] };
}

/**
 * Prisma `where` on Contract: a contractor sees the contracts of its end users and those it
 * is named on; an end user sees its own.
 */
export function contractWhere(p: Principal): { AND: Prisma.ContractWhereInput[] } {
  const scope = customerScope(p);
  if (scope === null) return { AND: [] };
  if ('contractorId' in scope)
    return { AND: [{ OR: [{ contractorId: scope.contractorId }, { customer: { contractorId: scope.contractorId } }] }] };
  return { AND: [{ customerId: scope.customerId }] };
}

/** Prisma `where` on Device: contractors see the units they maintain, end users their own. */
export function deviceScopeWhere(p: Principal): { AND: Prisma.DeviceWhereInput[] } {
  const scope = customerScope(p);
  if (scope === null) return { AND: [] };
  if ('contractorId' in scope) return { AND: [{ contractorId: scope.contractorId }] };
  return { AND: [{ customerId: scope.customerId }] };
}
