// Public surface of the gateway: start the MQTT edge; the lost-gateway sweep and presence for workers.
export { startGateway, type Gateway, type GatewayOptions } from './start.js';
export { createLostGatewaySweeper, GATEWAY_SWEEP_JOB } from './liveness.js';
export { createPresence } from './presence.js';
