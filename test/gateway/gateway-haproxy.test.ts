// Two gateway processes behind a real HAProxy (send-proxy-v2), as several gateways run in
// production: terminals spread over both, each gateway sees each terminal's own address (limits
// and session rows), downlinks reach a terminal through whichever gateway holds it, and when one
// gateway is killed (kill -9) its terminals reconnect through the other and keep being served.
import type { ChildProcess } from 'node:child_process';
import type { Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCommand, encodeUplink } from '../../gateway/codecs/index.js';
import { loginAs } from '../helpers/api.js';
import { spawnGateway, stopChild } from '../helpers/gateway-child.js';
import { type Haproxy, haproxyInstalled, startHaproxy } from '../helpers/haproxy.js';
import { type RawClient, rawConnect } from '../helpers/raw-mqtt.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { createContract, provisionTerminal, waitFor } from '../helpers/terminals.js';

const FLEET = 8;
/** Connections per address per gateway before refusals: fewer than one gateway's share of the fleet. */
const BURST = 3;

interface Terminal {
  serial: string;
  secret: string;
  /** Each terminal connects from an address of its own; HAProxy reaches the gateways from 127.0.0.1. */
  address: string;
  client?: RawClient;
}

let sys: TestSystem;
let haproxy: Haproxy;
const gateways: Record<string, { child: ChildProcess; port: number }> = {};
let ops: Awaited<ReturnType<typeof loginAs>>;

beforeAll(async () => {
  if (!haproxyInstalled()) throw new Error('this test needs Debian haproxy at /usr/sbin/haproxy (bash .ci/run installs it)');
  sys = await startTestSystem('api');
  const env = (id: string) => ({
    REDIS_PREFIX: sys.config.REDIS_PREFIX,
    GATEWAY_ID: id,
    MQTT_PROXY_PROTOCOL: 'v2',
    MQTT_PROXY_TRUSTED: '127.0.0.1',
    MQTT_CONNECT_BURST: String(BURST),
    MQTT_CONNECT_PER_SECOND: '0.001',
  });
  // One after the other: the first applies nothing new, both only check the migrations.
  gateways['gw-a'] = await spawnGateway(sys.databaseUrl, env('gw-a'));
  gateways['gw-b'] = await spawnGateway(sys.databaseUrl, env('gw-b'));
  haproxy = await startHaproxy([gateways['gw-a'].port, gateways['gw-b'].port]);
  ops = await loginAs(sys.services, sys.app!, 'OPS');
}, 120_000);

afterAll(async () => {
  await haproxy?.stop();
  for (const gw of Object.values(gateways)) await stopChild(gw.child);
  await sys?.stop();
});

