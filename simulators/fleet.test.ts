// The simulators against a real MQTT broker (a throwaway aedes on a free port): what reaches
// the broker decodes to what the terminals meant, silenced terminals publish nothing, and
// downlink commands are obeyed and answered with ack frames.

import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { categoryOfModelCode, type DecodedFrame, decodeUplink, encodeCommand, type UplinkKind } from '../gateway/codecs/index.js';
import { type Fleet, makeSerials, runLoad, startFleet, type UplinkRecord } from './index.js';

let broker: Aedes;
let server: Server;
let url: string;
let observer: MqttClient;
const received: { serial: string; kind: UplinkKind; payload: Buffer; at: number }[] = [];

beforeAll(async () => {
  broker = await Aedes.createBroker();
  server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  observer = await mqtt.connectAsync(url, { clientId: 'observer' });
  await observer.subscribeAsync('nx/+/up/+', { qos: 1 });
  observer.on('message', (topic, payload) => {
    const [, serial, , kind] = topic.split('/');
    received.push({ serial: serial!, kind: kind as UplinkKind, payload, at: Date.now() });
  });
});

afterAll(async () => {
  await observer?.endAsync(true);
  await new Promise<void>((r) => broker.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
});

const waitFor = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};
const creds = (serials: string[]) => serials.map((serial) => ({ serial, secret: 's3cret' }));

