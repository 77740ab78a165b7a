// Byte-exact fixtures written by hand from the tables of protocol.md 3.1-3.2, not by the encoder.
import { describe, expect, it } from 'vitest';
import { type DecodedFrame, decodeUplink, encodeUplink, kindOfFrame } from './index.js';

const bytes = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// Header clock 0x67452301 = 1732584193 s = 2024-11-26T01:23:13Z
const CLOCK = '67 45 23 01';
const TIME = new Date('2024-11-26T01:23:13Z');

const fixtures: {
  name: string;
  hex: string;
  kind: 'telemetry' | 'heartbeat' | 'event' | 'fault' | 'ack';
  category: 'VEHICLE' | 'ELEVATOR' | 'STREETLIGHT';
  frame: DecodedFrame;
}[] = [
  {
    name: 'vehicle telemetry in Shanghai, ignition+moving',
    // lat 31.230416 = 0x01DC89D0, lon 121.473701 = 0x073D8AA5, 123.4 km/h = 1234 = 0x04D2, heading 359 = 0x0167, flags 0b0011
    hex: `01 ${CLOCK} 01 dc 89 d0 07 3d 8a a5 04 d2 01 67 03`,
    kind: 'telemetry',
    category: 'VEHICLE',
    frame: {
      type: 'vehicle-telemetry',
      latitude: 31.230416,
      longitude: 121.473701,
      speedKmh: 123.4,
      heading: 359,
      ignition: true,
      moving: true,
      doorOpen: false,
      immobilized: false,
    },
  },
  {
    name: 'vehicle telemetry south of the equator, parked, door open, immobilized',
    // lat -33.868820 = 0xFDFB33EC (i32), lon 151.209290 = 0x0903454A, flags 0b1100
    hex: `01 ${CLOCK} fd fb 33 ec 09 03 45 4a 00 00 00 00 0c`,
    kind: 'telemetry',
    category: 'VEHICLE',
    frame: {
      type: 'vehicle-telemetry',
      latitude: -33.86882,
      longitude: 151.20929,
      speedKmh: 0,
      heading: 0,
      ignition: false,
      moving: false,
      doorOpen: true,
      immobilized: true,
    },
  },
  {
    name: 'elevator telemetry, basement floor -2 going up, doors closed',
    // floor -2 = 0xFE, motion 1 up, door 0 closed, load 75%, trips 12345 = 0x00003039
    hex: `01 ${CLOCK} fe 01 00 4b 00 00 30 39`,
    kind: 'telemetry',
    category: 'ELEVATOR',
    frame: { type: 'elevator-telemetry', floor: -2, motion: 'up', door: 'closed', loadPercent: 75, tripCounter: 12345 },
  },
  {
    name: 'elevator telemetry, idle at 30 with door moving, max trip counter',
    hex: `01 ${CLOCK} 1e 00 02 00 ff ff ff ff`,
    kind: 'telemetry',
    category: 'ELEVATOR',
    frame: { type: 'elevator-telemetry', floor: 30, motion: 'idle', door: 'moving', loadPercent: 0, tripCounter: 4294967295 },
  },
  {
    name: 'elevator going down, door open',
    hex: `01 ${CLOCK} 05 02 01 64 00 00 00 01`,
    kind: 'telemetry',
    category: 'ELEVATOR',
    frame: { type: 'elevator-telemetry', floor: 5, motion: 'down', door: 'open', loadPercent: 100, tripCounter: 1 },
  },
  {
    name: 'streetlight on, dimmed to 60%',
    // lamp 1, dim 60 = 0x3C, power 90 W = 0x005A, lux 3 = 0x0003, energy 12345 Wh = 0x00003039
    hex: `01 ${CLOCK} 01 3c 00 5a 00 03 00 00 30 39`,
    kind: 'telemetry',
    category: 'STREETLIGHT',
    frame: { type: 'streetlight-telemetry', lampOn: true, dimmingPercent: 60, powerW: 90, ambientLux: 3, energyWh: 12345 },
  },
  {
    name: 'streetlight off in daylight',
    // lux 3300 = 0x0CE4
    hex: `01 ${CLOCK} 00 00 00 00 0c e4 00 00 00 00`,
    kind: 'telemetry',
    category: 'STREETLIGHT',
    frame: { type: 'streetlight-telemetry', lampOn: false, dimmingPercent: 0, powerW: 0, ambientLux: 3300, energyWh: 0 },
  },
  {
    name: 'heartbeat 3.3 V, -85 dBm',
    // 3300 mV = 0x0CE4, -85 dBm = 0xAB (i8)
    hex: `02 ${CLOCK} 0c e4 ab`,
    kind: 'heartbeat',
    category: 'ELEVATOR',
    frame: { type: 'heartbeat', supplyMv: 3300, signalDbm: -85 },
  },
  {
    name: 'event with a negative value',
    // code 0x0042, value -2 = 0xFFFFFFFE
    hex: `03 ${CLOCK} 00 42 ff ff ff fe`,
    kind: 'event',
    category: 'VEHICLE',
    frame: { type: 'event', eventCode: 0x42, value: -2 },
  },
  {
    name: 'fault door jammed, major, detail "floor 3"',
    hex: `04 ${CLOCK} 01 01 02 66 6c 6f 6f 72 20 33`,
    kind: 'fault',
    category: 'ELEVATOR',
    frame: { type: 'fault', faultCode: 0x0101, severity: 2, detail: 'floor 3' },
  },
  {
    name: 'fault cleared with empty detail (minimum 8 bytes)',
    hex: `04 ${CLOCK} 03 01 00`,
    kind: 'fault',
    category: 'VEHICLE',
    frame: { type: 'fault', faultCode: 0x0301, severity: 0, detail: '' },
  },
  {
    name: 'ack rejected',
    // command id 0x0001E240 = 123456, result 1
    hex: `05 ${CLOCK} 00 01 e2 40 01`,
    kind: 'ack',
    category: 'STREETLIGHT',
    frame: { type: 'ack', commandId: 123456, result: 'rejected' },
  },
  {
    name: 'ack done, max id',
    hex: `05 ${CLOCK} ff ff ff ff 00`,
    kind: 'ack',
    category: 'VEHICLE',
    frame: { type: 'ack', commandId: 4294967295, result: 'done' },
  },
  {
    name: 'ack failed',
    hex: `05 ${CLOCK} 00 00 00 07 02`,
    kind: 'ack',
    category: 'ELEVATOR',
    frame: { type: 'ack', commandId: 7, result: 'failed' },
  },
];