/** CONNECT through HAProxy until accepted (a gateway that just died may close the first try). */
async function connectViaBalancer(t: Terminal): Promise<RawClient> {
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      const c = await rawConnect(haproxy.port, t.serial, t.secret, 4, true, { localAddress: t.address });
      if ((c.connack as { returnCode?: number }).returnCode === 0) {
        c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `nx/${t.serial}/down`, qos: 1 }] });
        await c.next('suback');
        return c;
      }
      c.close();
    } catch {
      // Closed before CONNACK: try again.
    }
    if (Date.now() > until) throw new Error(`${t.serial} could not reconnect through the balancer`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The gateway holding each terminal's open session. */
async function holders(fleet: Terminal[]): Promise<Map<string, string>> {
  const rows = await sys.services.db.deviceSession.findMany({
    where: { disconnectedAt: null, device: { serial: { in: fleet.map((t) => t.serial) } } },
    include: { device: { select: { serial: true } } },
    // A killed gateway leaves its rows open (a worker's sweep closes them later): the newest counts.
    orderBy: { id: 'asc' },
  });
  return new Map(rows.map((r) => [r.device.serial, r.gatewayId]));
}

/** Sends a command to every terminal through the API; each must receive it (and acknowledge it). */
async function commandEach(fleet: Terminal[]): Promise<void> {
  await Promise.all(
    fleet.map(async (t) => {
      const res = await sys.app!.inject({
        method: 'POST',
        url: `/api/v1/devices/${t.serial}/commands`,
        headers: ops.headers,
        payload: { opcode: 'REPORT_NOW' },
      });
      expect(res.statusCode, res.body).toBe(201);
      const id = res.json().id as number;
      const publish = (await t.client!.next('publish', 10_000)) as Packet & { payload: Buffer; messageId: number; topic: string };
      expect(publish.topic).toBe(`nx/${t.serial}/down`);
      expect(decodeCommand(publish.payload)).toMatchObject({ ok: true, commandId: id });
      t.client!.send({ cmd: 'puback', messageId: publish.messageId });
      await waitFor(async () => (await sys.services.db.downlinkCommand.findUnique({ where: { id } }))?.status === 'DELIVERED', 10_000);
    }),
  );
}

describe('gateways behind HAProxy with the PROXY protocol', () => {
  const fleet: Terminal[] = [];

  it("spreads terminals over both gateways, each seeing the terminal's own address", async () => {
    const { contract } = await createContract(sys.services);
    for (let i = 0; i < FLEET; i++) {
      const t = await provisionTerminal(sys.services, contract.id, 'NXV-100');
      fleet.push({ serial: t.serial, secret: t.secret, address: `127.0.0.${20 + i}` });
    }
    // One at a time, so round robin alternates: each gateway takes more connections than BURST
    // allows one address, which only passes because each terminal is counted under its own address.
    for (const t of fleet) t.client = await connectViaBalancer(t);

    const held = await waitFor(async () => {
      const h = await holders(fleet);
      return h.size === FLEET && h;
    });
    const perGateway = [...held.values()].reduce((m, g) => m.set(g, (m.get(g) ?? 0) + 1), new Map<string, number>());
    expect([...perGateway.keys()].sort()).toEqual(['gw-a', 'gw-b']);
    expect(Math.max(...perGateway.values())).toBeGreaterThan(BURST);

    const sessions = await sys.services.db.deviceSession.findMany({ include: { device: { select: { serial: true } } } });
    for (const t of fleet) expect(sessions.find((s) => s.device.serial === t.serial)?.remoteAddress).toBe(t.address);
  }, 60_000);

  it("applies the per-address connect limit to a terminal's own address", async () => {
    const [t] = fleet;
    const noisy = { ...t!, address: '127.0.0.9' };
    const codes: number[] = [];
    // Both gateways together allow 2 x BURST from one address: one more is refused by whichever takes it.
    for (let i = 0; i < 2 * BURST + 1; i++) {
      const c = await rawConnect(haproxy.port, noisy.serial, 'wrong secret', 4, true, { localAddress: noisy.address });
      codes.push((c.connack as { returnCode?: number }).returnCode ?? -1);
      c.close();
    }
    // Refused as rate limited ("server unavailable") before the secret is even looked at; the
    // others were judged (bad credentials). Round robin gives one gateway BURST + 1 of them.
    const limited = codes.filter((c) => c === 3).length;
    expect(limited).toBeGreaterThanOrEqual(1);
    expect(codes.filter((c) => c === 4)).toHaveLength(codes.length - limited);
  }, 60_000);

  it('routes each downlink to the gateway holding the terminal', async () => {
    await commandEach(fleet);
  }, 60_000);

  it('keeps serving the terminals of a gateway killed with kill -9 through the other one', async () => {
    const before = await holders(fleet);
    const orphans = fleet.filter((t) => before.get(t.serial) === 'gw-a');
    expect(orphans.length).toBeGreaterThan(0);
    const lost = orphans.map((t) => t.client!.closed);
    await stopChild(gateways['gw-a']!.child, 'SIGKILL');
    await Promise.all(lost);

    for (const t of orphans) t.client = await connectViaBalancer(t);
    const after = await waitFor(async () => {
      const h = await holders(fleet);
      return orphans.every((t) => h.get(t.serial) === 'gw-b') && h;
    }, 15_000);
    expect(new Set(fleet.map((t) => after.get(t.serial)))).toEqual(new Set(['gw-b']));

    // Commands reach every terminal, the moved ones included, and their uplinks are stored.
    await commandEach(fleet);
    for (const [i, t] of fleet.entries()) {
      t.client!.send({
        cmd: 'publish',
        topic: `nx/${t.serial}/up/event`,
        payload: encodeUplink({ type: 'event', eventCode: 1, value: i }, new Date()),
        qos: 1,
        messageId: 100 + i,
        retain: false,
        dup: false,
      });
      expect(await t.client!.next('puback', 10_000)).toMatchObject({ messageId: 100 + i });
    }
    const stored = await sys.services.db.message.groupBy({
      by: ['deviceId'],
      where: { direction: 'UP', device: { serial: { in: fleet.map((t) => t.serial) } } },
      _count: true,
    });
    expect(stored).toHaveLength(FLEET);
    for (const t of fleet) t.client!.close();
  }, 90_000);
});