describe('fleet on a real broker', () => {
  let fleet: Fleet | null = null;
  const sent: UplinkRecord[] = [];

  it('publishes frames of each category that decode to what the simulator intended', async () => {
    const serials = [...makeSerials('NXV', 2, 100), ...makeSerials('NXE', 2, 100), ...makeSerials('NXL', 2, 100)];
    fleet = await startFleet({
      url,
      terminals: creds(serials),
      seed: 7,
      accelerate: 120,
      faultRate: 0.2,
      reportIntervalSec: { VEHICLE: 20, ELEVATOR: 20, STREETLIGHT: 20 },
      minRealIntervalMs: 100,
      spreadRealSec: 0.2,
      tickMs: 50,
      requireAllConnected: true,
      onUplink: (u) => sent.push(u),
    });
    await waitFor(() => serials.every((s) => received.filter((r) => r.serial === s && r.kind === 'telemetry').length >= 3));
    fleet.silence(serials); // no more uplinks; let every one sent be acknowledged before closing
    await waitFor(() => fleet!.stats.pubacks === sent.length);
    await fleet.stop();
    await waitFor(() => received.filter((r) => serials.includes(r.serial)).length >= sent.length);

    const ours = received.filter((r) => serials.includes(r.serial));
    expect(ours.length).toBe(sent.length);
    const byKind = new Set(ours.map((r) => r.kind));
    for (const k of ['telemetry', 'heartbeat', 'fault'] as const) expect(byKind).toContain(k);
    // Per serial and topic, MQTT keeps order: compare message by message.
    for (const serial of serials) {
      const category = categoryOfModelCode(serial)!;
      for (const kind of ['telemetry', 'heartbeat', 'event', 'fault'] as const) {
        const mine = sent.filter((u) => u.serial === serial && u.kind === kind);
        const got = ours.filter((r) => r.serial === serial && r.kind === kind);
        expect(got.map((r) => r.payload.toString('hex'))).toEqual(mine.map((u) => u.payload.toString('hex')));
        for (const [i, u] of mine.entries()) {
          const d = decodeUplink(got[i]!.payload, kind, category);
          expect(d.ok && d.frame).toEqual(u.intended);
          if (d.ok) expect(Math.abs(d.deviceTime!.getTime() - got[i]!.at)).toBeLessThan(5000);
        }
      }
      const tel = sent.filter((u) => u.serial === serial && u.kind === 'telemetry');
      expect(tel[0]!.intended!.type).toBe(`${category.toLowerCase()}-telemetry`);
    }
  });

  it('silenced terminals publish nothing while the others keep reporting', async () => {
    const serials = [...makeSerials('NXV', 2, 200), ...makeSerials('NXE', 2, 200), ...makeSerials('NXL', 2, 200)];
    fleet = await startFleet({
      url,
      terminals: creds(serials),
      seed: 3,
      accelerate: 100,
      reportIntervalSec: { VEHICLE: 10, ELEVATOR: 10, STREETLIGHT: 10 },
      minRealIntervalMs: 100,
      spreadRealSec: 0.1,
      tickMs: 50,
    });
    try {
      await waitFor(() => serials.every((s) => received.some((r) => r.serial === s)));
      const quiet = fleet.silence(3);
      expect(quiet).toHaveLength(3);
      expect(fleet.silenced().sort()).toEqual([...quiet].sort());
      await new Promise((r) => setTimeout(r, 300)); // let in-flight publishes land
      const from = Date.now();
      await new Promise((r) => setTimeout(r, 1500));
      const window = received.filter((r) => r.at >= from && serials.includes(r.serial));
      for (const s of quiet) expect(window.filter((r) => r.serial === s)).toEqual([]);
      for (const s of serials.filter((x) => !quiet.includes(x))) {
        expect(window.filter((r) => r.serial === s).length).toBeGreaterThan(2);
      }
      // A silenced terminal ignores commands too: no ack comes back.
      observer.publish(`nx/${quiet[0]}/down`, encodeCommand(9, { opcode: 'REPORT_NOW' }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 300));
      expect(received.filter((r) => r.serial === quiet[0] && r.at >= from)).toEqual([]);
    } finally {
      await fleet.stop();
    }
  });

  it('obeys downlink commands and answers with ack frames', async () => {
    const [vehicle, elevator, light] = [makeSerials('NXV', 1, 300)[0]!, makeSerials('NXE', 1, 300)[0]!, makeSerials('NXL', 1, 300)[0]!];
    // Slow clock: periodic reports stay out of the way, only command responses arrive.
    fleet = await startFleet({
      url,
      terminals: creds([vehicle, elevator, light]),
      seed: 5,
      accelerate: 1,
      spreadRealSec: 3600,
      tickMs: 50,
    });
    try {
      const command = async (serial: string, id: number, payload: Buffer) => {
        const from = received.length;
        observer.publish(`nx/${serial}/down`, payload, { qos: 1 });
        await waitFor(() => received.slice(from).some((r) => r.serial === serial && r.kind === 'ack'));
        const ack = received.slice(from).find((r) => r.serial === serial && r.kind === 'ack')!;
        const d = decodeUplink(ack.payload, 'ack', categoryOfModelCode(serial)!);
        expect(d.ok && d.frame.type === 'ack' && d.frame.commandId).toBe(id);
        await new Promise((r) => setTimeout(r, 100)); // the follow-up telemetry
        const tel = received.slice(from).filter((r) => r.serial === serial && r.kind === 'telemetry');
        const last = tel.at(-1);
        const telemetry = last ? decodeUplink(last.payload, 'telemetry', categoryOfModelCode(serial)!) : null;
        return { result: d.ok && d.frame.type === 'ack' ? d.frame.result : null, telemetry: telemetry?.ok ? telemetry.frame : null };
      };

      const imm = await command(vehicle, 1001, encodeCommand(1001, { opcode: 'IMMOBILIZE', args: { on: true } }));
      expect(imm.result).toBe('done');
      expect(imm.telemetry).toMatchObject({ type: 'vehicle-telemetry', immobilized: true });

      const dim = await command(light, 1002, encodeCommand(1002, { opcode: 'DIM', args: { percent: 40 } }));
      expect(dim.result).toBe('done');
      const on = await command(light, 1003, encodeCommand(1003, { opcode: 'SWITCH_LAMP', args: { on: true } }));
      expect(on.result).toBe('done');
      expect(on.telemetry).toMatchObject({
        type: 'streetlight-telemetry',
        lampOn: true,
        dimmingPercent: 40,
      } satisfies Partial<DecodedFrame>);

      const now = await command(elevator, 1004, encodeCommand(1004, { opcode: 'REPORT_NOW' }));
      expect(now).toMatchObject({ result: 'done', telemetry: { type: 'elevator-telemetry' } });
      const interval = await command(elevator, 1005, encodeCommand(1005, { opcode: 'SET_INTERVAL', args: { seconds: 42 } }));
      expect(interval.result).toBe('done');
      expect(fleet.terminals.find((t) => t.serial === elevator)!.reportIntervalSec).toBe(42);

      // Not for this category, and a frame with a readable id but an unknown opcode: rejected.
      expect((await command(elevator, 1006, encodeCommand(1006, { opcode: 'IMMOBILIZE', args: { on: true } }))).result).toBe('rejected');
      expect((await command(vehicle, 1007, Buffer.from('10000003ef77', 'hex'))).result).toBe('rejected');
    } finally {
      await fleet.stop();
    }
  });

  it('injects bad frames that fail to decode, and survives a disconnect storm', async () => {
    const serials = [...makeSerials('NXV', 2, 400), ...makeSerials('NXL', 1, 400)];
    const local: UplinkRecord[] = [];
    fleet = await startFleet({
      url,
      terminals: creds(serials),
      seed: 11,
      accelerate: 100,
      badFrameRate: 1,
      reportIntervalSec: { VEHICLE: 10, ELEVATOR: 10, STREETLIGHT: 10 },
      minRealIntervalMs: 100,
      spreadRealSec: 0.1,
      tickMs: 50,
      mqtt: { reconnectPeriod: 100 },
      onUplink: (u) => local.push(u),
    });
    try {
      await waitFor(() => local.length >= 10);
      for (const u of local) {
        expect(u.intended).toBeNull();
        expect(decodeUplink(u.payload, u.kind, categoryOfModelCode(u.serial)!).ok).toBe(false);
      }
      expect(fleet.stats.badFrames).toBe(local.length);
      const connectsBefore = fleet.stats.connects;
      fleet.storm();
      await waitFor(() => fleet!.stats.connects >= connectsBefore + serials.length && fleet!.stats.connected === serials.length);
      const since = Date.now();
      await waitFor(() => serials.every((s) => received.some((r) => r.serial === s && r.at > since)));
    } finally {
      await fleet.stop();
    }
  });
});

describe('load mode', () => {
  it('publishes at QoS 1 and reports throughput and PUBACK latency', async () => {
    const progress: number[] = [];
    const r = await runLoad({
      url,
      terminals: creds(makeSerials('NXV', 4, 900)),
      durationSec: 1,
      inflightPerTerminal: 4,
      payloadBytes: 32,
      progressIntervalMs: 250,
      onProgress: (p) => progress.push(p.acked),
    });
    expect(r.terminals).toBe(4);
    expect(r.errors).toBe(0);
    expect(r.acked).toBe(r.sent);
    expect(r.acked).toBeGreaterThan(100);
    expect(r.msgPerSec).toBeGreaterThan(100);
    expect(r.p50Ms).toBeGreaterThan(0);
    expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(r.payloadBytes).toBe(32);
  });
});
