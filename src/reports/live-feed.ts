// The console's live feed: the worker turns relayed domain events into compact events and
// publishes them in small batches on one Redis channel; each API process subscribes once and
// fans them out to its SSE clients. Redis pub/sub, so api and worker may be separate processes.
import type { Redis } from 'ioredis';
import type { LiveEvent } from '../api-types/index.js';
import type { EventEnvelope, EventService } from '../events/index.js';
import type { Logger } from '../platform/logger.js';

export type { LiveEvent };

export const liveChannel = (prefix: string): string => `${prefix}:live`;
/** Hash deviceId -> [lat, lon, iso time] of each vehicle's last reported fix (the map's source). */
export const fixesKey = (prefix: string): string => `${prefix}:live:fixes`;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function toLiveEvent(e: EventEnvelope): LiveEvent {
  const p = e.payload;
  const decoded = (p.decoded && typeof p.decoded === 'object' ? p.decoded : {}) as Record<string, unknown>;
  const text =
    str(p.subject) ?? str(p.number) ?? str(p.reason) ?? str(p.detail) ?? (typeof p.status === 'string' ? `status ${p.status}` : null);
  return {
    id: e.id,
    type: e.type,
    at: str(p.receivedAt) ?? str(p.at) ?? e.occurredAt,
    customerId: e.customerId,
    serial: str(p.serial),
    label: str(p.label),
    category: str(p.category),
    kind: str(p.kind),
    severity: num(p.severity) ?? str(p.priority),
    faultCode: num(p.faultCode),
    lat: num(decoded.latitude),
    lon: num(decoded.longitude),
    text,
  };
}

/**
 * Registers the worker-side handler. Events are batched for `flushMs` so a busy network costs
 * a few publishes a second, not one per uplink; a batch is capped so a burst cannot build a
 * huge message (the console only needs a sample of uplinks, counts come from the overview).
 */
export function startLivePublisher(deps: {
  events: EventService;
  redis: Redis;
  prefix: string;
  log: Logger;
  flushMs?: number;
  maxBatch?: number;
}) {
  const { events, redis, prefix, log } = deps;
  const maxBatch = deps.maxBatch ?? 500;
  let batch: LiveEvent[] = [];
  let dropped = 0;
  let stopped = false;
  // Last fix per vehicle in this flush window; older fixes of the same vehicle are superseded.
  let fixes = new Map<string, string>();

  events.onEvent('live-feed', async (e) => {
    if (stopped) return;
    if (e.type === 'device.uplink' && e.deviceId) {
      const d = (e.payload.decoded ?? {}) as Record<string, unknown>;
      if (typeof d.latitude === 'number' && typeof d.longitude === 'number') {
        fixes.set(e.deviceId, JSON.stringify([d.latitude, d.longitude, e.payload.receivedAt ?? e.occurredAt]));
      }
    }
    // Only routine uplinks are shed under load; state changes (faults, offline, tickets) always go.
    if (batch.length >= maxBatch && e.type === 'device.uplink') {
      dropped++;
      return;
    }
    batch.push(toLiveEvent(e));
  });

  async function flush(): Promise<void> {
    if (fixes.size) {
      const out = fixes;
      fixes = new Map();
      await redis.hset(fixesKey(prefix), Object.fromEntries(out)).catch((err: unknown) => log.warn({ err }, 'live fixes write failed'));
    }
    if (batch.length === 0 && dropped === 0) return;
    const out = batch;
    const skipped = dropped;
    batch = [];
    dropped = 0;
    // Live is best effort: a failed publish is logged and the batch is gone (nothing durable here).
    await redis.publish(liveChannel(prefix), JSON.stringify({ events: out, dropped: skipped })).catch((err: unknown) => {
      log.warn({ err }, 'live feed publish failed');
    });
  }
  const timer = setInterval(() => void flush(), deps.flushMs ?? 250);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await flush();
    },
  };
}

export type LiveListener = (batch: { events: LiveEvent[]; dropped: number }) => void;

/** API-side: one Redis subscription per process, opened on the first listener. */
export function createLiveHub(deps: { redis: Redis; prefix: string; log: Logger }) {
  const listeners = new Set<LiveListener>();
  let sub: Redis | null = null;
  const channel = liveChannel(deps.prefix);

  function ensureSubscribed(): void {
    if (sub) return;
    sub = deps.redis.duplicate();
    sub.on('error', (err) => deps.log.warn({ err: err.message }, 'live feed subscriber error'));
    sub.on('message', (_ch: string, message: string) => {
      let parsed: { events: LiveEvent[]; dropped: number };
      try {
        parsed = JSON.parse(message) as { events: LiveEvent[]; dropped: number };
      } catch {
        return;
      }
      for (const l of listeners) l(parsed);
    });
    void sub.subscribe(channel).catch((err: unknown) => deps.log.warn({ err }, 'live feed subscribe failed'));
  }

  return {
    listen(l: LiveListener): () => void {
      ensureSubscribed();
      listeners.add(l);
      return () => listeners.delete(l);
    },
    get listenerCount(): number {
      return listeners.size;
    },
    async close(): Promise<void> {
      listeners.clear();
      if (sub) {
        const s = sub;
        sub = null;
        s.disconnect();
      }
    },
  };
}

export type LiveHub = ReturnType<typeof createLiveHub>;
