// Public surface of the fleet simulators: behaviour models, the MQTT fleet, load mode,
// credentials. Used by the CLI, tests, the gateway benchmark and `npm start` demo mode.
export { startFleet, startDemoFleet, type Fleet, type FleetOptions, type DemoFleetOptions } from './fleet.js';
export { runLoad, loadPayload, type LoadOptions, type LoadProgress, type LoadResult } from './load.js';
export {
  parseCredentialsCsv,
  readCredentialsCsv,
  writeCredentialsCsv,
  provisionViaApi,
  makeSerials,
  type TerminalCredential,
  type ProvisionOptions,
} from './credentials.js';
export { SimTerminal, type UplinkRecord, type TerminalOptions } from './terminal.js';
export { SimClock } from './clock.js';
export { createRng, type Rng } from './prng.js';
export { LatencyHistogram } from './histogram.js';
export { newFleetStats, type FleetStats } from './stats.js';
export * from './models/index.js';
