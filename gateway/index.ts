// Public surface of the gateway: start the MQTT edge on its ports; the lost-gateway sweep and presence for workers.

export { createLostGatewaySweeper, GATEWAY_SWEEP_JOB } from './liveness.js';
export type { CommandPort, CredentialPort, GatewayMetrics, GatewayPorts, GatewaySettings, IngestSettings, PresencePort } from './ports.js';
export { createPresence } from './presence.js';
export { type Gateway, type GatewayOptions, startGateway } from './start.js';
