// Manual contract status changes (CRM's contract service) reach the gateway the same way
// dunning's do: an event in the changing transaction, then a credential invalidation.
import type { ContractStatusChange } from '../src/crm/index.js';
import type { Prisma } from '../src/platform/database.js';
import type { CredentialInvalidator } from './dunning.service.js';
import type { EventEmitter } from './invoice-issuer.js';

export function contractStatusHooks(deps: { events: () => EventEmitter; credentials: () => CredentialInvalidator }) {
  return {
    async onStatusChanged(change: ContractStatusChange, tx: Prisma.TransactionClient): Promise<void> {
      const type =
        change.to === 'SUSPENDED' ? 'contract.suspended' : change.to === 'TERMINATED' ? 'contract.terminated' : change.to === 'ACTIVE' && change.from === 'SUSPENDED' ? 'contract.reactivated' : null;
      if (!type) return;
      await deps.events().emit(tx, [{ type, customerId: change.customerId, deviceId: null, payload: { contractId: change.contractId, from: change.from, to: change.to, reason: change.reason } }]);
    },
    async afterStatusChanged(change: ContractStatusChange): Promise<void> {
      await deps.credentials().invalidate({ contractIds: [change.contractId] });
    },
  };
}
