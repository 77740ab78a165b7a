// API shape of a contractor's commission for a period, frozen in a statement or not (id null).
import type { CommissionStatement } from '../prisma/generated/client.js';
import { n } from './money.js';

type CommissionFacts = Pick<CommissionStatement, 'contractorId' | 'period' | 'collectedMinor' | 'rateBp' | 'amountMinor'> & {
  id?: string;
  createdAt?: Date;
};

export function commissionView(c: CommissionFacts) {
  return {
    id: c.id ?? null,
    contractorId: c.contractorId,
    period: c.period,
    collectedMinor: n(c.collectedMinor),
    rateBp: c.rateBp,
    amountMinor: n(c.amountMinor),
    createdAt: c.createdAt ?? null,
  };
}
