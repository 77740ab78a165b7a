import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { authRoutes } from './auth.routes.js';
import { customerRoutes } from './customers.routes.js';

/** Every resource under /api/v1, one encapsulated plugin each. */
export const apiRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(authRoutes);
  await app.register(customerRoutes);
};
