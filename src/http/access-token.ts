import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';

const LIVE_PATH = '/api/v1/live';

/**
 * fastify `rewriteUrl`: EventSource cannot send headers, so for the live feed only, a
 * `?access_token=` query parameter becomes the Authorization header before routing. The auth
 * plugin then checks it exactly like any bearer token, and the URL that gets logged no longer
 * carries the token.
 */
export function moveAccessTokenToHeader(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  if (q < 0 || url.slice(0, q).replace(/\/$/, '') !== LIVE_PATH) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const token = params.get('access_token');
  if (token === null) return url;
  params.delete('access_token');
  if (!req.headers.authorization) req.headers.authorization = `Bearer ${token}`;
  const rest = params.toString();
  return rest ? `${url.slice(0, q)}?${rest}` : url.slice(0, q);
}

/**
 * A URL as logs may show it: any `access_token` query parameter (live feed or not, however
 * its name is percent-encoded) keeps its name but loses its value.
 */
export function redactAccessToken(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const rawName = eq < 0 ? part : part.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // A malformed escape is logged as it came; only a readable name can match.
      }
      return name.trim().toLowerCase() === 'access_token' ? `${rawName}=[redacted]` : part;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** fastify's request log serializer with the URL redacted (fastify's default logs req.url as it came). */
export function requestLogSerializer(req: FastifyRequest) {
  return {
    method: req.method,
    url: redactAccessToken(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket ? req.socket.remotePort : undefined,
  };
}
