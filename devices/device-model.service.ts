import type { AuditService } from '../src/audit/index.js';
import type { Ctx } from '../src/auth/index.js';
import type { Db } from '../src/platform/database.js';
import { conflict, isUniqueViolation, notFound } from '../src/platform/errors.js';
import { page, pageArgs } from '../src/platform/pagination.js';
import type { DeviceModelInput, DeviceModelPatch } from './device-model.schemas.js';

export interface DeviceModelDeps {
  db: Db;
  audit: AuditService;
  /**
   * Called after a model changes (limits, codec, interval). The gateway caches model settings
   * per terminal; it can drop them here so new limits apply without waiting for a TTL.
   */
  onChanged?: (modelId: string) => Promise<void>;
}

export function createDeviceModelService({ db, audit, onChanged }: DeviceModelDeps) {
  async function load(id: string) {
    const row = await db.deviceModel.findUnique({ where: { id } });
    if (!row) throw notFound('Device model');
    return row;
  }

  return {
    get: (id: string) => load(id),

    async getByCode(code: string) {
      const row = await db.deviceModel.findUnique({ where: { code } });
      if (!row) throw notFound('Device model');
      return row;
    },

    async list(filter: { category?: 'VEHICLE' | 'ELEVATOR' | 'STREETLIGHT' }, q: { limit: number; cursor?: string }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const rows = await db.deviceModel.findMany({ where: { AND: [cursorWhere, { category: filter.category }] }, orderBy, take });
      return page(rows, q.limit);
    },

    async create(ctx: Ctx, input: DeviceModelInput) {
      try {
        return await db.$transaction(async (tx) => {
          const row = await tx.deviceModel.create({ data: input });
          await audit.record(
            {
              actor: ctx.actor,
              requestId: ctx.requestId,
              action: 'device-model.created',
              entityType: 'device-model',
              entityId: row.id,
              after: row,
            },
            tx,
          );
          return row;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`Device model ${input.code} already exists`);
        throw err;
      }
    },

    async update(ctx: Ctx, id: string, patch: DeviceModelPatch) {
      const before = await load(id);
      const row = await db.$transaction(async (tx) => {
        const updated = await tx.deviceModel.update({ where: { id }, data: patch });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'device-model.updated',
            entityType: 'device-model',
            entityId: id,
            before,
            after: updated,
          },
          tx,
        );
        return updated;
      });
      await onChanged?.(id);
      return row;
    },

    /** Only a model nothing refers to can go; otherwise terminals, orders and articles would dangle. */
    async remove(ctx: Ctx, id: string) {
      const before = await load(id);
      const [devices, orders, articles] = await Promise.all([
        db.device.count({ where: { deviceModelId: id } }),
        db.order.count({ where: { deviceModelId: id } }),
        db.knowledgeArticle.count({ where: { deviceModelId: id } }),
      ]);
      if (devices + orders + articles > 0)
        throw conflict(`Device model ${before.code} is in use (${devices} terminals, ${orders} orders, ${articles} articles)`);
      await db.$transaction(async (tx) => {
        await tx.deviceModel.delete({ where: { id } });
        await audit.record(
          { actor: ctx.actor, requestId: ctx.requestId, action: 'device-model.deleted', entityType: 'device-model', entityId: id, before },
          tx,
        );
      });
      await onChanged?.(id);
    },
  };
}

export type DeviceModelService = ReturnType<typeof createDeviceModelService>;
