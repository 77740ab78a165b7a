// Public surface of the protocol codecs (protocol.md section 3). Pure functions, no I/O.
export * from './frames.js';
export { decodeUplink, encodeUplink } from './uplink.js';
export {
  COMMAND_OPCODES,
  commandSpecSchema,
  commandAppliesTo,
  encodeCommand,
  decodeCommand,
  type CommandSpec,
  type CommandOpcode,
} from './commands.js';
