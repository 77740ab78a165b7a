// The alarm rule engine: for each uplink, the rules that apply to its terminal (by model,
// customer or contractor, terminal) are tested against the decoded frame, and per terminal and
// rule a streak of consecutive messages decides when an alarm is raised and when it clears.
// Pure and synchronous: the caller loads the terminals' states, runs a batch through here, writes
// the transitions (alarm.service.ts) and then saves the states that changed (alarm-state.ts).
import type { CompiledCondition, Frame } from './alarm-conditions.js';
import type { AlarmSeverity } from './alarm-rule.schemas.js';

export type RuleTarget =
  | { kind: 'MODEL'; modelCode: string }
  | { kind: 'CUSTOMER'; customerId: string }
  | { kind: 'TERMINAL'; deviceId: string };

export interface CompiledRule {
  id: string;
  name: string;
  severity: AlarmSeverity;
  createTicket: boolean;
  ticketGroup: 'SERVICE_DESK' | 'REPAIR' | 'SYSTEM';
  notify: boolean;
  target: RuleTarget;
  /** Categories whose terminals send the frame the rule reads. */
  categories: ReadonlySet<string>;
  raise: CompiledCondition;
  /** Minute-of-day test in the operator's time zone; null = any time. */
  window: ((minuteOfDay: number) => boolean) | null;
  raiseAfter: number;
  /** Null: the alarm clears when `raise` is false (or outside the window). */
  clear: CompiledCondition | null;
  clearAfter: number;
}

/** The terminal an uplink came from, as the event and the terminal cache know it. */
export interface UplinkFacts {
  deviceId: string;
  serial: string;
  customerId: string | null;
  contractorId: string | null;
  modelCode: string;
  category: string;
  seq: number;
  receivedAtMs: number;
  frame: Frame;
}

export interface RuleState {
  active: boolean;
  /** Consecutive messages meeting the raise condition (inactive) or the clear condition (active). */
  streak: number;
}

export interface TerminalState {
  /** Highest seq evaluated: a redelivered event (a retried job) is not counted twice. */
  seq: number;
  rules: Map<string, RuleState>;
  /** Rule ids whose state changed in this batch (what the store writes back). */
  changed: Set<string>;
  seqChanged: boolean;
}

export type StateTransition = { kind: 'raise' | 'clear'; rule: CompiledRule; uplink: UplinkFacts; value: unknown };
/** The condition held again on an open alarm, `n` times in this batch; the last of them is `uplink`. */
export type RepeatTransition = { kind: 'repeat'; rule: CompiledRule; uplink: UplinkFacts; value: unknown; n: number };
export type Transition = StateTransition | RepeatTransition;

export interface RuleSet {
  version: number;
  size: number;
  byModel: Map<string, CompiledRule[]>;
  byCustomer: Map<string, CompiledRule[]>;
  byDevice: Map<string, CompiledRule[]>;
}

export function ruleSetOf(rules: CompiledRule[], version: number): RuleSet {
  const set: RuleSet = { version, size: rules.length, byModel: new Map(), byCustomer: new Map(), byDevice: new Map() };
  const add = (m: Map<string, CompiledRule[]>, k: string, r: CompiledRule) => {
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  };
  for (const r of rules) {
    if (r.target.kind === 'MODEL') add(set.byModel, r.target.modelCode, r);
    else if (r.target.kind === 'CUSTOMER') add(set.byCustomer, r.target.customerId, r);
    else add(set.byDevice, r.target.deviceId, r);
  }
  return set;
}

const NONE: CompiledRule[] = [];
export const newTerminalState = (): TerminalState => ({ seq: -1, rules: new Map(), changed: new Set(), seqChanged: false });
const readingOf = (c: CompiledCondition, f: Frame): unknown =>
  c.field === 'position' ? { latitude: f.latitude, longitude: f.longitude } : f[c.field];

