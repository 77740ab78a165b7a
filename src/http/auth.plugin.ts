import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.js';
import type { Principal, Role } from '../auth/index.js';
import type { AuthService } from '../auth/index.js';
import { enforceKeyScopes } from './key-scopes.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Routes reachable without a bearer token (login, health). */
    public?: boolean;
  }
  interface FastifyInstance {
    /** preHandler that admits only the given roles (ADMIN always passes). */
    allow(...roles: Role[]): (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

/** Authenticates every /api/v1 request by bearer token unless the route is marked public. */
export const authPlugin = fp<{ auth: AuthService }>(async (app, { auth }) => {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/') || req.routeOptions.config?.public) return;
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const principal = m?.[1] ? await auth.authenticate(m[1]) : null;
    if (!principal) throw new AppError('unauthorized', 'A valid bearer token is required');
    req.principal = principal;
    enforceKeyScopes(req);
    req.log = req.log.child({ userId: principal.userId, role: principal.role, customerId: principal.customerId ?? undefined });
  });
  app.decorate('allow', (...roles: Role[]) => async (req: FastifyRequest) => {
    if (req.principal.role === 'ADMIN' || roles.includes(req.principal.role)) return;
    // Out-of-scope resources are reported as missing, so their existence does not leak.
    throw new AppError('not_found', 'Not found');
  });
});
