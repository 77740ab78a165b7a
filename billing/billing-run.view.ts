// API shape of a billing run: the row plus its progress in percent.
import type { BillingRun } from '../prisma/generated/client.js';
import type { BillingRunAnswer } from '../src/api-types/index.js';

export function billingRunView(r: BillingRun): BillingRunAnswer {
  return {
    ...r,
    percent: r.totalContracts ? Math.floor((r.processedContracts * 100) / r.totalContracts) : r.status === 'COMPLETED' ? 100 : 0,
  };
}
export type BillingRunView = ReturnType<typeof billingRunView>;
