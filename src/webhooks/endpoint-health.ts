import type { AuditService } from '../audit/index.js';
import type { EventService } from '../events/index.js';
import type { Db } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import type { SendingEndpoint as WebhookEndpoint } from './endpoint.service.js';
import { DISABLE_AFTER_MS, ENDPOINT_DISABLED_EVENT } from './webhooks.schemas.js';

/**
 * Tracks continuous failure per endpoint (failingSince, cleared by any success) and disables
 * endpoints that answer 410 or fail for 5 days, telling the customer with an event.
 */
export function createEndpointHealth({
  db,
  audit,
  events,
  log,
  onChange,
}: {
  db: Db;
  audit: AuditService;
  events: EventService;
  log: Logger;
  onChange?: (customerId: string) => void;
}) {
  async function disable(ep: WebhookEndpoint, reason: string): Promise<void> {
    const disabled = await db.$transaction(async (tx) => {
      const res = await tx.webhookEndpoint.updateMany({
        where: { id: ep.id, enabled: true },
        data: { enabled: false, disabledReason: reason },
      });
      if (res.count === 0) return false; // someone else got there first
      await audit.record(
        {
          actor: null,
          action: 'webhook_endpoint.disabled',
          entityType: 'webhook_endpoint',
          entityId: ep.id,
          before: { enabled: true },
          after: { enabled: false, disabledReason: reason },
        },
        tx,
      );
      await events.emit(tx, [
        {
          type: ENDPOINT_DISABLED_EVENT,
          customerId: ep.customerId,
          deviceId: null,
          payload: { endpointId: ep.id, url: ep.url, reason, disabledAt: new Date().toISOString() },
        },
      ]);
      return true;
    });
    if (disabled) onChange?.(ep.customerId);
    if (disabled) log.warn({ endpointId: ep.id, customerId: ep.customerId, reason }, 'webhook endpoint disabled');
  }

  return {
    disable,
    async succeeded(ep: WebhookEndpoint): Promise<void> {
      if (!ep.failingSince) return;
      const res = await db.webhookEndpoint.updateMany({ where: { id: ep.id, failingSince: { not: null } }, data: { failingSince: null } });
      // The fan-out's cached copy still says failing; refresh it so successes stop writing here.
      if (res.count > 0) onChange?.(ep.customerId);
    },
    async failed(ep: WebhookEndpoint, statusCode: number | null, now = new Date()): Promise<void> {
      if (statusCode === 410) return disable(ep, 'the receiver answered 410 Gone');
      if (!ep.failingSince) {
        const res = await db.webhookEndpoint.updateMany({ where: { id: ep.id, failingSince: null }, data: { failingSince: now } });
        if (res.count > 0) onChange?.(ep.customerId);
      } else if (now.getTime() - ep.failingSince.getTime() >= DISABLE_AFTER_MS) {
        await disable(ep, 'every delivery failed for 5 days');
      }
    },
  };
}

export type EndpointHealth = ReturnType<typeof createEndpointHealth>;
