import { randomBytes } from 'node:crypto';
import type { DeviceService } from '../../devices/index.js';
import type { AuditService } from '../audit/index.js';
import type { Ctx } from '../auth/index.js';
import { customerWhere } from '../auth/index.js';
import type { Db, Prisma } from '../platform/database.js';
import { AppError, conflict, invalid, notFound } from '../platform/errors.js';
import { page, pageArgs } from '../platform/pagination.js';
import type { OrderInput } from './order.schemas.js';

type OrderRow = NonNullable<Awaited<ReturnType<Db['order']['findUnique']>>>;

const view = (o: OrderRow & { deviceModel?: { code: string } }) => ({
  ...o,
  unitPriceMinor: Number(o.unitPriceMinor),
  totalMinor: Number(o.unitPriceMinor) * o.quantity,
  model: o.deviceModel?.code,
  deviceModel: undefined,
});

/**
 * Orders for terminals (rent or buy). Fulfilment allocates terminals of the ordered model
 * from stock to a contract by provisioning them, and hands their secrets back once. It can
 * run in several steps when stock is short: the order stays CONFIRMED until all are allocated.
 */
/** Billing's one-off charges: a BUY order's equipment price is owed for each unit allocated. */
export interface EquipmentBilling {
  recordEquipment(
    tx: Prisma.TransactionClient,
    sale: { contractId: string; orderId: string; orderNumber: string; model: string; quantity: number; unitPriceMinor: bigint },
  ): Promise<void>;
}

