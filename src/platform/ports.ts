import type { Config } from '../config.js';
import { assertPortFree } from './embedded-postgres.js';
import type { Logger } from './logger.js';

async function isFree(port: number, host: string): Promise<boolean> {
  return assertPortFree(port, '', host).then(
    () => true,
    () => false,
  );
}

/**
 * Demo mode must start on any machine, including one where a local Mosquitto holds 1883 or
 * something else holds 3000: a port left at its default moves to the next free one, with a
 * warning naming the variable. A port set explicitly is never moved (start-up then fails
 * with a message naming it).
 */
export async function demoPorts(config: Config, log: Logger): Promise<Config> {
  const moved: Partial<Record<'HTTP_PORT' | 'MQTT_PORT' | 'MQTT_TLS_PORT' | 'METRICS_PORT', number>> = {};
  const hosts = {
    HTTP_PORT: config.HTTP_HOST,
    MQTT_PORT: config.MQTT_HOST,
    MQTT_TLS_PORT: config.MQTT_HOST,
    METRICS_PORT: config.METRICS_HOST,
  } as const;
  for (const key of ['HTTP_PORT', 'MQTT_PORT', 'MQTT_TLS_PORT', 'METRICS_PORT'] as const) {
    const wanted = config[key];
    if (config.SET_BY_ENV.has(key) || wanted === 0 || (await isFree(wanted, hosts[key]))) continue;
    for (let port = wanted + 1; port < wanted + 50; port++) {
      if (await isFree(port, hosts[key])) {
        moved[key] = port;
        log.warn({ [key]: port }, `port ${wanted} is taken; the demo uses ${port} instead (set ${key} to choose)`);
        break;
      }
    }
  }
  return Object.freeze({ ...config, ...moved });
}
