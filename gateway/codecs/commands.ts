// Downlink command frames (protocol.md 3.4): 0x10, command id u32, opcode u8, arguments.
import { z } from 'zod';
import { type Category, COMMAND_FRAME_TYPE } from './frames.js';

export const COMMAND_OPCODES = {
  REPORT_NOW: 0x01,
  SET_INTERVAL: 0x02,
  IMMOBILIZE: 0x11,
  SWITCH_LAMP: 0x21,
  DIM: 0x22,
} as const;

export type CommandOpcode = keyof typeof COMMAND_OPCODES;

export type CommandSpec =
  | { opcode: 'REPORT_NOW' }
  | { opcode: 'SET_INTERVAL'; args: { seconds: number } }
  | { opcode: 'IMMOBILIZE'; args: { on: boolean } }
  | { opcode: 'SWITCH_LAMP'; args: { on: boolean } }
  | { opcode: 'DIM'; args: { percent: number } };

/** Zod schema for API bodies; the same limits as the wire format. */
export const commandSpecSchema: z.ZodType<CommandSpec> = z.discriminatedUnion('opcode', [
  z.object({ opcode: z.literal('REPORT_NOW') }).strict(),
  z
    .object({
      opcode: z.literal('SET_INTERVAL'),
      args: z.object({ seconds: z.number().int().min(1).max(65535) }).strict(),
    })
    .strict(),
  z.object({ opcode: z.literal('IMMOBILIZE'), args: z.object({ on: z.boolean() }).strict() }).strict(),
  z.object({ opcode: z.literal('SWITCH_LAMP'), args: z.object({ on: z.boolean() }).strict() }).strict(),
  z.object({ opcode: z.literal('DIM'), args: z.object({ percent: z.number().int().min(0).max(100) }).strict() }).strict(),
]);

const APPLIES_TO: Record<CommandOpcode, readonly Category[]> = {
  REPORT_NOW: ['VEHICLE', 'ELEVATOR', 'STREETLIGHT'],
  SET_INTERVAL: ['VEHICLE', 'ELEVATOR', 'STREETLIGHT'],
  IMMOBILIZE: ['VEHICLE'],
  SWITCH_LAMP: ['STREETLIGHT'],
  DIM: ['STREETLIGHT'],
};

export function commandAppliesTo(spec: CommandSpec, category: Category): boolean {
  return APPLIES_TO[spec.opcode]?.includes(category) ?? false;
}

/** Encodes a command frame; throws RangeError on an id or argument that does not fit. */
export function encodeCommand(commandId: number, spec: CommandSpec): Buffer {
  if (!Number.isInteger(commandId) || commandId < 0 || commandId > 0xffffffff) {
    throw new RangeError(`command id must be a u32, got ${commandId}`);
  }
  const parsed = commandSpecSchema.safeParse(spec);
  if (!parsed.success) throw new RangeError(`invalid command: ${parsed.error.issues[0]?.message ?? 'bad spec'}`);
  const args = argBytes(parsed.data);
  const b = Buffer.alloc(6 + args.length);
  b[0] = COMMAND_FRAME_TYPE;
  b.writeUInt32BE(commandId, 1);
  b[5] = COMMAND_OPCODES[spec.opcode];
  args.copy(b, 6);
  return b;
}

function argBytes(spec: CommandSpec): Buffer {
  switch (spec.opcode) {
    case 'REPORT_NOW':
      return Buffer.alloc(0);
    case 'SET_INTERVAL': {
      const b = Buffer.alloc(2);
      b.writeUInt16BE(spec.args.seconds, 0);
      return b;
    }
    case 'IMMOBILIZE':
    case 'SWITCH_LAMP':
      return Buffer.from([spec.args.on ? 1 : 0]);
    case 'DIM':
      return Buffer.from([spec.args.percent]);
  }
}

type DecodeCommandResult = { ok: true; commandId: number; spec: CommandSpec } | { ok: false; error: string };

const OPCODE_NAMES = new Map<number, CommandOpcode>(Object.entries(COMMAND_OPCODES).map(([name, code]) => [code, name as CommandOpcode]));
const COMMAND_LENGTH: Record<CommandOpcode, number> = {
  REPORT_NOW: 6,
  SET_INTERVAL: 8,
  IMMOBILIZE: 7,
  SWITCH_LAMP: 7,
  DIM: 7,
};

/** Decodes a downlink frame as a terminal does; never throws. */
export function decodeCommand(payload: Buffer): DecodeCommandResult {
  const fail = (error: string): DecodeCommandResult => ({ ok: false, error });
  if (!Buffer.isBuffer(payload) || payload.length === 0) return fail('empty command frame');
  if (payload[0] !== COMMAND_FRAME_TYPE) {
    return fail(`command frame must start with 0x10, got 0x${payload[0]!.toString(16).padStart(2, '0')}`);
  }
  if (payload.length < 6) return fail(`command frame must be at least 6 bytes, got ${payload.length}`);
  const commandId = payload.readUInt32BE(1);
  const code = payload[5]!;
  const opcode = OPCODE_NAMES.get(code);
  if (!opcode) return fail(`unknown command opcode 0x${code.toString(16).padStart(2, '0')}`);
  const expected = COMMAND_LENGTH[opcode];
  if (payload.length !== expected) return fail(`${opcode} command must be ${expected} bytes, got ${payload.length}`);
  switch (opcode) {
    case 'REPORT_NOW':
      return { ok: true, commandId, spec: { opcode } };
    case 'SET_INTERVAL': {
      const seconds = payload.readUInt16BE(6);
      if (seconds === 0) return fail('SET_INTERVAL seconds must be 1 to 65535, got 0');
      return { ok: true, commandId, spec: { opcode, args: { seconds } } };
    }
    case 'IMMOBILIZE':
    case 'SWITCH_LAMP': {
      const v = payload[6]!;
      if (v > 1) return fail(`${opcode} argument must be 0 (off) or 1 (on), got ${v}`);
      return { ok: true, commandId, spec: { opcode, args: { on: v === 1 } } };
    }
    case 'DIM': {
      const percent = payload[6]!;
      if (percent > 100) return fail(`DIM percent must be 0 to 100, got ${percent}`);
      return { ok: true, commandId, spec: { opcode, args: { percent } } };
    }
  }
}
