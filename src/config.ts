import { isIP } from 'node:net';
import { z } from 'zod';

// The only place that reads process.env. Every variable is documented in the README.
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** `10.0.0.7`, `10.0.0.0/8`, `fd00::/8`: an address, or a network with a prefix length its family allows. */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

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
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]+$/i)
    .default('nx'),
  // Loopback by default: the demo's passwords are published, so reaching it from elsewhere is a choice.
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: port.default(3000),
  // Prometheus /metrics on a listener of its own, apart from the API and its authentication.
  METRICS_HOST: z.string().default('127.0.0.1'),
  METRICS_PORT: port.default(9464),
  // Browser origins allowed to call the API from other sites (comma-separated); empty: no CORS headers.
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim().replace(/\/$/, ''))
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'comma-separated origins such as https://app.example.com'))),
  MQTT_HOST: z.string().default('127.0.0.1'),
  MQTT_PORT: port.default(1883),
  // MQTT over TLS on MQTT_HOST: on when a certificate and key (PEM files) are given; demo mode makes a self-signed pair.
  MQTT_TLS_PORT: port.default(8883),
  MQTT_TLS_CERT: z.string().min(1).optional(),
  MQTT_TLS_KEY: z.string().min(1).optional(),
  // false: no plain MQTT listener, terminals connect over TLS only (needs MQTT_TLS_CERT and MQTT_TLS_KEY).
  MQTT_PLAIN: bool.default(true),
  // Behind a load balancer (HAProxy send-proxy / send-proxy-v2, a cloud NLB): every MQTT connection
  // must start with a PROXY protocol header of these versions, naming the terminal's address.
  MQTT_PROXY_PROTOCOL: z.enum(['off', 'v1', 'v2', 'any']).default('off'),
  // The balancers' addresses or CIDR ranges (comma-separated); others are refused. Required with MQTT_PROXY_PROTOCOL.
  MQTT_PROXY_TRUSTED: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().refine(isAddressOrCidr, 'comma-separated IP addresses or CIDR ranges such as 10.0.0.0/8'))),
  GATEWAY_ID: z.string().optional(),
  OPERATOR_TIMEZONE: z.string().default('Asia/Shanghai'),
  SESSION_TTL_HOURS: z.coerce.number().int().positive().default(12),
  // Key that encrypts webhook signing secrets and stored idempotent responses at rest; a demo default is derived when unset.
  SECRET_KEY: z.string().min(16).optional(),
  INGEST_BATCH_MAX: z.coerce.number().int().positive().default(500),
  INGEST_BATCH_WAIT_MS: z.coerce.number().int().min(0).default(2),
  // Months terminals' messages are kept unless their tariff plan says otherwise; older monthly partitions are dropped.
  MESSAGE_RETENTION_MONTHS: z.coerce.number().int().min(1).max(120).default(13),
  // When set, a message partition is written there (gzip NDJSON) before it is dropped.
  MESSAGE_ARCHIVE_DIR: z.string().min(1).optional(),
  // Ingest transactions in flight at once per gateway (acknowledged in order regardless).
  INGEST_WRITERS: z.coerce.number().int().min(1).max(32).default(4),
  // Connection attempts accepted per remote address: bucket size and refill per second.
  MQTT_CONNECT_BURST: z.coerce.number().int().positive().default(500),
  MQTT_CONNECT_PER_SECOND: z.coerce.number().positive().default(100),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: bool.default(false),
  // Multiplies every webhook retry delay (1 = 0 s, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); tests shrink it.
  WEBHOOK_RETRY_SCALE: z.coerce.number().positive().default(1),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  // Per worker process: first attempts in flight, and as many queued attempts (each endpoint also has its own maxConcurrency).
  WEBHOOK_WORKER_CONCURRENCY: z.coerce.number().int().positive().default(256),
  // Per worker process and endpoint: first attempts waiting in memory before further ones go to the delivery queue.
  // An endpoint whose oldest undelivered event is this old gets an endpoint.lagging event sent to its customer.
  WEBHOOK_LAG_ALERT_SEC: z.coerce.number().int().positive().default(300),
  WEBHOOK_LANE_MAX_QUEUED: z.coerce.number().int().positive().default(10_000),
  DEMO_FLEET_SIZE: z.coerce.number().int().min(0).default(24),
  // A background loop (outbox relay, webhook deliveries, watchdog, SLA monitor, billing) with work that has not advanced this long is stalled.
  LOOP_STALL_SEC: z.coerce.number().int().positive().default(60),
  // Health watchdog: how often it looks for expired silence deadlines, and how long past a
  // deadline it waits before deciding, so terminals going silent together are judged together.
  HEALTH_TICK_MS: z.coerce.number().int().positive().default(1_000),
  HEALTH_SILENCE_GRACE_MS: z.coerce.number().int().min(0).default(5_000),
  // Storm: this share of the active fleet (and at least STORM_MIN_TERMINALS) silent within
  // STORM_WINDOW_SEC opens one network incident instead of per-terminal tickets.
  STORM_SHARE: z.coerce.number().min(0).max(1).default(0.2),
  STORM_MIN_TERMINALS: z.coerce.number().int().min(1).default(20),
  STORM_WINDOW_SEC: z.coerce.number().int().positive().default(120),
  // Billing: the monthly run starts this long after the month ends (operator time zone).
  BILLING_GRACE_HOURS: z.coerce
    .number()
    .int()
    .min(0)
    .max(27 * 24)
    .default(24),
  // Contract jobs in flight per worker process; their contracts are drafted together in batches.
  BILLING_CONCURRENCY: z.coerce.number().int().positive().default(128),
  // Days overdue at which a reminder goes out (comma-separated), and at which the contract is suspended.
  DUNNING_REMINDER_DAYS: z
    .string()
    .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'comma-separated whole days')
    .default('7,14')
    .transform((s) => s.split(',').map((x) => Number(x.trim()))),
  DUNNING_SUSPEND_DAYS: z.coerce.number().int().positive().default(30),
  // Service desk holidays (local YYYY-MM-DD, comma-separated): no business minutes count on them for SLAs.
  SLA_HOLIDAYS: z
    .string()
    .regex(/^\s*(\d{4}-\d{2}-\d{2}(\s*,\s*\d{4}-\d{2}-\d{2})*)?\s*$/, 'comma-separated YYYY-MM-DD dates')
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  // E-mail (src/platform/mailer.ts), shared by billing and the pager: SMTP when set, else .eml
  // files under MAIL_DIR (default DATA_DIR/mail) that the console lists.
  SMTP_URL: z.string().url().optional(),
  MAIL_DIR: z.string().min(1).optional(),
  // Sender of invoices, reminders and usage alerts; pages use PAGE_FROM.
  MAIL_FROM: z.string().email().default('billing@nexsphere.local'),
  // A failed send is retried this many times in all, waiting MAIL_RETRY_BASE_MS, then twice as long each time.
  MAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  MAIL_RETRY_BASE_MS: z.coerce.number().int().positive().default(10_000),
  // How often contracts' usage this month is checked against 80% and 100% of their allowance.
  USAGE_ALERT_EVERY_SEC: z.coerce.number().int().positive().default(300),
  // Paging the on-call engineer (src/notifications): e-mail through the shared mailer, SMS through an HTTP gateway.
  PAGE_FROM: z.string().email().default('pager@nexsphere.local'),
  SMS_GATEWAY_URL: z.string().url().optional(),
  SMS_GATEWAY_TOKEN: z.string().min(1).optional(),
  // Fractions allowed (tests use seconds); an unacknowledged page escalates after this long.
  PAGE_ACK_MINUTES: z.coerce.number().positive().max(1440).default(5),
  // Where the link in a page points (the API's public base, e.g. https://ops.example.com).
  PUBLIC_URL: z.string().url().default('http://localhost:3000'),
  // Outgoing incident webhook in the PagerDuty Events API v2 format; off while no routing key is set.
  INCIDENT_WEBHOOK_URL: z
    .string()
    .url()
    .refine(
      (u) => /^https?:$/.test(new URL(u).protocol) && !new URL(u).username && !new URL(u).password,
      'an http(s) URL without credentials',
    )
    .default('https://events.pagerduty.com/v2/enqueue'),
  INCIDENT_WEBHOOK_ROUTING_KEY: z.string().min(1).max(200).optional(),
  // Sender of the e-mails customers' contacts receive about their tickets.
  TICKET_MAIL_FROM: z.string().email().default('service@nexsphere.local'),
});

