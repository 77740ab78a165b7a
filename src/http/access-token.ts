import type { IncomingMessage } from 'node:http';

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
