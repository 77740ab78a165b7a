import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import type { Db } from '../platform/database.js';
import { AppError } from '../platform/errors.js';
import { createIdempotencyStore, IN_FLIGHT } from '../platform/idempotency-store.js';
import { createSecretBox } from '../platform/secret-box.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** POST routes with money or device effects: an Idempotency-Key header replays the first response. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotency?: { userId: string; key: string };
  }
}

/** Spread into a route's `schema.headers` so the header is validated and documented. */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'Printable ASCII without spaces')
    .optional()
    .describe('Unique per intended operation; a retry with the same key and body replays the first response'),
});

/** Key order must not matter: {"a":1,"b":2} and {"b":2,"a":1} are the same request. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function fingerprint(req: FastifyRequest): string {
  // The raw body is gone by now; the parsed body is what the handler acts on anyway.
  return createHash('sha256')
    .update(JSON.stringify(canonical(req.body ?? null)))
    .digest('base64url');
}

/**
 * Idempotent POSTs (IETF draft "The Idempotency-Key HTTP Header Field"): the first request with
 * a key claims it (an in-flight row), its 2xx response is stored, and a retry by the same user
 * with the same key and body gets that response again with `idempotent-replayed: true`. The same
 * key with another body or path is a client bug (422); a retry while the first is still running
 * is 409. Failed first attempts release the key so the client can retry.
 */
export const idempotencyPlugin = fp<{ db: Db; secretKey: string | undefined }>(async (app, { db, secretKey }) => {
  const store = createIdempotencyStore(db, createSecretBox(secretKey, 'idempotency-responses/v1'));
  app.decorateRequest('idempotency', undefined);

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.routeOptions.config?.idempotent || req.method !== 'POST' || !req.principal) return;
    const header = req.headers['idempotency-key'];
    if (typeof header !== 'string' || header === '') return;
    const userId = req.principal.userId;
    const key = header;
    const path = req.url.split('?')[0] ?? req.url;
    const bodyHash = fingerprint(req);

    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await store.findLive({ userId, key });
      if (existing) {
        if (existing.method !== req.method || existing.path !== path || existing.bodyHash !== bodyHash) {
          throw new AppError('unprocessable', 'This Idempotency-Key was already used for a different request', [
            { path: 'headers.idempotency-key', message: 'Reused with a different body or path' },
          ]);
        }
        if (existing.statusCode === IN_FLIGHT)
          throw new AppError('conflict', 'A request with this Idempotency-Key is still being processed; retry later');
        const body = store.responseBody(existing);
        await reply
          .status(existing.statusCode)
          .header('idempotent-replayed', 'true')
          .send(body ?? undefined);
        return reply;
      }
      if (await store.claim({ userId, key, method: req.method, path, bodyHash })) {
        req.idempotency = { userId, key };
        return;
      }
      // Another request claimed the key between our read and insert: look again.
    }
    throw new AppError('conflict', 'A request with this Idempotency-Key is still being processed; retry later');
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const claim = req.idempotency;
    if (!claim) return payload;
    req.idempotency = undefined;
    const text = payload == null ? '' : typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString() : null;
    let body: unknown = null;
    let storable = reply.statusCode >= 200 && reply.statusCode < 300 && text !== null;
    if (storable && text) {
      try {
        body = JSON.parse(text);
      } catch {
        storable = false; // not JSON (a file, a stream): it cannot be replayed faithfully
      }
    }
    if (storable) await store.complete(claim, reply.statusCode, body);
    // Nothing happened (or we cannot tell): free the key so a corrected retry can proceed.
    else await store.release(claim);
    return payload;
  });
});
