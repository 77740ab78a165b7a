// Child process of webhooks.bench.ts (--split): one more platform process of the given role on
// the bench's database and Redis prefix, as production runs roles in separate processes.
// Answers `cpu` with its own CPU time so the bench can report the platform's total.
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { startSystem, type ProcessRole } from '../../src/system.js';

const [role, envJson] = process.argv.slice(2) as [ProcessRole, string];
const config = loadConfig(JSON.parse(envJson) as Record<string, string>);
const system = await startSystem(config, role, createLogger(config.LOG_LEVEL, { test: true }));
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'cpu') {
    const c = process.cpuUsage();
    process.send!({ cpuUs: c.user + c.system });
  }
  if (m.cmd === 'exit') void system.stop().then(() => process.exit(0));
});
process.send!({ ready: true });
