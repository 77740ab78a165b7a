// Public surface of the fleet simulators: behaviour models, the MQTT fleet, load mode,
// credentials. Used by the CLI, tests, the gateway benchmark and `npm start` demo mode.

export { SimClock } from './clock.js';
export {
  makeSerials,
  type ProvisionOptions,
  parseCredentialsCsv,
  provisionViaApi,
  readCredentialsCsv,
  type TerminalCredential,
  writeCredentialsCsv,
} from './credentials.js';
export { type DemoFleetOptions, type Fleet, type FleetOptions, startDemoFleet, startFleet } from './fleet.js';
export { LatencyHistogram } from './histogram.js';
export { type LoadOptions, type LoadProgress, type LoadResult, loadPayload, runLoad } from './load.js';
export * from './models/index.js';
export { createRng, type Rng } from './prng.js';
export { ALARM_SCENARIOS, type AlarmScenario, isAlarmScenario, type ScenarioSwitch, withScenario } from './scenarios.js';
export { type FleetStats, newFleetStats } from './stats.js';
export { SimTerminal, type TerminalOptions, type UplinkRecord } from './terminal.js';