describe('decodeUplink: hand-written fixtures', () => {
  for (const f of fixtures) {
    it(`decodes ${f.name}`, () => {
      const r = decodeUplink(bytes(f.hex), f.kind, f.category);
      expect(r).toEqual({ ok: true, frame: f.frame, deviceTime: TIME });
    });
    it(`encodes ${f.name} to the same bytes`, () => {
      expect(encodeUplink(f.frame, TIME).toString('hex')).toBe(bytes(f.hex).toString('hex'));
      expect(kindOfFrame(f.frame)).toBe(f.kind);
    });
  }

  it('decodes heartbeat/event/fault/ack the same for every category', () => {
    for (const f of fixtures.filter((x) => x.kind !== 'telemetry')) {
      for (const c of ['VEHICLE', 'ELEVATOR', 'STREETLIGHT'] as const) {
        expect(decodeUplink(bytes(f.hex), f.kind, c)).toEqual({ ok: true, frame: f.frame, deviceTime: TIME });
      }
    }
  });

  it('takes a 32-byte ASCII detail (40-byte fault frame)', () => {
    const detail = 'x'.repeat(32);
    const p = Buffer.concat([bytes(`04 ${CLOCK} 0f 01 01`), Buffer.from(detail, 'ascii')]);
    expect(p.length).toBe(40);
    expect(decodeUplink(p, 'fault', 'VEHICLE')).toEqual({
      ok: true,
      frame: { type: 'fault', faultCode: 0x0f01, severity: 1, detail },
      deviceTime: TIME,
    });
  });

  it('reports no device time for a clock of 0 (clock not set)', () => {
    const r = decodeUplink(bytes('02 00 00 00 00 0c e4 ab'), 'heartbeat', 'VEHICLE');
    expect(r).toEqual({ ok: true, frame: { type: 'heartbeat', supplyMv: 3300, signalDbm: -85 }, deviceTime: null });
  });

  it('ignores reserved vehicle flag bits', () => {
    const r = decodeUplink(bytes(`01 ${CLOCK} 01 dc 89 d0 07 3d 8a a5 04 d2 01 67 f1`), 'telemetry', 'VEHICLE');
    expect(r.ok && r.frame.type === 'vehicle-telemetry' && r.frame.ignition && !r.frame.moving).toBe(true);
  });
});

