// Terminal health: silence watchdog, storm incidents and fault tickets. The worker role calls
// `start()`, which subscribes to device.uplink / device.fault events and runs the watchdog loop.

import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { EventEnvelope, EventService } from '../../src/events/index.js';
import type { Db } from '../../src/platform/database.js';
import type { Logger } from '../../src/platform/logger.js';
import type { TicketService } from '../../src/service-desk/index.js';
import { createDeadlineIndex } from './deadline-index.js';
import { createFaultTickets, type FaultReport } from './faults.js';
import { createIncidentTracker } from './incidents.js';
import { createTerminalCache } from './terminal-cache.js';
import { createWatchdog, type ParkedRecorder, type UplinkFrame, type WatchdogSettings } from './watchdog.js';

export type { AlarmRuleView, AlarmView } from './alarm.view.js';
export { type CompiledCondition, compileCondition, compileWindow, minuteOfDayIn } from './alarm-conditions.js';
export {
  type CompiledRule,
  createEvaluator,
  newTerminalState,
  type RuleSet,
  ruleSetOf,
  type TerminalState,
  type Transition,
  type UplinkFacts,
} from './alarm-engine.js';
export * from './alarm-rule.schemas.js';
export { compileRule, MAX_RULES, PREVIEW_MAX_TERMINALS } from './alarm-rules.service.js';
export { createMemoryAlarmState } from './alarm-state.js';
export { type AlarmModule, type AlarmModuleDeps, createAlarmModule } from './alarms.js';
export { type ExpectedInterval, expectedInterval, expectedIntervalOf, type IntervalSource } from './expected-interval.js';
export type { FaultOutcome, FaultReport } from './faults.js';
export { MASS_SILENCE } from './incidents.js';
export type { ParkedRecorder, UplinkFrame, UplinkOutcome, WatchdogSettings } from './watchdog.js';

export interface HealthDeps {
  db: Db;
  redis: Redis;
  prefix: string;
  tickets: TicketService;
  events: EventService;
  log: Logger;
  settings: WatchdogSettings;
  /** Stores a vehicle's parked state on its Device row (owned by the devices module). */
  recordParked: ParkedRecorder;
  /** How long terminal and model settings are cached in memory. */
  cacheTtlMs?: number;
}

const when = z.union([z.string(), z.number(), z.date()]).transform((v) => new Date(v));
const uplinkPayload = z.object({
  serial: z.string().min(1),
  receivedAt: when.optional(),
  decoded: z.record(z.string(), z.unknown()).nullable().optional(),
});
const faultPayload = z.object({
  serial: z.string().min(1),
  faultCode: z.coerce.number().int().min(0).max(0xffff),
  severity: z.coerce.number().int().min(0).max(3),
  detail: z.string().nullable().optional(),
  receivedAt: when.optional(),
});

export function createHealthModule(deps: HealthDeps) {
  const log = deps.log.child({ component: 'health' });
  const index = createDeadlineIndex({ redis: deps.redis, prefix: deps.prefix });
  const cache = createTerminalCache({ db: deps.db, ttlMs: deps.cacheTtlMs ?? 60_000 });
  const incidents = createIncidentTracker({ db: deps.db, tickets: deps.tickets, events: deps.events });
  const watchdog = createWatchdog({
    db: deps.db,
    index,
    cache,
    incidents,
    tickets: deps.tickets,
    events: deps.events,
    log,
    settings: deps.settings,
    recordParked: deps.recordParked,
  });
  const faults = createFaultTickets({ cache, tickets: deps.tickets });
  let subscribed = false;

  async function onEvent(e: EventEnvelope): Promise<void> {
    if (e.type === 'device.uplink') {
      const p = uplinkPayload.safeParse(e.payload);
      if (!p.success) return void log.debug({ eventId: e.id }, 'device.uplink without a serial ignored');
      await watchdog.observeUplink(
        p.data.serial,
        p.data.receivedAt ?? new Date(e.occurredAt),
        p.data.decoded as UplinkFrame | null | undefined,
      );
    } else if (e.type === 'device.fault') {
      const p = faultPayload.safeParse(e.payload);
      if (!p.success) return void log.warn({ eventId: e.id, issues: p.error.issues.length }, 'malformed device.fault ignored');
      await faults.handle(p.data);
    }
  }

  return {
    /** Feeds one uplink to the watchdog (the event handler does this for every device.uplink). */
    observeUplink: (serial: string, receivedAt: Date = new Date(), frame?: UplinkFrame | null) =>
      watchdog.observeUplink(serial, receivedAt, frame),
    reportFault: (report: FaultReport) => faults.handle(report),
    /** Resolves settled network incidents now (the loop does it every minute). */
    settleIncidents: (now?: number) => watchdog.settleIncidents(now),
    /** One watchdog pass now (tests and tools); the loop calls it every HEALTH_TICK_MS. */
    tick: (now?: number) => watchdog.tick(now),
    warmUp: (now?: number) => watchdog.warmUp(now),
    /** What the loop does first when no watchdog was alive: warm-up plus rebuilding the index from Postgres. */
    coldStart: (now?: number) => watchdog.coldStart(now),
    /** Forget cached terminal/model settings, e.g. after a model's interval changed. */
    invalidate: (serial?: string) => cache.invalidate(serial),
    keys: index.keys,

    /** Worker role: subscribe to terminal events (before the consumer starts) and run the loop. */
    start(onProgress?: () => void): { stop(): Promise<void> } {
      if (!subscribed) {
        deps.events.onEvent('health', onEvent);
        subscribed = true;
      }
      return watchdog.start(onProgress);
    },
  };
}

export type HealthModule = ReturnType<typeof createHealthModule>;
