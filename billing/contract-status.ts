// Every contract status change (a person's through the CRM, dunning's through the same CRM
// contract service) reaches the gateway one way: an event in the changing transaction, then a
// credential invalidation after commit.
import type { ContractStatusChange } from '../src/crm/index.js';
import type { Prisma } from '../src/platform/database.js';
import type { EventEmitter } from './invoice-issuer.js';

export interface CredentialInvalidator {
  /** Makes every gateway drop cached credentials of these contracts' terminals (Redis pub/sub). */
  invalidate(change: { contractIds: string[] }): Promise<void>;
}

export function contractStatusHooks(deps: { events: () => EventEmitter; credentials: () => CredentialInvalidator }) {
  return {
    async onStatusChanged(change: ContractStatusChange, tx: Prisma.TransactionClient): Promise<void> {
      const type =
        change.to === 'SUSPENDED'
          ? 'contract.suspended'
          : change.to === 'TERMINATED'
            ? 'contract.terminated'
            : change.to === 'ACTIVE' && change.from === 'SUSPENDED'
              ? 'contract.reactivated'
              : null;
      if (!type) return;
      await deps.events().emit(tx, [
        {
          type,
          customerId: change.customerId,
          deviceId: null,
          payload: {
            ...change.detail,
            contractId: change.contractId,
            number: change.number,
            from: change.from,
            to: change.to,
            reason: change.reason,
          },
        },
      ]);
    },
    async afterStatusChanged(change: ContractStatusChange): Promise<void> {
      await deps.credentials().invalidate({ contractIds: [change.contractId] });
    },
  };
}
