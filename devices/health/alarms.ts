// Alarm rules at the ingest rate: the worker's device.uplink events are gathered for a turn of
// the event loop, evaluated in memory against the compiled rules, and only what changes state
// touches Redis (streaks) or Postgres (alarms). Rules are reloaded when their version moves.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { AuditService } from '../../src/audit/index.js';
import type { EventEnvelope, EventService } from '../../src/events/index.js';
import { createBatcher } from '../../src/platform/batcher.js';
import type { Db } from '../../src/platform/database.js';
import type { Logger } from '../../src/platform/logger.js';
import type { TicketService } from '../../src/service-desk/index.js';
import { createAlarmService } from './alarm.service.js';
import { type Frame, minuteOfDayIn } from './alarm-conditions.js';
import { createEvaluator, type RuleSet, ruleSetOf, type TerminalState, type Transition, type UplinkFacts } from './alarm-engine.js';
import { createAlarmRuleService } from './alarm-rules.service.js';
import { createRedisAlarmState } from './alarm-state.js';
import { createTerminalCache } from './terminal-cache.js';

/** How often a worker asks Redis whether the rules changed. */
const RULES_CHECK_MS = 1_000;

const uplink = z.object({
  serial: z.string().min(1),
  seq: z.union([z.number(), z.string()]).transform(Number),
  model: z.string(),
  category: z.string(),
  receivedAt: z.string(),
  decoded: z.record(z.string(), z.unknown()).nullable().optional(),
});

export interface AlarmModuleDeps {
  db: Db;
  redis: Redis;
  prefix: string;
  audit: AuditService;
  events: Pick<EventService, 'emit' | 'onEvent'>;
  tickets: Pick<TicketService, 'createAutoIn' | 'autoResolve'>;
  log: Logger;
  /** The operator's time zone: rules' time windows are read in it. */
  timeZone: string;
  page?: ((ticketId: string) => Promise<unknown>) | undefined;
  cacheTtlMs?: number;
}

export function createAlarmModule(deps: AlarmModuleDeps) {
  const log = deps.log.child({ component: 'alarms' });
  const state = createRedisAlarmState({ redis: deps.redis, prefix: deps.prefix });
  const evaluator = createEvaluator({ minuteOfDay: minuteOfDayIn(deps.timeZone) });
  const cache = createTerminalCache({ db: deps.db, ttlMs: deps.cacheTtlMs ?? 60_000 });
  let generation = 0;
  let ruleSet: RuleSet = ruleSetOf([], generation);
  let storedVersion = -1;
  let dirty = true;
  let checkedAt = 0;

  const rules = createAlarmRuleService({
    db: deps.db,
    redis: deps.redis,
    prefix: deps.prefix,
    audit: deps.audit,
    timeZone: deps.timeZone,
    onChange: () => {
      dirty = true;
    },
  });
  const alarms = createAlarmService({
    db: deps.db,
    audit: deps.audit,
    events: deps.events,
    tickets: deps.tickets,
    state,
    log,
    page: deps.page,
  });

  async function currentRules(): Promise<RuleSet> {
    const now = Date.now();
    if (!dirty && now - checkedAt < RULES_CHECK_MS) return ruleSet;
    checkedAt = now;
    const version = await rules.currentVersion();
    if (dirty || version !== storedVersion) {
      dirty = false;
      const loaded = await rules.loadCompiled();
      storedVersion = loaded.version;
      ruleSet = ruleSetOf(loaded.rules, ++generation);
      log.info({ rules: loaded.rules.length, version: loaded.version }, 'alarm rules loaded');
    }
    return ruleSet;
  }

  /** One batch of uplink events: evaluate, write the transitions, then the streaks that changed. */
  async function evaluate(events: EventEnvelope[]): Promise<Transition[]> {
    const set = await currentRules();
    if (set.size === 0) return [];
    const parsed = events.flatMap((e) => {
      const p = uplink.safeParse(e.payload);
      return p.success && p.data.decoded && e.deviceId ? [{ e, p: p.data, decoded: p.data.decoded as Frame }] : [];
    });
    if (!parsed.length) return [];
    const infos = await cache.getMany(parsed.map((x) => x.p.serial));
    const facts: UplinkFacts[] = [];
    for (const { e, p, decoded } of parsed) {
      const u: UplinkFacts = {
        deviceId: e.deviceId!,
        serial: p.serial,
        customerId: e.customerId,
        contractorId: infos.get(p.serial)?.contractorId ?? null,
        modelCode: p.model,
        category: p.category,
        seq: p.seq,
        receivedAtMs: Date.parse(p.receivedAt),
        frame: decoded,
      };
      if (evaluator.rulesFor(set, u).length) facts.push(u);
    }
    if (!facts.length) return [];
    // Events of one terminal may arrive out of order across jobs: its streaks count in seq order.
    facts.sort((a, b) => (a.deviceId === b.deviceId ? a.seq - b.seq : a.deviceId < b.deviceId ? -1 : 1));
    const states: Map<string, TerminalState> = await state.load([...new Set(facts.map((f) => f.deviceId))]);
    const out: Transition[] = [];
    const repeats = new Map<string, number>();
    for (const u of facts) evaluator.evaluate(set, u, states.get(u.deviceId)!, out, repeats);
    // Postgres first: if it fails, the streaks are not saved and the retried job evaluates again.
    await alarms.apply(out);
    await state.save(states);
    return out;
  }

  const submit = createBatcher<EventEnvelope, void>(
    async (items) => {
      await evaluate(items);
      return items.map(() => undefined);
    },
    { maxBatch: 2_000, maxInFlight: 1 },
  );

  return {
    rules,
    alarms,
    /** Evaluates uplink events now (tests and the bench); the worker goes through `start`. */
    evaluate,
    /** Worker role: subscribe to device.uplink (before the event consumer starts). */
    start(): { stop(): Promise<void> } {
      deps.events.onEvent('alarms', async (e) => {
        if (e.type === 'device.uplink') await submit(e);
      });
      return { stop: async () => {} };
    },
  };
}

export type AlarmModule = ReturnType<typeof createAlarmModule>;
