// A gateway in a child process (role `gateway`) for the crash test and the benchmark: config
// from the environment like production; prints `MQTT_PORT=<port>` (and `MQTT_TLS_PORT=<port>`) once listening.

import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { startSystem } from '../../src/app/system.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/platform/logger.js';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL, { role: 'gateway-fixture' });
const system = await startSystem(config, 'gateway', log);
process.stdout.write(`MQTT_TLS_PORT=${system.mqttTlsPort} MQTT_PORT=${system.mqttPort}\n`);
process.once('SIGTERM', () => void system.stop().then(() => process.exit(0)));
// For bench:connections: a full collection (when run with --expose-gc), then the memory figures
// on stdout, and a heap snapshot into BENCH_HEAP_SNAPSHOT when that is set.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const dir = process.env.BENCH_HEAP_SNAPSHOT;
  const snapshot = dir ? writeHeapSnapshot(join(dir, `gateway-${process.pid}-${Date.now()}.heapsnapshot`)) : null;
  process.stdout.write(`MEMORY ${JSON.stringify({ ...process.memoryUsage(), snapshot })}\n`);
});
