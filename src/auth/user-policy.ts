import type { Db } from '../platform/database.js';
import { invalid } from '../platform/errors.js';
import type { Role } from './principal.js';

export function isExternalRole(role: Role): boolean {
  return role === 'CONTRACTOR' || role === 'CUSTOMER';
}

/**
 * A user tied to a customer acts for it and may only be CONTRACTOR (for a contractor) or
 * CUSTOMER (for an end user); staff act for no customer. Anything else is a 400 naming the field.
 */
export async function assertRoleFitsCustomer(db: Pick<Db, 'customer'>, role: Role, customerId: string | null): Promise<void> {
  if (!isExternalRole(role)) {
    if (customerId) {
      throw invalid('Users tied to a customer can only be CONTRACTOR or CUSTOMER', [
        { path: 'role', message: 'Staff roles act for no customer' },
      ]);
    }
    return;
  }
  if (!customerId)
    throw invalid('Contractor and customer users need a customerId', [{ path: 'customerId', message: 'Required for this role' }]);
  const customer = await db.customer.findUnique({ where: { id: customerId } });
  if (!customer || (role === 'CONTRACTOR') !== (customer.kind === 'CONTRACTOR')) {
    throw invalid('customerId does not fit the role', [
      { path: 'customerId', message: role === 'CONTRACTOR' ? 'Not a contractor' : 'Not an end user' },
    ]);
  }
}
