// Progress of the background loops (outbox relay, webhook deliveries, watchdog, SLA monitor,
// billing): each loop reports when it advances; a loop that has work and has not advanced for
// the stall time is stalled, which /readyz, the metrics, the log and the console's overview say.
// Progress is shared through Redis, so an API process sees the loops of the worker processes.
import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface LoopSpec {
  name: string;
  /**
   * Age in ms of the oldest work waiting for the loop, or null when none waits. Without it the
   * loop is periodic: it always has work once it has run somewhere.
   */
  pendingAgeMs?: () => Promise<number | null>;
  /** Longest normal gap between two reports (a periodic loop's interval). */
  everyMs?: number;
}

export interface LoopState {
  loop: string;
  stalled: boolean;
  /** Last progress seen from any process, ISO time; null when none was ever reported. */
  lastProgressAt: string | null;
  /** Age in seconds of the oldest work waiting, when known. */
  pendingAgeSec: number | null;
}

/** The background loops, by the names the metrics, logs and /readyz use. */
export const LOOP = {
  outboxRelay: 'outbox-relay',
  webhookDeliveries: 'webhook-deliveries',
  watchdog: 'health-watchdog',
  slaMonitor: 'sla-monitor',
  billing: 'billing',
} as const;

// A backlog measure that does not answer in time (its store is away) counts as unknown.
const MEASURE_TIMEOUT_MS = 1_000;
// Progress is written to Redis at most this often per loop; readers allow for the lag.
const PUBLISH_EVERY_MS = 1_000;

export function createLoopMonitor(deps: { redis: Redis; prefix: string; log: Logger; metrics?: Metrics; stallAfterMs: number }) {
  const key = `${deps.prefix}:loops:progress`;
  const specs = new Map<string, LoopSpec>();
  const local = new Map<string, number>();
  const published = new Map<string, number>();

  async function shared(): Promise<Map<string, number>> {
    // A Redis that does not answer must not hold up /readyz: the local view is enough then.
    const fields = await Promise.race([
      deps.redis.hgetall(key).catch(() => ({}) as Record<string, string>),
      new Promise<Record<string, string>>((r) => setTimeout(() => r({}), 500).unref()),
    ]);
    return new Map(Object.entries(fields).map(([k, v]) => [k, Number(v)]));
  }

  async function pending(spec: LoopSpec): Promise<number | null | undefined> {
    if (!spec.pendingAgeMs) return undefined;
    try {
      return await Promise.race([
        spec.pendingAgeMs(),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), MEASURE_TIMEOUT_MS).unref()),
      ]);
    } catch {
      return undefined; // the store holding the work is away; its own check says so
    }
  }

  const monitor = {
    define(spec: LoopSpec): void {
      specs.set(spec.name, spec);
    },

    /** The loop advanced (a pass completed, a job finished), whether or not it had work. */
    progress(loop: string): void {
      const now = Date.now();
      local.set(loop, now);
      if (now - (published.get(loop) ?? 0) < PUBLISH_EVERY_MS) return;
      published.set(loop, now);
      void deps.redis.hset(key, loop, String(now)).catch(() => published.delete(loop));
    },

    async check(now = Date.now()): Promise<LoopState[]> {
      const remote = await shared();
      return Promise.all(
        [...specs.values()].map(async (spec): Promise<LoopState> => {
          const last = Math.max(local.get(spec.name) ?? 0, remote.get(spec.name) ?? 0) || null;
          const limit = Math.max(deps.stallAfterMs, 2 * (spec.everyMs ?? 0)) + PUBLISH_EVERY_MS;
          const idleFor = last === null ? Infinity : now - last;
          const age = await pending(spec);
          // Periodic loops only count once they have run somewhere; loops with a backlog
          // measure are stalled when work has waited too long and nothing advanced meanwhile.
          const stalled = spec.pendingAgeMs ? age != null && age > limit && idleFor > limit : last !== null && idleFor > limit;
          return {
            loop: spec.name,
            stalled,
            lastProgressAt: last === null ? null : new Date(last).toISOString(),
            pendingAgeSec: age == null ? null : Math.round(age / 1_000),
          };
        }),
      );
    },

    /** Checks every few seconds: the metrics follow, and a stall is logged when it starts and ends. */
    start(): { stop(): Promise<void> } {
      const stalled = new Set<string>();
      let running: Promise<void> = Promise.resolve();
      // Often enough to name a stall within the stall time, at most every 5 s.
      const every = Math.min(5_000, Math.max(500, deps.stallAfterMs / 2));
      const timer = setInterval(() => {
        running = monitor.check().then(
          (states) => {
            for (const s of states) {
              deps.metrics?.loopStalled.labels(s.loop).set(s.stalled ? 1 : 0);
              if (s.lastProgressAt) deps.metrics?.loopProgressAge.labels(s.loop).set((Date.now() - Date.parse(s.lastProgressAt)) / 1_000);
              if (s.pendingAgeSec !== null) deps.metrics?.loopPendingAge.labels(s.loop).set(s.pendingAgeSec);
              if (s.stalled && !stalled.has(s.loop)) {
                stalled.add(s.loop);
                deps.log.error(
                  { loop: s.loop, lastProgressAt: s.lastProgressAt, pendingAgeSec: s.pendingAgeSec },
                  `background loop ${s.loop} is stalled`,
                );
              } else if (!s.stalled && stalled.delete(s.loop)) {
                deps.log.info({ loop: s.loop }, `background loop ${s.loop} advances again`);
              }
            }
          },
          (err: Error) => deps.log.warn({ err: err.message }, 'loop check failed'),
        );
      }, every);
      timer.unref();
      return {
        async stop() {
          clearInterval(timer);
          await running;
        },
      };
    },
  };
  return monitor;
}

export type LoopMonitor = ReturnType<typeof createLoopMonitor>;
