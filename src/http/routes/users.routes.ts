import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { userFilter, userPatch } from '../../auth/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['users'];

// POST /users (create) stays with auth.routes; these are the administrator's list and edit.
export const userRoutes: FastifyPluginAsyncZod = async (app) => {
  const { users } = app.services;
  const admins = app.allow();

  app.get(
    '/users',
    {
      onRequest: admins,
      schema: { tags, summary: 'List users (admins only)', querystring: pageQuery.extend(userFilter.shape) },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return users.list(ctx(req), filter, { limit, cursor });
    },
  );
  app.patch(
    '/users/:id',
    {
      onRequest: admins,
      schema: {
        tags,
        summary: "Change name, role or active flag, or reset the password (ends the user's sessions)",
        params: idParams,
        body: userPatch,
      },
    },
    async (req) => users.update(ctx(req), req.params.id, req.body),
  );
};
