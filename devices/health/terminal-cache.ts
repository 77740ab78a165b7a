// What the watchdog needs to know about a terminal (owner, model interval, fault table), kept
// in memory for a short while so the uplink path does not query Postgres per message.
import type { Db } from '../../src/platform/database.js';
import {
  type ExpectedInterval,
  expectedInterval,
  type IntervalFacts,
  intervalFactsOf,
  lastAcknowledgedInterval,
} from './expected-interval.js';

export interface FaultEntry {
  code: number;
  description: string;
  severity: number;
  group: 'SERVICE_DESK' | 'REPAIR' | 'SYSTEM' | 'FINANCE';
  safety: boolean;
}

export interface TerminalInfo {
  deviceId: string;
  serial: string;
  label: string | null;
  customerId: string | null;
  contractorId: string | null;
  modelCode: string;
  /** The interval in force (expected-interval.ts); recomputed when a fact below changes. */
  expectedIntervalSec: number;
  intervalSource: ExpectedInterval['source'];
  interval: IntervalFacts;
  silenceFactor: number;
  faultTable: FaultEntry[];
  /** Only ACTIVE terminals on a live contract are expected to report (suspended ones are refused). */
  watched: boolean;
}

const GROUPS = new Set(['SERVICE_DESK', 'REPAIR', 'SYSTEM', 'FINANCE']);

/** The model's fault table as stored JSON, keeping only well-formed entries. */
export function parseFaultTable(raw: unknown): FaultEntry[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((e: unknown) => {
    const f = e as Partial<FaultEntry> | null;
    if (!f || typeof f.code !== 'number' || typeof f.description !== 'string') return [];
    const group = typeof f.group === 'string' && GROUPS.has(f.group) ? f.group : 'SERVICE_DESK';
    return [
      {
        code: f.code,
        description: f.description,
        severity: typeof f.severity === 'number' ? f.severity : 1,
        group,
        safety: f.safety === true,
      },
    ];
  });
}

export function createTerminalCache({ db, ttlMs = 60_000, maxEntries = 200_000 }: { db: Db; ttlMs?: number; maxEntries?: number }) {
  // null is cached too, so a stream of events for an unknown serial costs one query per TTL.
  const entries = new Map<string, { info: TerminalInfo | null; expires: number }>();

  function put(serial: string, info: TerminalInfo | null) {
    entries.delete(serial);
    entries.set(serial, { info, expires: Date.now() + ttlMs });
    // Map keeps insertion order: the first key is the oldest entry.
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  }

  async function load(serials: string[]): Promise<void> {
    const rows = await db.device.findMany({
      where: { serial: { in: serials } },
      select: {
        id: true,
        serial: true,
        label: true,
        customerId: true,
        contractorId: true,
        status: true,
        contract: { select: { status: true } },
        intervalOverrideSec: true,
        parkedSince: true,
        deviceModel: { select: { code: true, expectedIntervalSec: true, parkedIntervalSec: true, silenceFactor: true, faultTable: true } },
        commands: lastAcknowledgedInterval,
      },
    });
    const found = new Map(rows.map((r) => [r.serial, r]));
    for (const serial of serials) {
      const r = found.get(serial);
      const facts = r ? intervalFactsOf(r) : null;
      const interval = facts ? expectedInterval(facts) : null;
      put(
        serial,
        r
          ? {
              deviceId: r.id,
              serial: r.serial,
              label: r.label,
              customerId: r.customerId,
              contractorId: r.contractorId,
              modelCode: r.deviceModel.code,
              expectedIntervalSec: interval!.seconds,
              intervalSource: interval!.source,
              interval: facts!,
              silenceFactor: r.deviceModel.silenceFactor,
              faultTable: parseFaultTable(r.deviceModel.faultTable),
              watched: r.status === 'ACTIVE' && (r.contract === null || r.contract.status === 'ACTIVE'),
            }
          : null,
      );
    }
  }

  // Misses from concurrent callers (many uplink events at once after a restart) are gathered
  // for one turn of the event loop and loaded with one query.
  let batch: { serials: Set<string>; done: Promise<void> } | null = null;
  function loadSoon(serials: string[]): Promise<void> {
    if (!batch) {
      const b: { serials: Set<string>; done: Promise<void> } = { serials: new Set(), done: Promise.resolve() };
      b.done = new Promise<void>((r) => setImmediate(r)).then(async () => {
        batch = null;
        const all = [...b.serials];
        for (let i = 0; i < all.length; i += 1_000) await load(all.slice(i, i + 1_000));
      });
      batch = b;
    }
    for (const s of serials) batch.serials.add(s);
    return batch.done;
  }

  async function getMany(serials: string[]): Promise<Map<string, TerminalInfo>> {
    const now = Date.now();
    const missing = [...new Set(serials)].filter((s) => {
      const e = entries.get(s);
      return !e || e.expires < now;
    });
    if (missing.length) await loadSoon(missing);
    const out = new Map<string, TerminalInfo>();
    for (const s of serials) {
      const info = entries.get(s)?.info;
      if (info) out.set(s, info);
    }
    return out;
  }

  return {
    async get(serial: string): Promise<TerminalInfo | null> {
      return (await getMany([serial])).get(serial) ?? null;
    },
    getMany,
    /**
     * Changes one interval fact of a cached terminal (an acknowledged SET_INTERVAL, the ignition
     * turned off or on) and returns the terminal with its new interval.
     */
    revise(info: TerminalInfo, change: Partial<IntervalFacts>): TerminalInfo {
      const facts = { ...info.interval, ...change };
      const next = expectedInterval(facts);
      const revised = { ...info, interval: facts, expectedIntervalSec: next.seconds, intervalSource: next.source };
      put(info.serial, revised);
      return revised;
    },
    /** Drops one terminal (or everything), e.g. after a swap or a model change. */
    invalidate(serial?: string) {
      if (serial) entries.delete(serial);
      else entries.clear();
    },
  };
}

export type TerminalCache = ReturnType<typeof createTerminalCache>;
