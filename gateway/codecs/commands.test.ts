// Command frames (protocol.md 3.4) with hand-written byte fixtures.
import { describe, expect, it } from 'vitest';
import {
  COMMAND_OPCODES,
  type CommandSpec,
  categoryOfModelCode,
  commandAppliesTo,
  commandSpecSchema,
  decodeCommand,
  encodeCommand,
} from './index.js';

const bytes = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const fixtures: [string, number, CommandSpec][] = [
  ['10 00 00 00 01 01', 1, { opcode: 'REPORT_NOW' }],
  // 300 s = 0x012C
  ['10 00 01 e2 40 02 01 2c', 123456, { opcode: 'SET_INTERVAL', args: { seconds: 300 } }],
  ['10 ff ff ff ff 02 ff ff', 0xffffffff, { opcode: 'SET_INTERVAL', args: { seconds: 65535 } }],
  ['10 00 00 00 02 11 01', 2, { opcode: 'IMMOBILIZE', args: { on: true } }],
  ['10 00 00 00 03 11 00', 3, { opcode: 'IMMOBILIZE', args: { on: false } }],
  ['10 00 00 00 04 21 01', 4, { opcode: 'SWITCH_LAMP', args: { on: true } }],
  ['10 00 00 00 05 21 00', 5, { opcode: 'SWITCH_LAMP', args: { on: false } }],
  ['10 00 00 00 06 22 32', 6, { opcode: 'DIM', args: { percent: 50 } }],
  ['10 00 00 00 07 22 64', 7, { opcode: 'DIM', args: { percent: 100 } }],
];

describe('command frames', () => {
  it.each(fixtures)('%s encodes and decodes', (hexText, id, spec) => {
    expect(encodeCommand(id, spec).toString('hex')).toBe(bytes(hexText).toString('hex'));
    expect(decodeCommand(bytes(hexText))).toEqual({ ok: true, commandId: id, spec });
  });

  it('opcodes match the protocol table', () => {
    expect(COMMAND_OPCODES).toEqual({ REPORT_NOW: 0x01, SET_INTERVAL: 0x02, IMMOBILIZE: 0x11, SWITCH_LAMP: 0x21, DIM: 0x22 });
  });

  it.each([
    ['', 'empty command frame'],
    ['01 00 00 00 01 01', 'command frame must start with 0x10, got 0x01'],
    ['10 00 00 00 01', 'command frame must be at least 6 bytes, got 5'],
    ['10 00 00 00 01 33', 'unknown command opcode 0x33'],
    ['10 00 00 00 01 01 00', 'REPORT_NOW command must be 6 bytes, got 7'],
    ['10 00 00 00 01 02 01', 'SET_INTERVAL command must be 8 bytes, got 7'],
    ['10 00 00 00 01 02 00 00', 'SET_INTERVAL seconds must be 1 to 65535, got 0'],
    ['10 00 00 00 01 11', 'IMMOBILIZE command must be 7 bytes, got 6'],
    ['10 00 00 00 01 11 02', 'IMMOBILIZE argument must be 0 (off) or 1 (on), got 2'],
    ['10 00 00 00 01 21 05', 'SWITCH_LAMP argument must be 0 (off) or 1 (on), got 5'],
    ['10 00 00 00 01 22 65', 'DIM percent must be 0 to 100, got 101'],
  ])('rejects %s', (hexText, error) => {
    expect(decodeCommand(bytes(hexText))).toEqual({ ok: false, error });
  });

  it('refuses to encode out-of-range ids and arguments', () => {
    expect(() => encodeCommand(-1, { opcode: 'REPORT_NOW' })).toThrow(RangeError);
    expect(() => encodeCommand(2 ** 32, { opcode: 'REPORT_NOW' })).toThrow(RangeError);
    expect(() => encodeCommand(1, { opcode: 'DIM', args: { percent: 101 } })).toThrow(RangeError);
    expect(() => encodeCommand(1, { opcode: 'SET_INTERVAL', args: { seconds: 0 } })).toThrow(RangeError);
    expect(() => encodeCommand(1, { opcode: 'SET_INTERVAL', args: { seconds: 1.5 } })).toThrow(RangeError);
  });
});

describe('commandSpecSchema', () => {
  it('accepts API bodies', () => {
    expect(commandSpecSchema.parse({ opcode: 'DIM', args: { percent: 30 } })).toEqual({ opcode: 'DIM', args: { percent: 30 } });
    expect(commandSpecSchema.parse({ opcode: 'REPORT_NOW' })).toEqual({ opcode: 'REPORT_NOW' });
  });
  it.each([
    [{ opcode: 'REBOOT' }],
    [{ opcode: 'DIM', args: { percent: 120 } }],
    [{ opcode: 'SET_INTERVAL', args: { seconds: 70000 } }],
    [{ opcode: 'IMMOBILIZE', args: { on: 'yes' } }],
    [{ opcode: 'SWITCH_LAMP' }],
  ])('rejects %j', (body) => {
    expect(commandSpecSchema.safeParse(body).success).toBe(false);
  });
});

describe('commandAppliesTo / categoryOfModelCode', () => {
  it('limits category-specific commands', () => {
    expect(commandAppliesTo({ opcode: 'REPORT_NOW' }, 'ELEVATOR')).toBe(true);
    expect(commandAppliesTo({ opcode: 'SET_INTERVAL', args: { seconds: 5 } }, 'STREETLIGHT')).toBe(true);
    expect(commandAppliesTo({ opcode: 'IMMOBILIZE', args: { on: true } }, 'VEHICLE')).toBe(true);
    expect(commandAppliesTo({ opcode: 'IMMOBILIZE', args: { on: true } }, 'ELEVATOR')).toBe(false);
    expect(commandAppliesTo({ opcode: 'SWITCH_LAMP', args: { on: true } }, 'STREETLIGHT')).toBe(true);
    expect(commandAppliesTo({ opcode: 'DIM', args: { percent: 1 } }, 'VEHICLE')).toBe(false);
  });
  it('maps model codes and serials to categories', () => {
    expect(categoryOfModelCode('NXV-200')).toBe('VEHICLE');
    expect(categoryOfModelCode('NXE-00012345')).toBe('ELEVATOR');
    expect(categoryOfModelCode('nxl-1')).toBe('STREETLIGHT');
    expect(categoryOfModelCode('ABC-1')).toBeNull();
    expect(categoryOfModelCode('')).toBeNull();
  });
});