export type Config = Readonly<
  z.infer<typeof schema> & {
    /** Variables the environment set explicitly (so demo mode may move only defaulted ports). */
    SET_BY_ENV: ReadonlySet<string>;
  }
>;

export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  if (parsed.data.NODE_ENV === 'production' && !parsed.data.SECRET_KEY) {
    // The fallback key is in the source code: with it, anyone could decrypt the webhook secrets.
    throw new Error('Invalid configuration:\n  SECRET_KEY: required when NODE_ENV=production (at least 16 characters)');
  }
  if (!parsed.data.MQTT_TLS_CERT !== !parsed.data.MQTT_TLS_KEY) {
    throw new Error('Invalid configuration:\n  MQTT_TLS_CERT, MQTT_TLS_KEY: set both (PEM certificate and private key) or neither');
  }
  if (parsed.data.MQTT_PROXY_PROTOCOL !== 'off' && parsed.data.MQTT_PROXY_TRUSTED.length === 0) {
    // Trusting every source would let anyone name any address and walk around per-address limits.
    throw new Error(
      "Invalid configuration:\n  MQTT_PROXY_TRUSTED: required with MQTT_PROXY_PROTOCOL (the load balancers' addresses or CIDR ranges)",
    );
  }
  const setByEnv = new Set(Object.keys(schema.shape).filter((k) => env[k] !== undefined));
  return Object.freeze({ ...parsed.data, SET_BY_ENV: setByEnv, ...overrides });
}
