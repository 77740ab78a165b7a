import type { WebhookEndpoint } from '../../prisma/generated/client.js';
import type { AuditService } from '../audit/index.js';
import type { Ctx } from '../auth/index.js';
import { customerWhere, isStaff, ownedByCustomerWhere } from '../auth/index.js';
import type { Db } from '../platform/database.js';
import { invalid, notFound } from '../platform/errors.js';
import { page, pageArgs } from '../platform/pagination.js';
import type { SecretBox } from '../platform/secret-box.js';
import { newWebhookSecret } from './signing.js';
import { assertPublicTarget } from './ssrf-guard.js';
import type { EndpointInput, EndpointPatch } from './webhooks.schemas.js';

/** The columns the delivery worker needs to sign and send. */
export type SendingEndpoint = Pick<
  WebhookEndpoint,
  | 'id'
  | 'customerId'
  | 'url'
  | 'enabled'
  | 'maxConcurrency'
  | 'batching'
  | 'maxBatch'
  | 'maxWaitMs'
  | 'secretEncrypted'
  | 'previousSecretEncrypted'
  | 'previousSecretExpiresAt'
  | 'failingSince'
>;

/** How long the previous secret keeps signing after a rotation. */
const ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** What the API shows: never the secret, which is returned only by create and rotate. */
export function publicEndpoint(row: WebhookEndpoint) {
  return {
    id: row.id,
    customerId: row.customerId,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    failingSince: row.failingSince,
    maxConcurrency: row.maxConcurrency,
    batching: row.batching,
    maxBatch: row.maxBatch,
    maxWaitMs: row.maxWaitMs,
    previousSecretExpiresAt: row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date() ? row.previousSecretExpiresAt : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function createEndpointService(deps: {
  db: Db;
  audit: AuditService;
  box: SecretBox;
  allowPrivate: boolean;
  onChange?: (customerId: string) => void;
  /** Lag in seconds (oldest undelivered event) of those endpoints that have any. */
  lagOf?: (endpointIds: string[]) => Promise<Map<string, number>>;
}) {
  const { db, audit, box, allowPrivate } = deps;
  /** The API view plus the endpoint's lag: seconds since its oldest undelivered event, 0 when caught up. */
  async function withLag(rows: WebhookEndpoint[]) {
    const lags = deps.lagOf && rows.length ? await deps.lagOf(rows.map((r) => r.id)) : new Map<string, number>();
    return rows.map((r) => ({ ...publicEndpoint(r), lagSeconds: Math.round(lags.get(r.id) ?? 0) }));
  }
  const changed = (customerId: string) => deps.onChange?.(customerId);
  // Every delivery signs; decrypting once per stored secret (not per request) keeps that cheap.
  // A rotation stores a new ciphertext, so entries never go stale.
  const plain = new Map<string, string>();
  const decrypted = (stored: string): string => {
    let s = plain.get(stored);
    if (s === undefined) {
      s = box.decrypt(stored);
      if (plain.size >= 10_000) plain.clear();
      plain.set(stored, s);
    }
    return s;
  };

  async function visible(ctx: Ctx, id: string) {
    const row = await db.webhookEndpoint.findFirst({ where: { AND: [{ id }, ownedByCustomerWhere(ctx.actor)] } });
    if (!row) throw notFound('Webhook endpoint');
    return row;
  }

  async function ownerFor(ctx: Ctx, requested: string | undefined): Promise<string> {
    const customerId = isStaff(ctx.actor) || ctx.actor.role === 'CONTRACTOR' ? (requested ?? ctx.actor.customerId) : ctx.actor.customerId;
    if (!customerId) throw invalid('customerId is required', [{ path: 'customerId', message: 'Required' }]);
    const customer = await db.customer.findFirst({ where: { AND: [{ id: customerId }, customerWhere(ctx.actor)] }, select: { id: true } });
    if (!customer) throw notFound('Customer');
    return customerId;
  }

  return {
    visible,

    async get(ctx: Ctx, id: string) {
      return (await withLag([await visible(ctx, id)]))[0]!;
    },

    async list(ctx: Ctx, filter: { customerId?: string }, q: { limit: number; cursor?: string }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const rows = await db.webhookEndpoint.findMany({
        where: { AND: [ownedByCustomerWhere(ctx.actor), cursorWhere, { customerId: filter.customerId }] },
        orderBy,
        take,
      });
      const listed = page(rows, q.limit);
      return { ...listed, items: await withLag(listed.items) };
    },

    /** The secret is in this response only. */
    async create(ctx: Ctx, input: EndpointInput) {
      const customerId = await ownerFor(ctx, input.customerId);
      await assertPublicTarget(input.url, allowPrivate);
      const secret = newWebhookSecret();
      const row = await db.$transaction(async (tx) => {
        const created = await tx.webhookEndpoint.create({
          data: {
            customerId,
            url: input.url,
            description: input.description ?? null,
            eventTypes: [...new Set(input.eventTypes)],
            enabled: input.enabled,
            maxConcurrency: input.maxConcurrency,
            batching: input.batching ?? false,
            maxBatch: input.maxBatch ?? 100,
            maxWaitMs: input.maxWaitMs ?? 50,
            secretEncrypted: box.encrypt(secret),
          },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'webhook_endpoint.created',
            entityType: 'webhook_endpoint',
            entityId: created.id,
            after: publicEndpoint(created),
          },
          tx,
        );
        return created;
      });
      changed(customerId);
      return { ...publicEndpoint(row), secret };
    },

    async update(ctx: Ctx, id: string, patch: EndpointPatch) {
      const before = await visible(ctx, id);
      if (patch.url && patch.url !== before.url) await assertPublicTarget(patch.url, allowPrivate);
      // Re-enabling by hand starts a clean slate: the failure clock and reason are cleared.
      const reenable = patch.enabled === true && !before.enabled ? { disabledReason: null, failingSince: null } : {};
      const row = await db.$transaction(async (tx) => {
        const updated = await tx.webhookEndpoint.update({
          where: { id },
          data: {
            ...patch,
            ...(patch.eventTypes ? { eventTypes: [...new Set(patch.eventTypes)] } : {}),
            ...(patch.enabled === false && before.enabled ? { disabledReason: 'disabled by a user' } : {}),
            ...reenable,
          },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'webhook_endpoint.updated',
            entityType: 'webhook_endpoint',
            entityId: id,
            before: publicEndpoint(before),
            after: publicEndpoint(updated),
          },
          tx,
        );
        return updated;
      });
      changed(row.customerId);
      return publicEndpoint(row);
    },

    async remove(ctx: Ctx, id: string) {
      const before = await visible(ctx, id);
      await db.$transaction(async (tx) => {
        await tx.webhookEndpoint.delete({ where: { id } });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'webhook_endpoint.deleted',
            entityType: 'webhook_endpoint',
            entityId: id,
            before: publicEndpoint(before),
          },
          tx,
        );
      });
      changed(before.customerId);
    },

    /** New secret now; the previous one keeps signing (a second signature) for 24 h. */
    async rotateSecret(ctx: Ctx, id: string) {
      const before = await visible(ctx, id);
      const secret = newWebhookSecret();
      const previousSecretExpiresAt = new Date(Date.now() + ROTATION_OVERLAP_MS);
      const row = await db.$transaction(async (tx) => {
        const updated = await tx.webhookEndpoint.update({
          where: { id },
          data: { secretEncrypted: box.encrypt(secret), previousSecretEncrypted: before.secretEncrypted, previousSecretExpiresAt },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'webhook_endpoint.secret_rotated',
            entityType: 'webhook_endpoint',
            entityId: id,
            after: { previousSecretExpiresAt },
          },
          tx,
        );
        return updated;
      });
      changed(row.customerId);
      return { ...publicEndpoint(row), secret };
    },

    /** Secrets that sign a request now: the current one, then the previous during a rotation. */
    signingSecrets(row: SendingEndpoint, now = new Date()): string[] {
      const secrets = [decrypted(row.secretEncrypted)];
      if (row.previousSecretEncrypted && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now) {
        secrets.push(decrypted(row.previousSecretEncrypted));
      }
      return secrets;
    },
  };
}

export type EndpointService = ReturnType<typeof createEndpointService>;

export type { Ctx };
