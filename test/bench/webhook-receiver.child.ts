// Child process of webhooks.bench.ts: a keep-alive HTTP receiver on its own event loop that
// measures emit -> received latency from the `sentAt` in each payload. A batch (a JSON array)
// counts per event, by each element's id; a single webhook by its webhook-id.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Data = { sentAt?: number; decoded?: { data?: { sentAt?: number } } };
type Body = { id?: string; data: Data };

/** [sentAt, latency ms] per first arrival of an event id (since the last reset). */
let samples: [number, number][] = [];
const seen = new Set<string>();
let duplicates = 0;
let requests = 0;
const record = (id: string, data: Data, now: number) => {
  // outbox mode puts sentAt in data; mqtt mode in the decoded JSON frame.
  const sentAt = data.sentAt ?? data.decoded?.data?.sentAt ?? now;
  if (seen.has(id)) duplicates++;
  else {
    seen.add(id);
    samples.push([sentAt, now - sentAt]);
  }
};
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    requests++;
    const body = JSON.parse(Buffer.concat(chunks).toString()) as Body | Body[];
    if (Array.isArray(body)) for (const e of body) record(String(e.id), e.data, now);
    else record(String(req.headers['webhook-id']), body.data, now);
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'stats') process.send!({ samples, duplicates, requests, unique: seen.size });
  if (m.cmd === 'reset') {
    samples = [];
    process.send!({ ok: true });
  }
  if (m.cmd === 'exit') server.close(() => process.exit(0));
});
