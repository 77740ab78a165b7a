// A gateway in a child process (role `gateway`) for the crash test and the benchmark: config
// from the environment like production; prints `MQTT_PORT=<port>` (and `MQTT_TLS_PORT=<port>`) once listening.

import { startSystem } from '../../src/app/system.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/platform/logger.js';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL, { role: 'gateway-fixture' });
const system = await startSystem(config, 'gateway', log);
process.stdout.write(`MQTT_TLS_PORT=${system.mqttTlsPort} MQTT_PORT=${system.mqttPort}\n`);
process.once('SIGTERM', () => void system.stop().then(() => process.exit(0)));
