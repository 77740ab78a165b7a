import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { authRoutes } from './auth.routes.js';
import { customerRoutes } from './customers.routes.js';
import { salesRoutes } from './sales.routes.js';
import { knowledgeRoutes } from './knowledge.routes.js';
import { contractRoutes } from './contracts.routes.js';
import { tariffPlanRoutes } from './tariff-plans.routes.js';
import { deviceModelRoutes } from './device-models.routes.js';
import { userRoutes } from './users.routes.js';
import { auditLogRoutes } from './audit-log.routes.js';
import { deviceRoutes } from './devices.routes.js';
import { webhookRoutes } from './webhooks.routes.js';
import { billingRunRoutes } from './billing-runs.routes.js';
import { billingInvoiceRoutes } from './billing-invoices.routes.js';
import { billingPaymentRoutes } from './billing-payments.routes.js';
import { ticketRoutes } from './tickets.routes.js';
import { overviewRoutes } from './overview.routes.js';
import { liveRoutes } from './live.routes.js';

/** Every resource under /api/v1, one encapsulated plugin each. */
export const apiRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(authRoutes);
  await app.register(customerRoutes);
  await app.register(salesRoutes);
  await app.register(knowledgeRoutes);
  await app.register(contractRoutes);
  await app.register(tariffPlanRoutes);
  await app.register(deviceModelRoutes);
  await app.register(userRoutes);
  await app.register(auditLogRoutes);
  await app.register(deviceRoutes);
  await app.register(webhookRoutes);
  await app.register(billingRunRoutes);
  await app.register(billingInvoiceRoutes);
  await app.register(billingPaymentRoutes);
  await app.register(ticketRoutes);
  await app.register(overviewRoutes);
  await app.register(liveRoutes);
};