export function createOrderService({
  db,
  audit,
  devices,
  billing,
}: {
  db: Db;
  audit: AuditService;
  devices: DeviceService;
  billing?: EquipmentBilling;
}) {
  async function visible(ctx: Ctx, id: string) {
    const row = await db.order.findFirst({
      where: { AND: [{ id }, { customer: customerWhere(ctx.actor) }] },
      include: { deviceModel: { select: { code: true } } },
    });
    if (!row) throw notFound('Order');
    return row;
  }

  async function transition(ctx: Ctx, id: string, from: OrderRow['status'][], to: OrderRow['status']) {
    const before = await visible(ctx, id);
    if (!from.includes(before.status)) throw conflict(`An order that is ${before.status} cannot become ${to}`);
    return db.$transaction(async (tx) => {
      const moved = await tx.order.updateMany({ where: { id, status: before.status }, data: { status: to } });
      if (moved.count !== 1) throw conflict('The order changed meanwhile; reload and retry');
      const after = await tx.order.findUniqueOrThrow({ where: { id }, include: { deviceModel: { select: { code: true } } } });
      await audit.record(
        {
          actor: ctx.actor,
          requestId: ctx.requestId,
          action: `order.${to.toLowerCase()}`,
          entityType: 'order',
          entityId: id,
          before,
          after,
        },
        tx,
      );
      return view(after);
    });
  }

  return {
    async get(ctx: Ctx, id: string) {
      return view(await visible(ctx, id));
    },

    async list(ctx: Ctx, filter: { customerId?: string; status?: OrderRow['status'] }, q: { limit: number; cursor?: string }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const rows = await db.order.findMany({
        where: { AND: [{ customer: customerWhere(ctx.actor) }, cursorWhere, { customerId: filter.customerId, status: filter.status }] },
        include: { deviceModel: { select: { code: true } } },
        orderBy,
        take,
      });
      return page(rows, q.limit, view);
    },

    async create(ctx: Ctx, input: OrderInput) {
      const customer = await db.customer.findFirst({
        where: { AND: [{ id: input.customerId, kind: 'END_USER' }, customerWhere(ctx.actor)] },
      });
      if (!customer) throw invalid('Unknown customer', [{ path: 'customerId', message: 'No such end user in your scope' }]);
      const model = await db.deviceModel.findUnique({ where: { code: input.model } });
      if (!model) throw invalid('Unknown device model', [{ path: 'model', message: `No device model ${input.model}` }]);
      if (input.contractId) {
        const contract = await db.contract.findUnique({ where: { id: input.contractId } });
        if (!contract || contract.customerId !== customer.id)
          throw invalid("The contract is not the customer's", [{ path: 'contractId', message: 'Not a contract of this customer' }]);
      }
      const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
      return db.$transaction(async (tx) => {
        const row = await tx.order.create({
          data: {
            number: `O-${day}-${randomBytes(3).toString('hex').toUpperCase()}`,
            customerId: customer.id,
            contractId: input.contractId ?? null,
            kind: input.kind,
            deviceModelId: model.id,
            quantity: input.quantity,
            unitPriceMinor: BigInt(input.unitPriceMinor),
            notes: input.notes ?? null,
          },
          include: { deviceModel: { select: { code: true } } },
        });
        await audit.record(
          { actor: ctx.actor, requestId: ctx.requestId, action: 'order.created', entityType: 'order', entityId: row.id, after: row },
          tx,
        );
        return view(row);
      });
    },

    confirm: (ctx: Ctx, id: string) => transition(ctx, id, ['NEW'], 'CONFIRMED'),
    cancel: (ctx: Ctx, id: string) => transition(ctx, id, ['NEW', 'CONFIRMED'], 'CANCELLED'),

    /** Allocates what stock allows; the secrets of the allocated terminals are returned only here. */
    async fulfil(ctx: Ctx, id: string, input: { contractId?: string }) {
      const order = await visible(ctx, id);
      if (order.status !== 'CONFIRMED') throw conflict(`Only a confirmed order can be fulfilled; this one is ${order.status}`);
      const contractId = input.contractId ?? order.contractId;
      if (!contractId)
        throw invalid('Name the contract to allocate to', [{ path: 'contractId', message: 'Required: the order has no contract' }]);
      const contract = await db.contract.findUnique({ where: { id: contractId } });
      if (!contract || contract.customerId !== order.customerId)
        throw invalid("The contract is not the customer's", [{ path: 'contractId', message: 'Not a contract of this customer' }]);
      if (contract.status !== 'ACTIVE') throw new AppError('conflict', `The contract is ${contract.status}`);

      const wanted = order.quantity - order.allocated;
      const allocated: { serial: string; secret: string }[] = [];
      // Candidates in serial order; one another fulfilment grabbed first is simply skipped.
      const candidates = await db.device.findMany({
        where: { deviceModelId: order.deviceModelId, status: 'IN_STOCK' },
        orderBy: { serial: 'asc' },
        take: wanted * 2 + 10,
        select: { serial: true },
      });
      for (const { serial } of candidates) {
        if (allocated.length === wanted) break;
        try {
          allocated.push(
            await devices.provision(ctx, serial, { contractId, label: `${order.number} #${order.allocated + allocated.length + 1}` }),
          );
        } catch (err) {
          if (!(err instanceof AppError && err.code === 'conflict')) throw err;
        }
      }
      const total = order.allocated + allocated.length;
      const done = total === order.quantity;
      const after = await db.$transaction(async (tx) => {
        const row = await tx.order.update({
          where: { id },
          data: { allocated: total, contractId, ...(done ? { status: 'FULFILLED', fulfilledAt: new Date() } : {}) },
          include: { deviceModel: { select: { code: true } } },
        });
        if (order.kind === 'BUY') {
          const { number: orderNumber, unitPriceMinor, deviceModel } = order;
          await billing?.recordEquipment(tx, {
            contractId,
            orderId: id,
            orderNumber,
            model: deviceModel.code,
            quantity: allocated.length,
            unitPriceMinor,
          });
        }
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: done ? 'order.fulfilled' : 'order.partially-allocated',
            entityType: 'order',
            entityId: id,
            before: order,
            after: { ...row, serials: allocated.map((a) => a.serial) },
          },
          tx,
        );
        return row;
      });
      return { order: view(after), terminals: allocated, missing: order.quantity - total };
    },
  };
}

export type OrderService = ReturnType<typeof createOrderService>;