describe('decodeUplink: JSON payloads', () => {
  it('decodes a UTF-8 JSON object on any topic kind, with no device time', () => {
    const p = Buffer.from('{"temp":21.5,"note":"電梯"}', 'utf8');
    for (const kind of ['telemetry', 'event', 'fault'] as const) {
      expect(decodeUplink(p, kind, 'ELEVATOR')).toEqual({
        ok: true,
        frame: { type: 'json', data: { temp: 21.5, note: '電梯' } },
        deviceTime: null,
      });
    }
  });
  it('round-trips a json frame', () => {
    const frame: DecodedFrame = { type: 'json', data: { a: 1, b: [true, null] } };
    const p = encodeUplink(frame, TIME);
    expect(p.toString('utf8')).toBe('{"a":1,"b":[true,null]}');
    expect(decodeUplink(p, 'telemetry', 'VEHICLE')).toEqual({ ok: true, frame, deviceTime: null });
    expect(kindOfFrame(frame)).toBe('telemetry');
  });
  it.each([
    ['{"a":', /JSON payload does not parse/],
    ['{} trailing', /JSON payload does not parse/],
  ])('rejects malformed JSON %s', (text, err) => {
    const r = decodeUplink(Buffer.from(text), 'telemetry', 'VEHICLE');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(err);
  });
  it('rejects invalid UTF-8', () => {
    expect(decodeUplink(Buffer.from([0x7b, 0xff, 0x7d]), 'telemetry', 'VEHICLE')).toEqual({
      ok: false,
      error: 'JSON payload is not valid UTF-8',
    });
  });
  it('rejects a JSON array (does not start with {, so it is an unknown binary frame type)', () => {
    const r = decodeUplink(Buffer.from('[1,2]'), 'telemetry', 'VEHICLE');
    expect(r).toEqual({ ok: false, error: 'unknown frame type 0x5b' });
  });
});

