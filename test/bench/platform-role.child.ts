// Child process of webhooks.bench.ts (--split): one more platform process of the given role on
// the bench's database and Redis prefix, as production runs roles in separate processes.
// Answers `cpu` with its own CPU time and event-loop utilisation so the bench can report them.

import { type ProcessRole, startSystem } from '../../src/app/system.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/platform/logger.js';

const [role, envJson] = process.argv.slice(2) as [ProcessRole, string];
const config = loadConfig(JSON.parse(envJson) as Record<string, string>);
const system = await startSystem(config, role, createLogger(config.LOG_LEVEL, { test: true }));
// Event-loop utilisation per second since the last `cpu` request.
let elu: number[] = [];
let lastElu = performance.eventLoopUtilization();
setInterval(() => {
  const now = performance.eventLoopUtilization();
  elu.push(performance.eventLoopUtilization(now, lastElu).utilization);
  lastElu = now;
}, 1_000).unref();
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'cpu') {
    const c = process.cpuUsage();
    process.send!({ cpuUs: c.user + c.system, elu });
    elu = [];
  }
  if (m.cmd === 'exit') void system.stop().then(() => process.exit(0));
});
process.send!({ ready: true });
