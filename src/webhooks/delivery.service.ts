import type { WebhookAttempt, WebhookDelivery } from '../../prisma/generated/client.js';
import type { AuditService } from '../audit/index.js';
import { ownedByCustomerWhere } from '../auth/index.js';
import type { Db } from '../platform/database.js';
import { conflict, notFound } from '../platform/errors.js';
import { page, pageArgs } from '../platform/pagination.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { Ctx, EndpointService } from './endpoint.service.js';

function publicDelivery(d: WebhookDelivery) {
  return {
    id: d.id,
    endpointId: d.endpointId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attemptCount: d.attemptCount,
    nextAttemptAt: d.nextAttemptAt,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    succeededAt: d.succeededAt,
    batchId: d.batchId,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

function publicAttempt(a: WebhookAttempt) {
  return {
    attemptNo: a.attemptNo,
    statusCode: a.statusCode,
    latencyMs: a.latencyMs,
    error: a.error,
    responseSnippet: a.responseSnippet,
    batchId: a.batchId,
    createdAt: a.createdAt,
  };
}

/** The delivery log and the manual levers on it: replay one, recover all failed since a time. */
export function createDeliveryService({
  db,
  audit,
  endpoints,
  deliveries,
}: {
  db: Db;
  audit: AuditService;
  endpoints: EndpointService;
  deliveries: DeliveryQueue;
}) {
  async function visible(ctx: Ctx, id: string) {
    const d = await db.webhookDelivery.findFirst({
      where: { AND: [{ id }, { endpoint: ownedByCustomerWhere(ctx.actor) }] },
      include: { endpoint: true },
    });
    if (!d) throw notFound('Webhook delivery');
    return d;
  }

  return {
    async list(
      ctx: Ctx,
      endpointId: string,
      filter: { status?: 'PENDING' | 'SUCCEEDED' | 'FAILED'; eventType?: string; batchId?: string },
      q: { limit: number; cursor?: string },
    ) {
      await endpoints.visible(ctx, endpointId);
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const rows = await db.webhookDelivery.findMany({
        where: { AND: [{ endpointId, status: filter.status, eventType: filter.eventType, batchId: filter.batchId }, cursorWhere] },
        orderBy,
        take,
      });
      return page(rows, q.limit, publicDelivery);
    },

    async get(ctx: Ctx, id: string) {
      const d = await visible(ctx, id);
      const attempts = await db.webhookAttempt.findMany({ where: { deliveryId: id }, orderBy: { attemptNo: 'asc' } });
      return { ...publicDelivery(d), payload: d.payload, attempts: attempts.map(publicAttempt) };
    },

    /** Sends the delivery again now, with the same webhook-id, as one extra attempt. */
    async replay(ctx: Ctx, id: string) {
      const d = await visible(ctx, id);
      if (!d.endpoint.enabled) throw conflict('The endpoint is disabled; enable it before replaying');
      // Already waiting for a retry: run that retry now instead of adding another.
      if (d.status === 'PENDING' && (await deliveries.promote({ deliveryId: id, attemptNo: d.attemptCount }))) return publicDelivery(d);
      const row = await db.$transaction(async (tx) => {
        const updated = await tx.webhookDelivery.update({ where: { id }, data: { status: 'PENDING', nextAttemptAt: new Date() } });
        await audit.record(
          { actor: ctx.actor, requestId: ctx.requestId, action: 'webhook_delivery.replayed', entityType: 'webhook_delivery', entityId: id },
          tx,
        );
        return updated;
      });
      await deliveries.add([{ job: { deliveryId: id, attemptNo: row.attemptCount, step: 0, manual: true } }]);
      return publicDelivery(row);
    },

    /**
     * Sends a batch again now as one POST with the same webhook-id (the batch id), every event
     * in it with its own id; one extra attempt for each of its deliveries.
     */
    async replayBatch(ctx: Ctx, endpointId: string, batchId: string) {
      const ep = await endpoints.visible(ctx, endpointId);
      const members = await db.webhookDelivery.findMany({
        where: { endpointId, batchId },
        select: { id: true, attemptCount: true, status: true },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      if (members.length === 0) throw notFound('Webhook batch');
      if (!ep.enabled) throw conflict('The endpoint is disabled; enable it before replaying');
      const ids = members.map((m) => m.id);
      await db.$transaction(async (tx) => {
        await tx.webhookDelivery.updateMany({ where: { id: { in: ids } }, data: { status: 'PENDING', nextAttemptAt: new Date() } });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'webhook_batch.replayed',
            entityType: 'webhook_endpoint',
            entityId: endpointId,
            after: { batchId, deliveries: ids.length },
          },
          tx,
        );
      });
      const first = members[0]!;
      await deliveries.add([
        {
          job: {
            deliveryId: first.id,
            attemptNo: first.attemptCount,
            step: 0,
            manual: true,
            batchId,
            batch: members.map((m) => ({ deliveryId: m.id, attemptNo: m.attemptCount })),
          },
        },
      ]);
      return { batchId, replayed: ids.length };
    },

    /** Re-sends every failed delivery of the endpoint created since `since` (one attempt each). */
    async recover(ctx: Ctx, endpointId: string, since: Date) {
      const ep = await endpoints.visible(ctx, endpointId);
      if (!ep.enabled) throw conflict('The endpoint is disabled; enable it before recovering');
      const failed = await db.webhookDelivery.findMany({
        where: { endpointId, status: 'FAILED', createdAt: { gte: since } },
        select: { id: true, attemptCount: true },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      const ids = failed.map((f) => f.id);
      await db.$transaction(async (tx) => {
        await tx.webhookDelivery.updateMany({
          where: { id: { in: ids }, status: 'FAILED' },
          data: { status: 'PENDING', nextAttemptAt: new Date() },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'webhook_endpoint.recovered',
            entityType: 'webhook_endpoint',
            entityId: endpointId,
            after: { since, deliveries: ids.length },
          },
          tx,
        );
      });
      for (let i = 0; i < failed.length; i += 500) {
        await deliveries.add(
          failed.slice(i, i + 500).map((f) => ({ job: { deliveryId: f.id, attemptNo: f.attemptCount, step: 0, manual: true } })),
        );
      }
      return { recovered: ids.length };
    },
  };
}

export type DeliveryService = ReturnType<typeof createDeliveryService>;
