// Public surface of the protocol codecs (protocol.md section 3). Pure functions, no I/O.

export {
  COMMAND_OPCODES,
  type CommandOpcode,
  type CommandSpec,
  commandAppliesTo,
  commandSpecSchema,
  decodeCommand,
  encodeCommand,
} from './commands.js';
export { DECODED_FIELDS, type DecodedField, decodedField, type FieldKind, NUMERIC_FIELDS } from './fields.js';
export * from './frames.js';
export { decodeUplink, encodeUplink } from './uplink.js';
