import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ALL_ROLES, API_KEY_SCOPES, publicUser } from '../../auth/index.js';
import { notFound } from '../../platform/errors.js';

export const authRoutes: FastifyPluginAsyncZod = async (app) => {
  const { auth, db } = app.services;

  app.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Exchange e-mail and password for a bearer token (failures are throttled per account and address: 429 with Retry-After)',
        security: [],
        body: z.object({ email: z.string().email(), password: z.string().min(1).max(200) }),
      },
    },
    async (req) => {
      const { token, expiresAt, principal } = await auth.login(req.body.email, req.body.password, req.ip);
      req.log.info({ userId: principal.userId, role: principal.role }, 'login');
      return { token, tokenType: 'Bearer', expiresAt, role: principal.role, userId: principal.userId, customerId: principal.customerId };
    },
  );

  app.post('/auth/logout', { schema: { tags: ['auth'], summary: 'End the session of this bearer token' } }, async (req, reply) => {
    const token = req.headers.authorization?.split(' ')[1];
    if (token) await auth.logout(token);
    return reply.status(204).send();
  });

  app.get('/auth/me', { schema: { tags: ['auth'], summary: 'The authenticated user' } }, async (req) => {
    const user = await db.user.findUnique({ where: { id: req.principal.userId } });
    if (!user) throw notFound('User');
    return { ...publicUser(user), via: req.principal.via };
  });

  app.post(
    '/users',
    {
      onRequest: app.allow(),
      schema: {
        tags: ['users'],
        summary: 'Create a user (admins only)',
        body: z.object({
          email: z.string().email(),
          name: z.string().min(1).max(200),
          role: z.enum(ALL_ROLES as [string, ...string[]]).transform((r) => r as (typeof ALL_ROLES)[number]),
          password: z.string().min(12).max(200).describe('At least 12 characters, not a common password, not the e-mail address'),
          customerId: z.string().uuid().nullable().optional(),
        }),
      },
    },
    async (req, reply) => reply.status(201).send(await auth.createUser(req.principal, req.body)),
  );

  app.get('/api-keys', { schema: { tags: ['auth'], summary: 'List API keys in scope (never the keys themselves)' } }, async (req) => ({
    items: await auth.listApiKeys(req.principal),
  }));

  app.post(
    '/api-keys',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an API key acting as you, limited to its scopes; the key is shown in this response only',
        body: z.object({
          name: z.string().min(1).max(100),
          scopes: z
            .array(z.enum(API_KEY_SCOPES as [string, ...string[]]))
            .min(1)
            .max(API_KEY_SCOPES.length)
            .describe('`<family>:read` (GET) and `<family>:write` (other methods); see the README for the families'),
          // Kept for old clients: a key always acts as its creator, so only your own id is accepted.
          userId: z.string().uuid().optional(),
          expiresAt: z.coerce.date().nullable().optional().describe('Default and latest: one year from now'),
        }),
      },
    },
    async (req, reply) => reply.status(201).send(await auth.createApiKey(req.principal, req.body)),
  );

  app.delete(
    '/api-keys/:id',
    {
      schema: { tags: ['auth'], summary: 'Revoke an API key', params: z.object({ id: z.string().uuid() }) },
    },
    async (req) => auth.revokeApiKey(req.principal, req.params.id),
  );
};
