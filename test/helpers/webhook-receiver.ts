import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: Record<string, string>;
  body: string;
  at: number;
  /** Status this receiver answered. */
  status: number;
}

export type Responder = (
  req: Omit<Received, 'status' | 'at'>,
  n: number,
) => { status: number; headers?: Record<string, string>; delayMs?: number };

/** A real HTTP receiver on a free port that records every webhook and answers as told. */
export async function startReceiver(respond: Responder = () => ({ status: 200 })) {
  const received: Received[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const state = { respond };
  const server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = state.respond({ headers, body }, received.length);
      const reply = () => {
        received.push({ headers, body, at: Date.now(), status: answer.status });
        inFlight--;
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end(`answered ${answer.status}`);
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    get maxInFlight() {
      return maxInFlight;
    },
    setResponder(fn: Responder) {
      state.respond = fn;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

export async function waitFor<T>(fn: () => T | Promise<T>, what = 'condition', ms = 15_000): Promise<NonNullable<T>> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
