// Per terminal and rule streaks of the alarm engine, in one Redis hash per terminal, so any
// number of worker processes share them and a restart forgets nothing. Only terminals that
// have rules are read, and only changed streaks are written (with the seq that changed them,
// which is all a redelivered event needs to be recognised): a fleet inside its limits costs
// Redis no writes at all.
import type { Redis } from 'ioredis';
import { newTerminalState, type RuleState, type TerminalState } from './alarm-engine.js';

export interface AlarmStateStore {
  load(deviceIds: string[]): Promise<Map<string, TerminalState>>;
  save(states: Map<string, TerminalState>): Promise<void>;
  /** Forgets a rule's streak on a terminal (a person cleared the alarm by hand). */
  reset(deviceId: string, ruleId: string): Promise<void>;
}

/** Streaks of a terminal nobody has heard of for this long are dropped. */
const TTL_SEC = 30 * 24 * 3600;

/** Field marking a rule whose alarm a person cleared since the streaks were last loaded. */
const CLEARED = 'cleared:';

const encode = (s: RuleState) => `${s.active ? 'a' : 'i'}${s.streak}`;
const decode = (v: string): RuleState => ({ active: v[0] === 'a', streak: Number(v.slice(1)) || 0 });

export function createRedisAlarmState({ redis, prefix }: { redis: Redis; prefix: string }): AlarmStateStore {
  const keyOf = (deviceId: string) => `${prefix}:alarm-state:${deviceId}`;
  return {
    async load(deviceIds) {
      const out = new Map<string, TerminalState>();
      if (!deviceIds.length) return out;
      const p = redis.pipeline();
      for (const id of deviceIds) p.hgetall(keyOf(id));
      const results = (await p.exec()) ?? [];
      const consumed = redis.pipeline();
      let markers = 0;
      deviceIds.forEach((id, i) => {
        const [err, raw] = results[i] ?? [null, {}];
        if (err) throw err;
        const st = newTerminalState();
        const cleared: string[] = [];
        for (const [field, v] of Object.entries((raw ?? {}) as Record<string, string>)) {
          if (field === 'seq') st.seq = Number(v);
          else if (field.startsWith(CLEARED)) cleared.push(field.slice(CLEARED.length));
          else st.rules.set(field, decode(v));
        }
        // A batch that loaded before a person cleared the alarm may have saved its streak after
        // the reset: the marker left by the reset wins over it.
        for (const ruleId of cleared) {
          st.rules.delete(ruleId);
          consumed.hdel(keyOf(id), ruleId, `${CLEARED}${ruleId}`);
          markers++;
        }
        out.set(id, st);
      });
      if (markers) await consumed.exec();
      return out;
    },

    async save(states) {
      const p = redis.pipeline();
      let n = 0;
      for (const [id, st] of states) {
        if (!st.changed.size) continue;
        const key = keyOf(id);
        const set: string[] = ['seq', String(st.seq)];
        const drop: string[] = [];
        for (const ruleId of st.changed) {
          const s = st.rules.get(ruleId);
          if (!s || (!s.active && s.streak === 0)) drop.push(ruleId);
          else set.push(ruleId, encode(s));
        }
        p.hset(key, ...set);
        if (drop.length) p.hdel(key, ...drop);
        p.expire(key, TTL_SEC);
        n++;
      }
      if (!n) return;
      for (const [err] of (await p.exec()) ?? []) if (err) throw err;
    },

    async reset(deviceId, ruleId) {
      const key = keyOf(deviceId);
      await redis.multi().hdel(key, ruleId).hset(key, `${CLEARED}${ruleId}`, '1').expire(key, TTL_SEC).exec();
    },
  };
}

/** The same in this process's memory: benchmarks and unit tests. */
export function createMemoryAlarmState(): AlarmStateStore & { size(): number } {
  const all = new Map<string, { seq: number; rules: Map<string, RuleState> }>();
  return {
    async load(deviceIds) {
      const out = new Map<string, TerminalState>();
      for (const id of deviceIds) {
        const st = newTerminalState();
        const saved = all.get(id);
        if (saved) {
          st.seq = saved.seq;
          for (const [r, s] of saved.rules) st.rules.set(r, { ...s });
        }
        out.set(id, st);
      }
      return out;
    },
    async save(states) {
      for (const [id, st] of states) {
        if (!st.changed.size) continue;
        const saved = all.get(id) ?? { seq: -1, rules: new Map<string, RuleState>() };
        saved.seq = st.seq;
        for (const r of st.changed) {
          const s = st.rules.get(r);
          if (!s || (!s.active && s.streak === 0)) saved.rules.delete(r);
          else saved.rules.set(r, { ...s });
        }
        all.set(id, saved);
      }
    },
    async reset(deviceId, ruleId) {
      all.get(deviceId)?.rules.delete(ruleId);
    },
    size: () => all.size,
  };
}