describe('decodeUplink: errors', () => {
  const cases: [string, string, 'telemetry' | 'heartbeat' | 'event' | 'fault' | 'ack', 'VEHICLE' | 'ELEVATOR' | 'STREETLIGHT', string][] = [
    ['empty payload', '', 'telemetry', 'VEHICLE', 'empty payload'],
    ['unknown frame type', `09 ${CLOCK}`, 'telemetry', 'VEHICLE', 'unknown frame type 0x09'],
    ['downlink type sent up', `10 00 00 00 01 01`, 'ack', 'VEHICLE', 'unknown frame type 0x10'],
    [
      'type/kind mismatch',
      `02 ${CLOCK} 0c e4 ab`,
      'telemetry',
      'VEHICLE',
      'frame type 0x02 (heartbeat) does not match topic kind "telemetry"',
    ],
    ['ack on event topic', `05 ${CLOCK} 00 00 00 07 02`, 'event', 'VEHICLE', 'frame type 0x05 (ack) does not match topic kind "event"'],
    ['truncated header', '02 67 45', 'heartbeat', 'VEHICLE', 'heartbeat frame is shorter than the 5-byte header, got 3'],
    [
      'elevator telemetry 12 bytes',
      `01 ${CLOCK} fe 01 00 4b 00 00 30`,
      'telemetry',
      'ELEVATOR',
      'telemetry frame for ELEVATOR must be 13 bytes, got 12',
    ],
    [
      'elevator frame sent by a vehicle',
      `01 ${CLOCK} fe 01 00 4b 00 00 30 39`,
      'telemetry',
      'VEHICLE',
      'telemetry frame for VEHICLE must be 18 bytes, got 13',
    ],
    [
      'streetlight telemetry 16 bytes',
      `01 ${CLOCK} 01 3c 00 5a 00 03 00 00 30 39 00`,
      'telemetry',
      'STREETLIGHT',
      'telemetry frame for STREETLIGHT must be 15 bytes, got 16',
    ],
    ['heartbeat 9 bytes', `02 ${CLOCK} 0c e4 ab 00`, 'heartbeat', 'VEHICLE', 'heartbeat frame must be 8 bytes, got 9'],
    ['event 10 bytes', `03 ${CLOCK} 00 42 ff ff ff`, 'event', 'VEHICLE', 'event frame must be 11 bytes, got 10'],
    ['fault 7 bytes', `04 ${CLOCK} 01 01`, 'fault', 'ELEVATOR', 'fault frame must be 8 to 40 bytes, got 7'],
    ['fault 41 bytes', `04 ${CLOCK} 01 01 02 ${'41 '.repeat(33)}`, 'fault', 'ELEVATOR', 'fault frame must be 8 to 40 bytes, got 41'],
    ['fault severity 4', `04 ${CLOCK} 01 01 04`, 'fault', 'ELEVATOR', 'fault severity must be 0 to 3, got 4'],
    ['fault non-ASCII detail', `04 ${CLOCK} 01 01 02 41 c3 a9`, 'fault', 'ELEVATOR', 'fault detail must be ASCII, byte 0xc3 at offset 9'],
    ['ack 11 bytes', `05 ${CLOCK} 00 00 00 07 02 00`, 'ack', 'VEHICLE', 'ack frame must be 10 bytes, got 11'],
    ['ack result 3', `05 ${CLOCK} 00 00 00 07 03`, 'ack', 'VEHICLE', 'ack result must be 0 (done), 1 (rejected) or 2 (failed), got 3'],
    [
      'elevator motion 3',
      `01 ${CLOCK} 01 03 00 4b 00 00 30 39`,
      'telemetry',
      'ELEVATOR',
      'elevator motion must be 0 (idle), 1 (up) or 2 (down), got 3',
    ],
    [
      'elevator door 3',
      `01 ${CLOCK} 01 00 03 4b 00 00 30 39`,
      'telemetry',
      'ELEVATOR',
      'elevator door must be 0 (closed), 1 (open) or 2 (moving), got 3',
    ],
    [
      'streetlight lamp 2',
      `01 ${CLOCK} 02 3c 00 5a 00 03 00 00 30 39`,
      'telemetry',
      'STREETLIGHT',
      'streetlight lamp must be 0 (off) or 1 (on), got 2',
    ],
    [
      'streetlight dimming 101',
      `01 ${CLOCK} 01 65 00 5a 00 03 00 00 30 39`,
      'telemetry',
      'STREETLIGHT',
      'streetlight dimming must be 0 to 100 percent, got 101',
    ],
    [
      'vehicle heading 360',
      `01 ${CLOCK} 01 dc 89 d0 07 3d 8a a5 04 d2 01 68 03`,
      'telemetry',
      'VEHICLE',
      'vehicle heading must be 0 to 359 degrees, got 360',
    ],
    // 0x055D4A81 = 90000001 µdeg
    [
      'vehicle latitude 90.000001',
      `01 ${CLOCK} 05 5d 4a 81 07 3d 8a a5 04 d2 01 67 03`,
      'telemetry',
      'VEHICLE',
      'vehicle latitude out of range: 90.000001',
    ],
    // 0xF5456AFF = -180000001 µdeg
    [
      'vehicle longitude -180.000001',
      `01 ${CLOCK} 01 dc 89 d0 f5 45 6a ff 04 d2 01 67 03`,
      'telemetry',
      'VEHICLE',
      'vehicle longitude out of range: -180.000001',
    ],
  ];
  it.each(cases)('%s', (_name, hexText, kind, category, error) => {
    expect(decodeUplink(bytes(hexText), kind, category)).toEqual({ ok: false, error });
  });

  it('never throws on random garbage', () => {
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const kinds = ['telemetry', 'heartbeat', 'event', 'fault', 'ack'] as const;
    const cats = ['VEHICLE', 'ELEVATOR', 'STREETLIGHT'] as const;
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(rnd() * 48);
      const p = Buffer.alloc(len);
      for (let j = 0; j < len; j++) p[j] = Math.floor(rnd() * 256);
      if (len > 0 && rnd() < 0.5) p[0] = 1 + Math.floor(rnd() * 5);
      const r = decodeUplink(p, kinds[i % 5]!, cats[i % 3]!);
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
    }
  });
});

describe('encodeUplink: rejects values that do not fit', () => {
  it.each<[string, DecodedFrame]>([
    [
      'heading 360',
      {
        type: 'vehicle-telemetry',
        latitude: 0,
        longitude: 0,
        speedKmh: 0,
        heading: 360,
        ignition: false,
        moving: false,
        doorOpen: false,
        immobilized: false,
      },
    ],
    ['dimming 101', { type: 'streetlight-telemetry', lampOn: true, dimmingPercent: 101, powerW: 0, ambientLux: 0, energyWh: 0 }],
    ['floor 128', { type: 'elevator-telemetry', floor: 128, motion: 'idle', door: 'closed', loadPercent: 0, tripCounter: 0 }],
    ['detail 33 chars', { type: 'fault', faultCode: 1, severity: 1, detail: 'x'.repeat(33) }],
    ['non-ASCII detail', { type: 'fault', faultCode: 1, severity: 1, detail: 'é' }],
    ['signal -129', { type: 'heartbeat', supplyMv: 3300, signalDbm: -129 }],
  ])('%s', (_n, frame) => {
    expect(() => encodeUplink(frame, TIME)).toThrow(RangeError);
  });
  it('rejects a device time before 1970', () => {
    expect(() => encodeUplink({ type: 'heartbeat', supplyMv: 1, signalDbm: 1 }, new Date(-5000))).toThrow(RangeError);
  });
});
