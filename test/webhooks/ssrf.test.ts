// The webhook SSRF guard: every spelling of a refused address is refused, the host's own
// interface addresses included, when an endpoint is saved and when a delivery connects.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedIPv4, isPrivateAddress } from '../../src/webhooks/address-policy.js';
import { createWebhookSender } from '../../src/webhooks/http-sender.js';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

const REFUSED = [
  '127.0.0.1',
  '10.1.2.3',
  '172.16.0.1',
  '192.168.1.1',
  '169.254.169.254',
  '100.64.0.1',
  '0.0.0.0',
  '224.0.0.1',
  '255.255.255.255',
  '::',
  '::1',
  '[::1]',
  'fe80::1%eth0',
  'fd00::2',
  'fc12::1',
  'ff02::1',
  'fec0::1',
  '100::1',
  // IPv4-mapped and IPv4-translated
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '0:0:0:0:0:ffff:7f00:1',
  '::FFFF:A9FE:A9FE',
  '::ffff:0:127.0.0.1',
  // IPv4-compatible
  '::127.0.0.1',
  '::7f00:1',
  '::10.0.0.1',
  '::a9fe:a9fe',
  // 6to4: 2002:AABB:CCDD:: carries AA.BB.CC.DD
  '2002:7f00:1::',
  '2002:a9fe:a9fe::1',
  '2002:0a00:0001:1::1',
  // Teredo: server in bits 32-63, client as the NOT of the last 32 bits (80ff:fffe -> 127.0.0.1)
  '2001:0:4136:e378:8000:63bf:80ff:fffe',
  '2001:0:7f00:1::1',
  '2001:0000:4136:e378:8000:63bf:5601:fefe',
  // NAT64, well-known prefix and local use
  '64:ff9b::127.0.0.1',
  '64:ff9b::a9fe:a9fe',
  '64:ff9b::10.0.0.1',
  '64:ff9b:1::808:808',
  // not addresses at all
  'localhost',
  '',
  '1.2.3',
  '::ffff:300.1.1.1',
];

const ALLOWED = [
  '8.8.8.8',
  '1.1.1.1',
  '2606:4700:4700::1111',
  '2a00:1450:4001:80b::200e',
  '::ffff:8.8.8.8',
  '::ffff:808:808',
  '64:ff9b::8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
  '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
];

describe('webhook address classifier', () => {
  it.each(REFUSED)('refuses %s', (address) => {
    expect(isPrivateAddress(address, [])).toBe(true);
  });

  it.each(ALLOWED)('allows %s', (address) => {
    expect(isPrivateAddress(address, [])).toBe(false);
  });

  it('finds the IPv4 address inside each IPv6 form', () => {
    expect(embeddedIPv4('::ffff:7f00:1')).toEqual(['127.0.0.1']);
    expect(embeddedIPv4('::127.0.0.1')).toEqual(['127.0.0.1']);
    expect(embeddedIPv4('2002:7f00:1::')).toEqual(['127.0.0.1']);
    expect(embeddedIPv4('64:ff9b::a9fe:a9fe')).toEqual(['169.254.169.254']);
    expect(embeddedIPv4('2001:0:4136:e378:8000:63bf:80ff:fffe')).toEqual(['65.54.227.120', '127.0.0.1']);
    expect(embeddedIPv4('2606:4700:4700::1111')).toEqual([]);
  });

  it("refuses the host's own addresses in every spelling", () => {
    const local = ['203.0.113.7', '2001:db8::5'];
    for (const a of [
      '203.0.113.7',
      '::ffff:203.0.113.7',
      '::ffff:cb00:7107',
      '2002:cb00:7107::1',
      '64:ff9b::203.0.113.7',
      '2001:db8:0:0::5',
      '2001:DB8::5',
    ]) {
      expect(isPrivateAddress(a, local), a).toBe(true);
    }
    expect(isPrivateAddress('203.0.113.8', local)).toBe(false);
    // And by default, this machine's real interfaces.
    for (const a of Object.values(networkInterfaces()).flat()) expect(isPrivateAddress(a!.address), a!.address).toBe(true);
  });
});

describe('webhook SSRF guard on a running system', () => {
  let sys: TestSystem;
  let receiver: http.Server;
  let port: number;
  let hits = 0;
  const own = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && !a.internal && a.family === 'IPv4')?.address;

  beforeAll(async () => {
    sys = await startTestSystem('api', { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' });
    // Listens on every interface, as a service on the platform's own host would.
    receiver = http.createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => receiver.listen(0, '0.0.0.0', () => r()));
    port = (receiver.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => receiver?.close(r));
    await sys?.stop();
  });

  it('refuses endpoints and deliveries that lead back to the host', async () => {
    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    const sales = await loginAs(sys.services, sys.app!, 'SALES');
    const customer = (await (
      await fetch(`${sys.httpUrl}/api/v1/customers`, {
        method: 'POST',
        headers: { ...sales.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'END_USER', name: 'C' }),
      })
    ).json()) as { id: string };
    const urls = ['[::127.0.0.1]', '[2002:7f00:1::]', '[::ffff:7f00:1]', '[64:ff9b::7f00:1]'].map((host) => `http://${host}:${port}/hook`);
    if (own) urls.push(`http://${own}:${port}/hook`);
    for (const url of urls) {
      const res = await fetch(`${sys.httpUrl}/api/v1/webhook-endpoints`, {
        method: 'POST',
        headers: { ...ops.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ customerId: customer.id, url }),
      });
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as { errors: unknown[] }).errors, url).toEqual([
        { path: 'url', message: expect.stringContaining('not allowed') },
      ]);
    }
    // At send time too, for a URL saved before the rules tightened.
    const sender = createWebhookSender({ timeoutMs: 2_000, allowPrivate: false });
    try {
      for (const url of urls) expect((await sender.send(url, {}, '{}')).error, url).toMatch(/refused/);
    } finally {
      await sender.close();
    }
    expect(hits).toBe(0);
    // The switch tests use for loopback receivers still reaches them.
    const open = createWebhookSender({ timeoutMs: 2_000, allowPrivate: true });
    try {
      expect((await open.send(`http://127.0.0.1:${port}/hook`, {}, '{}')).statusCode).toBe(200);
    } finally {
      await open.close();
    }
    expect(hits).toBe(1);
  });
});
