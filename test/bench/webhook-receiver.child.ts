// Child process of webhooks.bench.ts: a keep-alive HTTP receiver on its own event loop that
// measures emit -> received latency from the `sentAt` in each payload.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** [sentAt, latency ms] per first arrival of a webhook-id. */
const samples: [number, number][] = [];
const seen = new Set<string>();
let duplicates = 0;
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    // outbox mode puts sentAt in data; mqtt mode in the decoded JSON frame.
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { data: { sentAt?: number; decoded?: { data?: { sentAt?: number } } } };
    const sentAt = body.data.sentAt ?? body.data.decoded?.data?.sentAt ?? now;
    const id = String(req.headers['webhook-id']);
    if (seen.has(id)) duplicates++;
    else {
      seen.add(id);
      samples.push([sentAt, now - sentAt]);
    }
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'stats') process.send!({ samples, duplicates });
  if (m.cmd === 'exit') server.close(() => process.exit(0));
});
