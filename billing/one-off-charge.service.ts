// One-off charges and credits: equipment sold in a BUY order (recorded by the order's
// fulfilment, in its transaction), and fees or credits entered by finance with a reason.
// Each goes on the contract's next invoice as its own line (invoice drafting marks it).

import type { AuditService } from '../src/audit/index.js';
import type { Ctx } from '../src/auth/index.js';
import { contractWhere } from '../src/auth/index.js';
import type { Db, Prisma } from '../src/platform/database.js';
import { notFound } from '../src/platform/errors.js';
import type { OneOffChargeInput } from './billing.schemas.js';

export interface EquipmentSale {
  contractId: string;
  orderId: string;
  orderNumber: string;
  model: string;
  quantity: number;
  unitPriceMinor: bigint;
}

type ChargeRow = NonNullable<Awaited<ReturnType<Db['oneOffCharge']['findUnique']>>>;

export const oneOffChargeView = (c: ChargeRow) => ({
  id: c.id,
  contractId: c.contractId,
  kind: c.kind,
  description: c.description,
  quantity: c.quantity,
  unitPriceMinor: Number(c.unitPriceMinor),
  amountMinor: Number(c.unitPriceMinor) * c.quantity,
  reason: c.reason,
  orderId: c.orderId,
  at: c.at,
  /** The period whose invoice carries it; null until invoiced. */
  billedPeriod: c.billedPeriod,
});

export function createOneOffChargeService({ db, audit }: { db: Db; audit: AuditService }) {
  async function visibleContract(ctx: Ctx, id: string) {
    const row = await db.contract.findFirst({ where: { AND: [{ id }, contractWhere(ctx.actor)] }, select: { id: true } });
    if (!row) throw notFound('Contract');
    return row;
  }

  return {
    /** Called by an order's fulfilment, in its transaction: the allocated units' equipment price. */
    async recordEquipment(tx: Prisma.TransactionClient, sale: EquipmentSale): Promise<void> {
      if (sale.quantity <= 0 || sale.unitPriceMinor === 0n) return;
      await tx.oneOffCharge.create({
        data: {
          contractId: sale.contractId,
          kind: 'EQUIPMENT',
          description: `Equipment ${sale.model} x ${sale.quantity} (order ${sale.orderNumber})`,
          quantity: sale.quantity,
          unitPriceMinor: sale.unitPriceMinor,
          orderId: sale.orderId,
        },
      });
    },

    async create(ctx: Ctx, contractId: string, input: OneOffChargeInput) {
      await visibleContract(ctx, contractId);
      return db.$transaction(async (tx) => {
        const row = await tx.oneOffCharge.create({
          data: {
            contractId,
            kind: input.kind,
            description: input.description,
            quantity: input.quantity,
            unitPriceMinor: BigInt(input.unitPriceMinor),
            reason: input.reason,
            createdById: ctx.actor.userId,
          },
        });
        const view = oneOffChargeView(row);
        const action = input.unitPriceMinor < 0 ? 'contract.credit-added' : 'contract.charge-added';
        await audit.record(
          { actor: ctx.actor, requestId: ctx.requestId, action, entityType: 'contract', entityId: contractId, after: view },
          tx,
        );
        return view;
      });
    },

    async list(ctx: Ctx, contractId: string) {
      await visibleContract(ctx, contractId);
      const rows = await db.oneOffCharge.findMany({ where: { contractId }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: 500 });
      return { items: rows.map(oneOffChargeView) };
    },
  };
}

export type OneOffChargeService = ReturnType<typeof createOneOffChargeService>;
