import { readFile } from 'node:fs/promises';
import { printDemoBanner, seedDemo } from '../prisma/seed/demo.js';
import { demoFleetCredentials } from '../prisma/seed/demo-fleet.js';
import { startDemoFleet } from '../simulators/index.js';
import { type ProcessRole, ROLES, type System, startSystem } from './app/system.js';
import { type Config, loadConfig } from './config.js';
import { createLogger } from './platform/logger.js';
import { demoPorts } from './platform/ports.js';
import { withDemoCertificate } from './platform/tls-certificate.js';

/** Entry point: `main.ts <all|gateway|api|worker> [--demo]`. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const role = (args.find((a) => !a.startsWith('-')) ?? 'all') as ProcessRole;
  if (!ROLES.includes(role)) {
    process.stderr.write(`Unknown role "${role}". Use one of: ${ROLES.join(', ')}\n`);
    process.exit(2);
  }
  const demo = args.includes('--demo');
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  if (demo && config.NODE_ENV === 'production') {
    // Demo users have published passwords: they must never exist on a production database.
    process.stderr.write('--demo is refused with NODE_ENV=production: demo users and data are never created in production\n');
    process.exit(2);
  }
  const log = createLogger(config.LOG_LEVEL, { role });
  let system: System;
  try {
    if (demo) config = await demoPorts(config, log);
    if (demo && (role === 'all' || role === 'gateway')) config = await withDemoCertificate(config, log);
    system = await startSystem(config, role, log);
  } catch (err) {
    log.fatal({ err }, (err as Error).message);
    process.exit(1);
  }
  let stopFleet = async () => {};
  if (demo) {
    const seeded = await seedDemo(system.services);
    if ((system.mqttPort || system.mqttTlsPort) && config.DEMO_FLEET_SIZE > 0) {
      // A small simulated fleet so the console shows a living network; over TLS when plain MQTT is off.
      const credentials = await demoFleetCredentials(system.services, config.DEMO_FLEET_SIZE);
      const fleetLog = log.child({ component: 'demo-fleet' });
      const url = system.mqttPort ? `mqtt://127.0.0.1:${system.mqttPort}` : `mqtts://localhost:${system.mqttTlsPort}`;
      const ca = system.mqttPort ? undefined : await readFile(config.MQTT_TLS_CERT!);
      const fleet = await startDemoFleet({ url, ca, credentials, log: (msg) => fleetLog.debug(msg) });
      system.endpoints.push(`Demo fleet: ${credentials.length} simulated terminals (DEMO_FLEET_SIZE)`);
      stopFleet = () => fleet.stop();
    }
    printDemoBanner(seeded, system);
  }
  // One line per process when it serves: what listens where, and how long start-up took
  // (from process start, so the loader's own cost counts too).
  log.info(
    {
      httpUrl: system.httpUrl,
      mqttPort: system.mqttPort,
      mqttTlsPort: system.mqttTlsPort,
      metricsUrl: system.metricsUrl,
      startupMs: Math.round(performance.now()),
    },
    'ready',
  );
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await stopFleet();
    await system.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

void main();