export function createEvaluator({ minuteOfDay }: { minuteOfDay: (ms: number) => number }) {
  // The rules of a terminal change only with the rule set (or the terminal's owner): memoised per version.
  const memo = new Map<string, { version: number; key: string; rules: CompiledRule[] }>();

  function rulesFor(set: RuleSet, u: UplinkFacts): CompiledRule[] {
    if (set.size === 0) return NONE;
    const key = `${u.modelCode}|${u.customerId}|${u.contractorId}|${u.category}`;
    const hit = memo.get(u.deviceId);
    if (hit && hit.version === set.version && hit.key === key) return hit.rules;
    const all = [
      ...(set.byModel.get(u.modelCode) ?? NONE),
      ...(u.customerId ? (set.byCustomer.get(u.customerId) ?? NONE) : NONE),
      ...(u.contractorId ? (set.byCustomer.get(u.contractorId) ?? NONE) : NONE),
      ...(set.byDevice.get(u.deviceId) ?? NONE),
    ].filter((r) => r.categories.has(u.category));
    const rules = [...new Set(all)];
    if (memo.size > 500_000) memo.clear();
    memo.set(u.deviceId, { version: set.version, key, rules });
    return rules;
  }

  return {
    rulesFor,

    /**
     * Evaluates one uplink against its terminal's rules, updating `state` and appending to `out`.
     * `repeats` gathers repeats per open alarm (key rule:device) within the batch. Returns the
     * number of rule conditions tested.
     */
    evaluate(set: RuleSet, u: UplinkFacts, state: TerminalState, out: Transition[], repeats: Map<string, number>): number {
      if (u.seq <= state.seq) return 0;
      state.seq = u.seq;
      state.seqChanged = true;
      const rules = rulesFor(set, u);
      if (rules.length === 0) return 0;
      const type = u.frame.type;
      let tested = 0;
      let minute = -1;
      for (const r of rules) {
        const s = state.rules.get(r.id) ?? { active: false, streak: 0 };
        const before = s.streak;
        const wasActive = s.active;
        let holds: boolean | null = null;
        if (r.raise.frame === type) {
          tested++;
          holds = r.raise.test(u.frame);
          if (holds && r.window) {
            if (minute < 0) minute = minuteOfDay(u.receivedAtMs);
            holds = r.window(minute);
          }
        }
        const key = `${r.id}:${u.deviceId}`;
        if (!s.active) {
          if (holds === null) continue;
          s.streak = holds ? s.streak + 1 : 0;
          if (s.streak >= r.raiseAfter) {
            s.active = true;
            s.streak = 0;
            repeats.delete(key);
            out.push({ kind: 'raise', rule: r, uplink: u, value: readingOf(r.raise, u.frame) });
          }
        } else {
          if (holds) {
            const at = repeats.get(key);
            const prev = at === undefined ? undefined : out[at];
            if (prev?.kind === 'repeat') {
              prev.n++;
              prev.uplink = u;
              prev.value = readingOf(r.raise, u.frame);
            } else {
              repeats.set(key, out.length);
              out.push({ kind: 'repeat', rule: r, uplink: u, value: readingOf(r.raise, u.frame), n: 1 });
            }
          }
          let cleared: boolean | null = null;
          if (r.clear) {
            if (r.clear.frame === type) {
              tested++;
              cleared = r.clear.test(u.frame);
            }
          } else if (holds !== null) {
            cleared = !holds;
          }
          if (cleared === null) continue;
          s.streak = cleared ? s.streak + 1 : 0;
          if (s.streak >= r.clearAfter) {
            s.active = false;
            s.streak = 0;
            repeats.delete(key);
            out.push({ kind: 'clear', rule: r, uplink: u, value: readingOf(r.clear ?? r.raise, u.frame) });
          }
        }
        if (s.streak !== before || s.active !== wasActive) {
          state.rules.set(r.id, s);
          state.changed.add(r.id);
        }
      }
      return tested;
    },
  };
}

export type Evaluator = ReturnType<typeof createEvaluator>;
