// Decoding and encoding of uplink payloads (protocol.md 3.1-3.2). decodeUplink never throws:
// the gateway stores undecodable payloads with the error beside them, so every failure must
// come back as a readable message. encodeUplink throws RangeError on values that do not fit,
// since it is only called by our own simulators and tests.
import {
  ACK_LENGTH,
  ACK_RESULTS,
  type Category,
  type DecodedFrame,
  type DecodeResult,
  ELEVATOR_DOORS,
  ELEVATOR_MOTIONS,
  EVENT_LENGTH,
  FAULT_DETAIL_MAX,
  FAULT_MIN_LENGTH,
  type FaultSeverity,
  FRAME_TYPES,
  HEADER_BYTES,
  HEARTBEAT_LENGTH,
  TELEMETRY_LENGTH,
  type UplinkKind,
  VEHICLE_FLAGS,
} from './frames.js';

const KIND_OF_TYPE = new Map<number, UplinkKind>(Object.entries(FRAME_TYPES).map(([kind, type]) => [type, kind as UplinkKind]));

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
const fail = (error: string): DecodeResult => ({ ok: false, error });

export function decodeUplink(payload: Buffer, kind: UplinkKind, category: Category): DecodeResult {
  try {
    if (!Buffer.isBuffer(payload)) return fail('payload is not a byte buffer');
    if (payload.length === 0) return fail('empty payload');
    if (payload[0] === 0x7b) return decodeJson(payload);
    return decodeBinary(payload, kind, category);
  } catch (err) {
    // Defensive: the checks above should make this unreachable, but the contract is "never throws".
    return fail(`undecodable payload: ${(err as Error).message}`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeJson(payload: Buffer): DecodeResult {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return fail('JSON payload is not valid UTF-8');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return fail(`JSON payload does not parse: ${(err as Error).message}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return fail('JSON payload must be an object');
  }
  return { ok: true, frame: { type: 'json', data: data as Record<string, unknown> }, deviceTime: null };
}

function decodeBinary(p: Buffer, kind: UplinkKind, category: Category): DecodeResult {
  const type = p[0]!;
  const frameKind = KIND_OF_TYPE.get(type);
  if (!frameKind) return fail(`unknown frame type ${hex(type)}`);
  if (frameKind !== kind) {
    return fail(`frame type ${hex(type)} (${frameKind}) does not match topic kind "${kind}"`);
  }
  if (p.length < HEADER_BYTES) {
    return fail(`${frameKind} frame is shorter than the ${HEADER_BYTES}-byte header, got ${p.length}`);
  }
  // A clock of 0 means the terminal has not set its clock yet: no device time rather than 1970.
  const clock = p.readUInt32BE(1);
  const deviceTime = clock === 0 ? null : new Date(clock * 1000);
  const body = decodeBody(p, frameKind, category);
  if (typeof body === 'string') return fail(body);
  return { ok: true, frame: body, deviceTime };
}

/** Returns the frame, or an error message. */
function decodeBody(p: Buffer, kind: UplinkKind, category: Category): DecodedFrame | string {
  switch (kind) {
    case 'telemetry':
      return decodeTelemetry(p, category);
    case 'heartbeat': {
      if (p.length !== HEARTBEAT_LENGTH) return lengthError('heartbeat', HEARTBEAT_LENGTH, p.length);
      return { type: 'heartbeat', supplyMv: p.readUInt16BE(5), signalDbm: p.readInt8(7) };
    }
    case 'event': {
      if (p.length !== EVENT_LENGTH) return lengthError('event', EVENT_LENGTH, p.length);
      return { type: 'event', eventCode: p.readUInt16BE(5), value: p.readInt32BE(7) };
    }
    case 'fault': {
      const max = FAULT_MIN_LENGTH + FAULT_DETAIL_MAX;
      if (p.length < FAULT_MIN_LENGTH || p.length > max) {
        return `fault frame must be ${FAULT_MIN_LENGTH} to ${max} bytes, got ${p.length}`;
      }
      const severity = p[7]!;
      if (severity > 3) return `fault severity must be 0 to 3, got ${severity}`;
      const detailBytes = p.subarray(8);
      const bad = detailBytes.findIndex((b) => b > 0x7f);
      if (bad >= 0) return `fault detail must be ASCII, byte ${hex(detailBytes[bad]!)} at offset ${8 + bad}`;
      return {
        type: 'fault',
        faultCode: p.readUInt16BE(5),
        severity: severity as FaultSeverity,
        detail: detailBytes.toString('latin1'),
      };
    }
    case 'ack': {
      if (p.length !== ACK_LENGTH) return lengthError('ack', ACK_LENGTH, p.length);
      const result = ACK_RESULTS[p[9]!];
      if (!result) return `ack result must be 0 (done), 1 (rejected) or 2 (failed), got ${p[9]}`;
      return { type: 'ack', commandId: p.readUInt32BE(5), result };
    }
  }
}

function lengthError(name: string, expected: number, got: number): string {
  return `${name} frame must be ${expected} bytes, got ${got}`;
}

function decodeTelemetry(p: Buffer, category: Category): DecodedFrame | string {
  const expected = TELEMETRY_LENGTH[category];
  if (expected === undefined) return `unknown device category "${String(category)}"`;
  if (p.length !== expected) return `telemetry frame for ${category} must be ${expected} bytes, got ${p.length}`;
  switch (category) {
    case 'VEHICLE': {
      const lat = p.readInt32BE(5);
      const lon = p.readInt32BE(9);
      if (Math.abs(lat) > 90_000_000) return `vehicle latitude out of range: ${lat / 1e6}`;
      if (Math.abs(lon) > 180_000_000) return `vehicle longitude out of range: ${lon / 1e6}`;
      const heading = p.readUInt16BE(15);
      if (heading > 359) return `vehicle heading must be 0 to 359 degrees, got ${heading}`;
      // Flag bits 4-7 are reserved; they are ignored so future terminals still decode.
      const flags = p[17]!;
      return {
        type: 'vehicle-telemetry',
        latitude: lat / 1e6,
        longitude: lon / 1e6,
        speedKmh: p.readUInt16BE(13) / 10,
        heading,
        ignition: (flags & VEHICLE_FLAGS.ignition) !== 0,
        moving: (flags & VEHICLE_FLAGS.moving) !== 0,
        doorOpen: (flags & VEHICLE_FLAGS.doorOpen) !== 0,
        immobilized: (flags & VEHICLE_FLAGS.immobilized) !== 0,
      };
    }
    case 'ELEVATOR': {
      const motion = ELEVATOR_MOTIONS[p[6]!];
      if (!motion) return `elevator motion must be 0 (idle), 1 (up) or 2 (down), got ${p[6]}`;
      const door = ELEVATOR_DOORS[p[7]!];
      if (!door) return `elevator door must be 0 (closed), 1 (open) or 2 (moving), got ${p[7]}`;
      // Load may exceed 100: an overloaded car is exactly what the operator wants to see.
      return {
        type: 'elevator-telemetry',
        floor: p.readInt8(5),
        motion,
        door,
        loadPercent: p[8]!,
        tripCounter: p.readUInt32BE(9),
      };
    }
    case 'STREETLIGHT': {
      const lamp = p[5]!;
      if (lamp > 1) return `streetlight lamp must be 0 (off) or 1 (on), got ${lamp}`;
      const dimming = p[6]!;
      if (dimming > 100) return `streetlight dimming must be 0 to 100 percent, got ${dimming}`;
      return {
        type: 'streetlight-telemetry',
        lampOn: lamp === 1,
        dimmingPercent: dimming,
        powerW: p.readUInt16BE(7),
        ambientLux: p.readUInt16BE(9),
        energyWh: p.readUInt32BE(11),
      };
    }
  }
}

// ---------------------------------------------------------------- encoding

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${v}`);
  }
  return v;
}

function header(type: number, length: number, deviceTime: Date): Buffer {
  const b = Buffer.alloc(length);
  b[0] = type;
  const secs = Math.floor(deviceTime.getTime() / 1000);
  b.writeUInt32BE(checkInt('device time (seconds)', secs, 0, 0xffffffff), 1);
  return b;
}

/** Encodes a frame as a terminal would send it; json frames become UTF-8 JSON (no clock). */
export function encodeUplink(frame: DecodedFrame, deviceTime: Date): Buffer {
  switch (frame.type) {
    case 'json':
      return Buffer.from(JSON.stringify(frame.data), 'utf8');
    case 'vehicle-telemetry': {
      const b = header(FRAME_TYPES.telemetry, TELEMETRY_LENGTH.VEHICLE, deviceTime);
      b.writeInt32BE(checkInt('latitude (µdeg)', Math.round(frame.latitude * 1e6), -90e6, 90e6), 5);
      b.writeInt32BE(checkInt('longitude (µdeg)', Math.round(frame.longitude * 1e6), -180e6, 180e6), 9);
      b.writeUInt16BE(checkInt('speed (0.1 km/h)', Math.round(frame.speedKmh * 10), 0, 0xffff), 13);
      b.writeUInt16BE(checkInt('heading', frame.heading, 0, 359), 15);
      b[17] =
        (frame.ignition ? VEHICLE_FLAGS.ignition : 0) |
        (frame.moving ? VEHICLE_FLAGS.moving : 0) |
        (frame.doorOpen ? VEHICLE_FLAGS.doorOpen : 0) |
        (frame.immobilized ? VEHICLE_FLAGS.immobilized : 0);
      return b;
    }
    case 'elevator-telemetry': {
      const b = header(FRAME_TYPES.telemetry, TELEMETRY_LENGTH.ELEVATOR, deviceTime);
      b.writeInt8(checkInt('floor', frame.floor, -128, 127), 5);
      b[6] = ELEVATOR_MOTIONS.indexOf(frame.motion);
      b[7] = ELEVATOR_DOORS.indexOf(frame.door);
      if (b[6] === 255 || b[7] === 255) throw new RangeError('unknown elevator motion or door state');
      b[8] = checkInt('load percent', frame.loadPercent, 0, 255);
      b.writeUInt32BE(checkInt('trip counter', frame.tripCounter, 0, 0xffffffff), 9);
      return b;
    }
    case 'streetlight-telemetry': {
      const b = header(FRAME_TYPES.telemetry, TELEMETRY_LENGTH.STREETLIGHT, deviceTime);
      b[5] = frame.lampOn ? 1 : 0;
      b[6] = checkInt('dimming percent', frame.dimmingPercent, 0, 100);
      b.writeUInt16BE(checkInt('power (W)', frame.powerW, 0, 0xffff), 7);
      b.writeUInt16BE(checkInt('ambient light (lux)', frame.ambientLux, 0, 0xffff), 9);
      b.writeUInt32BE(checkInt('energy (Wh)', frame.energyWh, 0, 0xffffffff), 11);
      return b;
    }
    case 'heartbeat': {
      const b = header(FRAME_TYPES.heartbeat, HEARTBEAT_LENGTH, deviceTime);
      b.writeUInt16BE(checkInt('supply (mV)', frame.supplyMv, 0, 0xffff), 5);
      b.writeInt8(checkInt('signal (dBm)', frame.signalDbm, -128, 127), 7);
      return b;
    }
    case 'event': {
      const b = header(FRAME_TYPES.event, EVENT_LENGTH, deviceTime);
      b.writeUInt16BE(checkInt('event code', frame.eventCode, 0, 0xffff), 5);
      b.writeInt32BE(checkInt('event value', frame.value, -0x80000000, 0x7fffffff), 7);
      return b;
    }
    case 'fault': {
      const detail = Buffer.from(frame.detail, 'latin1');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is ASCII itself, control characters included
      if (detail.length > FAULT_DETAIL_MAX || /[^\x00-\x7f]/.test(frame.detail)) {
        throw new RangeError(`fault detail must be 0 to ${FAULT_DETAIL_MAX} ASCII characters`);
      }
      const b = header(FRAME_TYPES.fault, FAULT_MIN_LENGTH + detail.length, deviceTime);
      b.writeUInt16BE(checkInt('fault code', frame.faultCode, 0, 0xffff), 5);
      b[7] = checkInt('severity', frame.severity, 0, 3);
      detail.copy(b, 8);
      return b;
    }
    case 'ack': {
      const b = header(FRAME_TYPES.ack, ACK_LENGTH, deviceTime);
      b.writeUInt32BE(checkInt('command id', frame.commandId, 0, 0xffffffff), 5);
      const result = ACK_RESULTS.indexOf(frame.result);
      if (result < 0) throw new RangeError(`unknown ack result ${String(frame.result)}`);
      b[9] = result;
      return b;
    }
  }
}
