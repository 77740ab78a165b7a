// The whole platform (role `all`) in a child process, configured from the environment like
// production; prints `PLATFORM {"httpUrl":...,"mqttPort":...}` once it listens.

import { startSystem } from '../../src/app/system.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/platform/logger.js';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL, { role: 'platform-fixture' });
const system = await startSystem(config, 'all', log);
process.stdout.write(`PLATFORM ${JSON.stringify({ httpUrl: system.httpUrl, mqttPort: system.mqttPort })}\n`);
process.once('SIGTERM', () => void system.stop().then(() => process.exit(0)));
