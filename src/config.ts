import { z } from 'zod';

// The only place that reads process.env. Every variable is documented in the README.
const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

const port = z.coerce.number().int().min(0).max(65535);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./.data'),
  EMBEDDED_PG_PORT: port.default(54329),
  REDIS_URL: z.string().url().optional(),
  EMBEDDED_REDIS_PORT: port.default(63790),
  // Prefix of every Redis key and BullMQ queue, so several installations can share one Redis.
  REDIS_PREFIX: z.string().regex(/^[a-z0-9_-]+$/i).default('nx'),
  HTTP_HOST: z.string().default('0.0.0.0'),
  HTTP_PORT: port.default(3000),
  MQTT_HOST: z.string().default('0.0.0.0'),
  MQTT_PORT: port.default(1883),
  GATEWAY_ID: z.string().optional(),
  OPERATOR_TIMEZONE: z.string().default('Asia/Shanghai'),
  SESSION_TTL_HOURS: z.coerce.number().int().positive().default(12),
  // Key that encrypts webhook signing secrets at rest; a demo default is derived when unset.
  SECRET_KEY: z.string().min(16).optional(),
  INGEST_BATCH_MAX: z.coerce.number().int().positive().default(500),
  INGEST_BATCH_WAIT_MS: z.coerce.number().int().min(0).default(2),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: bool.default(false),
  DEMO_FLEET_SIZE: z.coerce.number().int().min(0).default(24),
});

export type Config = Readonly<z.infer<typeof schema>>;

export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze({ ...parsed.data, ...overrides });
}
