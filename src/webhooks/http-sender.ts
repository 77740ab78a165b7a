import { Agent, request } from 'undici';
import { guardedConnector } from './ssrf-guard.js';

export interface SendResult {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** First 1 KB of the response body, for the delivery log. */
  snippet: string | null;
  /** Seconds the receiver asked us to wait (Retry-After), when given. */
  retryAfterSec: number | null;
}

const SNIPPET_BYTES = 1024;
// Beyond this much response body the connection is dropped rather than drained.
const DRAIN_LIMIT = 64 * 1024;

/**
 * One keep-alive connection pool for all webhook traffic of a process; every socket goes to an
 * address the SSRF guard checked.
 */
export function createWebhookSender({ timeoutMs, allowPrivate }: { timeoutMs: number; allowPrivate: boolean }) {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    connections: 256,
    connect: guardedConnector(allowPrivate, Math.min(timeoutMs, 10_000)),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  return {
    async send(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
      const t0 = performance.now();
      const latency = () => Math.round(performance.now() - t0);
      try {
        const res = await request(url, {
          method: 'POST',
          headers,
          body,
          dispatcher: agent,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.body) {
          const buf = chunk as Buffer;
          if (size < SNIPPET_BYTES) chunks.push(buf);
          size += buf.length;
          if (size > DRAIN_LIMIT) {
            res.body.destroy();
            break;
          }
        }
        const snippet = Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8');
        return {
          statusCode: res.statusCode,
          latencyMs: latency(),
          error: null,
          snippet: snippet || null,
          retryAfterSec: parseRetryAfter(res.headers['retry-after']),
        };
      } catch (err) {
        const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
        const code = e.cause?.code ?? e.code;
        const message =
          e.name === 'TimeoutError'
            ? `timeout after ${timeoutMs} ms`
            : code === 'ESSRF'
              ? `refused: ${e.cause?.message ?? e.message}`
              : `${code ? `${code}: ` : ''}${e.message}`;
        return { statusCode: null, latencyMs: latency(), error: message.slice(0, 500), snippet: null, retryAfterSec: null };
      }
    },
    close: () => agent.close(),
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;

function parseRetryAfter(v: string | string[] | undefined): number | null {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return null;
  if (/^\d+$/.test(s.trim())) return Number(s.trim());
  const at = Date.parse(s);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
