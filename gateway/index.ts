// Public surface of the gateway: start the MQTT edge on its ports; the lost-gateway sweep and presence for workers.
export { startGateway, type Gateway, type GatewayOptions } from './start.js';
export type { GatewayPorts, GatewaySettings, IngestSettings, CredentialPort, CommandPort, PresencePort, GatewayMetrics } from './ports.js';
export { createLostGatewaySweeper, GATEWAY_SWEEP_JOB } from './liveness.js';
export { createPresence } from './presence.js';
