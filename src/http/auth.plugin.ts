import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { AuthService, Principal, Role } from '../auth/index.js';
import { AppError } from '../platform/errors.js';
import { enforceKeyScopes } from './key-scopes.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Routes reachable without a bearer token (login, health, docs, the console's files). */
    public?: boolean;
  }
  interface FastifyInstance {
    /**
     * Route `onRequest` hook that admits only the given roles (ADMIN always passes); others get
     * 403 before their body or query is looked at. Declared as `onRequest: app.allow(...)`.
     */
    allow(...roles: Role[]): RoleCheck;
  }
}

type RoleCheck = ((req: FastifyRequest, reply: FastifyReply) => Promise<void>) & { [ROLE_CHECK]: true };
const ROLE_CHECK = Symbol('role check');

/** Hooks that run after the body was read (or validated): too late to refuse a role quietly. */
const TOO_LATE = ['preParsing', 'preValidation', 'preHandler', 'preSerialization', 'onSend', 'onResponse'] as const;

/**
 * Every route the router matched needs a bearer token unless its config says `public: true`.
 * The decision is made on the matched route, never on the request's URL string, which may be
 * spelled in ways (percent-encoding, case, trailing slashes) the router treats as the same path.
 * Unmatched requests skip authentication and get the 404 problem document.
 */
export const authPlugin = fp<{ auth: AuthService }>(async (app, { auth }) => {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (req) => {
    if (req.is404 || req.routeOptions.config?.public) return;
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const principal = m?.[1] ? await auth.authenticate(m[1]) : null;
    if (!principal) throw new AppError('unauthorized', 'A valid bearer token is required');
    req.principal = principal;
    enforceKeyScopes(req);
    req.log = req.log.child({ userId: principal.userId, role: principal.role, customerId: principal.customerId ?? undefined });
  });

  app.decorate('allow', (...roles: Role[]): RoleCheck => {
    const check = async (req: FastifyRequest) => {
      if (req.principal.role === 'ADMIN' || roles.includes(req.principal.role)) return;
      // The role is missing, which is not the same as a record outside one's scope (that is 404).
      throw new AppError('forbidden', 'Your role may not use this operation');
    };
    return Object.assign(check, { [ROLE_CHECK]: true as const });
  });

  // A role check declared on a later hook would let validation errors describe the request
  // format to callers without the role; refuse such a route when the app is built.
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const name of TOO_LATE) {
      const hooks = [route[name] ?? []].flat() as unknown[];
      if (hooks.some((h) => typeof h === 'function' && ROLE_CHECK in h)) {
        throw new Error(`${route.method} ${route.url}: declare app.allow(...) as onRequest, not ${name}`);
      }
    }
    if (route.config?.public && [route.onRequest ?? []].flat().some((h) => ROLE_CHECK in h)) {
      throw new Error(`${route.method} ${route.url}: a public route cannot require a role`);
    }
  });
});
