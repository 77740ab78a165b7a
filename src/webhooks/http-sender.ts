import { Agent } from 'undici';
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

/** Error codes undici gives a request that ran out of time (connect, response headers, body). */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * One keep-alive connection pool per endpoint origin (undici's Agent keeps a pool per origin)
 * for all webhook traffic of a process; every socket goes to an address the SSRF guard checked.
 *
 * Requests go through the dispatcher's handler interface rather than `request()`: on the profile
 * `request()` with an `AbortSignal.timeout` per call cost ~80 us of CPU per webhook against
 * ~30 us here (the signal's timer alone ~30 us). The time limit is the Agent's headers and body
 * timeouts plus the connector's connect timeout, each `timeoutMs`.
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
  // Endpoint URLs repeat for every delivery: parse each once.
  const targets = new Map<string, { origin: string; path: string }>();
  const targetOf = (url: string) => {
    let t = targets.get(url);
    if (!t) {
      const u = new URL(url);
      t = { origin: u.origin, path: `${u.pathname}${u.search}` };
      if (targets.size >= 10_000) targets.clear();
      targets.set(url, t);
    }
    return t;
  };

  function failure(e: Error): string {
    const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
    const code = err.cause?.code ?? err.code;
    const message =
      err.name === 'TimeoutError' || (code && TIMEOUT_CODES.has(code))
        ? `timeout after ${timeoutMs} ms`
        : code === 'ESSRF'
          ? `refused: ${err.cause?.message ?? err.message}`
          : `${code ? `${code}: ` : ''}${err.message}`;
    return message.slice(0, 500);
  }

  return {
    /** One POST; never throws: a failure is a result with `error` set. */
    send(url: string, headers: Record<string, string>, body: string | Buffer): Promise<SendResult> {
      const t0 = performance.now();
      const latency = () => Math.round(performance.now() - t0);
      return new Promise<SendResult>((resolve) => {
        let target: { origin: string; path: string };
        try {
          target = targetOf(url);
        } catch (err) {
          resolve({ statusCode: null, latencyMs: 0, error: failure(err as Error), snippet: null, retryAfterSec: null });
          return;
        }
        let statusCode = 0;
        let retryAfter: string | undefined;
        let size = 0;
        let abort: ((err?: Error) => void) | null = null;
        let dropped = false;
        const chunks: Buffer[] = [];
        const done = () => {
          const snippet = chunks.length ? Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8') : '';
          resolve({ statusCode, latencyMs: latency(), error: null, snippet: snippet || null, retryAfterSec: parseRetryAfter(retryAfter) });
        };
        agent.dispatch(
          { origin: target.origin, path: target.path, method: 'POST', headers, body },
          {
            onConnect(a: (err?: Error) => void) {
              abort = a;
            },
            onHeaders(status: number, raw: Buffer[]) {
              statusCode = status;
              for (let i = 0; i < raw.length; i += 2) {
                const name = raw[i]!;
                if (name.length === 11 && name.toString('latin1').toLowerCase() === 'retry-after')
                  retryAfter = raw[i + 1]!.toString('latin1');
              }
              return true;
            },
            onData(chunk: Buffer) {
              if (size < SNIPPET_BYTES) chunks.push(chunk);
              size += chunk.length;
              // A receiver streaming a huge answer: the status is known; drop the connection.
              if (size > DRAIN_LIMIT && !dropped) {
                dropped = true;
                done();
                abort?.(new Error('response too large'));
                return false;
              }
              return true;
            },
            onComplete() {
              if (!dropped) done();
            },
            onError(err: Error) {
              if (dropped) return;
              resolve({ statusCode: null, latencyMs: latency(), error: failure(err), snippet: null, retryAfterSec: null });
            },
            onUpgrade() {},
          },
        );
      });
    },
    close: () => agent.close(),
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;

function parseRetryAfter(s: string | undefined): number | null {
  if (!s) return null;
  if (/^\d+$/.test(s.trim())) return Number(s.trim());
  const at = Date.parse(s);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
