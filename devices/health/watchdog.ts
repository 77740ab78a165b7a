// The health watchdog: uplinks push a terminal's silence deadline forward; a loop claims
// deadlines that passed and opens one NO_SIGNAL ticket per silent terminal, or, when many go
// silent together (a storm), links them to one network incident. The next uplink of a silent
// terminal recovers it. State lives in Redis and Postgres only, so any number of worker
// processes may run this loop side by side.

import type { EventService } from '../../src/events/index.js';
import type { Db } from '../../src/platform/database.js';
import type { Logger } from '../../src/platform/logger.js';
import type { TicketService } from '../../src/service-desk/index.js';
import type { Claimed, DeadlineIndex } from './deadline-index.js';
import { setIntervalSeconds } from './expected-interval.js';
import type { IncidentTracker, SilentTerminal } from './incidents.js';
import { reseedIndex } from './reseed.js';
import type { TerminalCache, TerminalInfo } from './terminal-cache.js';

/** What of an uplink's decoded frame the watchdog reads (the rest is ignored). */
export interface UplinkFrame {
  type?: unknown;
  ignition?: unknown;
  commandId?: unknown;
  result?: unknown;
}

/** Persists a vehicle's parked state (the devices module owns the Device row). */
export type ParkedRecorder = (deviceId: string, parkedSince: Date | null) => Promise<void>;

export interface WatchdogSettings {
  tickMs: number;
  /** Wait after a deadline before acting, so a burst of silences is judged as one. */
  graceMs: number;
  stormShare: number;
  stormMinTerminals: number;
  stormWindowSec: number;
  /** Most deadlines claimed per pass. */
  batchSize?: number;
}

export interface WatchdogDeps {
  db: Db;
  index: DeadlineIndex;
  cache: TerminalCache;
  incidents: IncidentTracker;
  tickets: TicketService;
  events: Pick<EventService, 'emit' | 'emitNow'>;
  log: Logger;
  settings: WatchdogSettings;
  recordParked: ParkedRecorder;
}

export type UplinkOutcome = 'tracked' | 'recovered' | 'ignored';

const windowMsOf = (i: TerminalInfo) => i.expectedIntervalSec * i.silenceFactor * 1_000;
const noSignalKey = (serial: string) => `NO_SIGNAL:${serial}`;
const SOURCE_WORDS: Record<TerminalInfo['intervalSource'], string> = {
  acknowledged: 'as it acknowledged with SET_INTERVAL',
  override: 'as set for this terminal',
  parked: 'while parked with the ignition off',
  model: 'as its model does',
};
const SETTLE_EVERY_MS = 60_000;

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export function createWatchdog({ db, index, cache, incidents, tickets, events, log, settings, recordParked }: WatchdogDeps) {
  const batchSize = settings.batchSize ?? 1_000;
  const windowMs = settings.stormWindowSec * 1_000;

  /** A silent terminal outside a storm: its own ticket (one per terminal while open). */
  async function ticketFor(s: SilentTerminal, now: number): Promise<void> {
    const { info, silentSince } = s;
    const { ticket, created } = await tickets.createAuto({
      kind: 'NO_SIGNAL',
      subject: `No signal from terminal ${info.serial}${info.label ? ` (${info.label})` : ''}`,
      description:
        `Terminal ${info.serial} (${info.modelCode}) has sent nothing since ${silentSince.toISOString()}; ` +
        `it reports every ${info.expectedIntervalSec} s (${SOURCE_WORDS[info.intervalSource]}) and counts as silent after ${info.expectedIntervalSec * info.silenceFactor} s.`,
      priority: 'NORMAL',
      group: 'SERVICE_DESK',
      customerId: info.customerId,
      deviceId: info.deviceId,
      dedupKey: noSignalKey(info.serial),
    });
    await events.emitNow([
      {
        type: 'device.silent',
        customerId: info.customerId,
        deviceId: info.deviceId,
        payload: {
          serial: info.serial,
          lastSeenAt: silentSince.toISOString(),
          silentForSec: Math.round((now - silentSince.getTime()) / 1_000),
          ticketId: ticket.id,
          incidentId: null,
        },
      },
    ]);
    // An uplink may have recovered the terminal while the ticket was being opened.
    if (created && !(await index.isSilent(info.serial))) {
      await tickets.autoResolve(
        { dedupKey: noSignalKey(info.serial) },
        `Terminal ${info.serial} reported again while the ticket was being opened.`,
      );
    }
  }

  async function handleSilent(claimed: Claimed[], now: number): Promise<void> {
    // Fresh settings: the terminal or its contract may have been suspended since it was cached.
    for (const c of claimed) cache.invalidate(c.serial);
    const all = await cache.getMany(claimed.map((c) => c.serial));
    const infos = new Map([...all].filter(([, i]) => i.watched));
    const unwatched = claimed.filter((c) => !infos.has(c.serial)).map((c) => c.serial);
    // Deleted, suspended, retired or lost since their last uplink: silence is expected, stop tracking.
    if (unwatched.length) await index.release(unwatched, now).then(() => index.forget(unwatched));
    const silent: SilentTerminal[] = claimed.flatMap((c) => {
      const info = infos.get(c.serial);
      return info ? [{ info, silentSince: new Date(c.deadline - windowMsOf(info)) }] : [];
    });
    if (!silent.length) return;

    const { silent: silentCount, fleet } = await index.stormCounts(now, windowMs);
    const storm = silentCount >= settings.stormMinTerminals && silentCount >= settings.stormShare * fleet;
    if (storm) {
      const claimedNow = new Set(claimed.map((c) => c.serial));
      const earlier = (await index.recentSilent(now, windowMs)).filter((s) => !claimedNow.has(s));
      const r = await incidents.join(silent, earlier, new Date(now));
      log.warn(
        { incidentId: r.incidentId, joined: silent.length, silentCount, fleet, opened: r.opened, folded: r.folded },
        'silence storm: terminals linked to a network incident',
      );
      return;
    }
    await pool(silent, 8, (s) => ticketFor(s, now));
    log.info({ terminals: silent.length, silentCount, fleet }, 'silent terminals ticketed');
  }

  async function recover(info: TerminalInfo, silentSinceMs: number, at: Date): Promise<void> {
    const outcome = await tickets.autoResolve(
      { dedupKey: noSignalKey(info.serial) },
      `Terminal ${info.serial} reported again at ${at.toISOString()}.`,
    );
    const inIncidents = await incidents.recover(info.deviceId, at);
    await events.emitNow([
      {
        type: 'device.recovered',
        customerId: info.customerId,
        deviceId: info.deviceId,
        payload: {
          serial: info.serial,
          silentSince: new Date(silentSinceMs).toISOString(),
          recoveredAt: at.toISOString(),
          ticket: outcome,
          incidentIds: inIncidents.map((i) => i.incidentId),
        },
      },
    ]);
  }

  /**
   * Settled network incidents are resolved; their terminals still silent get NO_SIGNAL tickets
   * of their own, as if they had gone silent alone. Returns how many were ticketed.
   */
  async function settleIncidents(now = Date.now()): Promise<number> {
    let ticketed = 0;
    for (const inc of await incidents.settle(new Date(now))) {
      const infos = await cache.getMany(inc.stillSilent.map((x) => x.serial));
      const silent = inc.stillSilent.flatMap((x) => {
        const info = infos.get(x.serial);
        return info?.watched ? [{ info, silentSince: x.silentSince }] : [];
      });
      await pool(silent, 8, (x) => ticketFor(x, now));
      ticketed += silent.length;
      log.warn(
        { incidentId: inc.incidentId, terminals: inc.total, stillSilent: inc.stillSilent.length, ticketed: silent.length },
        'network incident settled',
      );
    }
    return ticketed;
  }

  /** One pass: claim what expired (minus the grace period) and act on it. Returns the number claimed. */
  async function tick(now = Date.now()): Promise<number> {
    const claimed = await index.claimExpired(now - settings.graceMs, batchSize, now);
    if (!claimed.length) return 0;
    try {
      await handleSilent(claimed, now);
    } catch (err) {
      // Put them back so the next pass (here or in another worker) tries again.
      await index
        .release(
          claimed.map((c) => c.serial),
          now,
        )
        .catch(() => {});
      throw err;
    }
    return claimed.length;
  }

  /**
   * Warm-up after a pause (no watchdog alive): every deadline already past is pushed to
   * now + the terminal's expectedIntervalSec. While no watchdog ran, uplinks may also have
   * piled up unprocessed in the event queue; one interval gives them time to arrive before
   * anyone is called silent. Terminals that really are silent are caught one interval later.
   */
  async function warmUp(now = Date.now()): Promise<number> {
    let moved = 0;
    for (let round = 0; round < 10_000; round++) {
      const due = await index.pastDue(now, batchSize);
      if (!due.length) break;
      const infos = await cache.getMany(due.map((d) => d.serial));
      await index.forget(due.filter((d) => !infos.has(d.serial)).map((d) => d.serial));
      const items = due.flatMap((d) => {
        const info = infos.get(d.serial);
        return info ? [{ serial: d.serial, deadline: now + info.expectedIntervalSec * 1_000 }] : [];
      });
      await index.postpone(items);
      moved += items.length;
    }
    if (moved) log.info({ terminals: moved }, 'watchdog warm-up: past deadlines postponed by one interval');
    return moved;
  }

  /** No watchdog was alive: postpone past deadlines, then restore what Redis may have lost. */
  async function coldStart(now = Date.now()): Promise<void> {
    await warmUp(now);
    const r = await reseedIndex({ db, index }, now);
    if (r.silent || r.seeded) log.info(r, 'watchdog cold start: index restored from the database');
  }

  /**
   * The interval facts an uplink carries: an ack of SET_INTERVAL (the terminal now reports at
   * that interval) and a vehicle's ignition flag (parked interval while off, protocol.md 4.3).
   */
  async function revise(info: TerminalInfo, frame: UplinkFrame | null | undefined, receivedAt: Date): Promise<TerminalInfo> {
    if (!frame) return info;
    if (frame.type === 'ack' && frame.result === 'done' && typeof frame.commandId === 'number') {
      // Read here rather than waiting for the gateway's own bookkeeping of the ack, which commits apart.
      const c = await db.downlinkCommand.findFirst({
        where: { id: frame.commandId, deviceId: info.deviceId },
        select: { opcode: true, args: true },
      });
      const seconds = c ? setIntervalSeconds(c) : null;
      if (seconds !== null && seconds !== info.interval.acknowledgedSec) return cache.revise(info, { acknowledgedSec: seconds });
    } else if (frame.type === 'vehicle-telemetry' && typeof frame.ignition === 'boolean' && info.interval.parkedModelSec !== null) {
      const parked = !frame.ignition;
      if (parked !== info.interval.parked) {
        await recordParked(info.deviceId, parked ? receivedAt : null);
        return cache.revise(info, { parked });
      }
    }
    return info;
  }

  return {
    tick,
    warmUp,
    coldStart,

    /**
     * An uplink (any kind) received at `receivedAt`. Returns 'recovered' when the terminal had
     * been silent, 'ignored' for unknown terminals.
     */
    async observeUplink(serial: string, receivedAt: Date, frame?: UplinkFrame | null): Promise<UplinkOutcome> {
      const known = await cache.get(serial);
      if (!known) return 'ignored';
      const info = await revise(known, frame, receivedAt);
      const deadline = receivedAt.getTime() + windowMsOf(info);
      // A late event (the queue lagging behind) still proves the terminal reported; if its
      // deadline has passed too, the next pass simply finds the terminal silent again.
      const silentSince = await index.observe(serial, deadline);
      // Deadlines only move forward, except when the interval itself became shorter (ignition on, a faster SET_INTERVAL).
      if (info.expectedIntervalSec < known.expectedIntervalSec) await index.reset(serial, deadline);
      if (silentSince === null) return 'tracked';
      await recover(info, silentSince, receivedAt);
      return 'recovered';
    },

    settleIncidents,

    /** Runs the loop until stopped; a warm-up first if no watchdog was alive. `onProgress` after each pass that completed. */
    start(onProgress: () => void = () => {}): { stop(): Promise<void> } {
      let stopped = false;
      let wake: (() => void) | null = null;
      const aliveTtl = Math.max(5_000, settings.tickMs * 5);
      const loop = async () => {
        try {
          if (await index.heartbeat(aliveTtl, true)) await coldStart();
        } catch (err) {
          log.warn({ err }, 'watchdog warm-up failed');
        }
        let last = 0;
        let lastSettle = Date.now();
        while (!stopped) {
          let claimed = 0;
          try {
            if (Date.now() - last > settings.tickMs) {
              await index.heartbeat(aliveTtl);
              last = Date.now();
            }
            if (Date.now() - lastSettle > SETTLE_EVERY_MS) {
              lastSettle = Date.now();
              await settleIncidents();
            }
            claimed = await tick();
            onProgress();
          } catch (err) {
            log.warn({ err }, 'watchdog pass failed');
          }
          if (claimed < batchSize && !stopped) {
            // A cleared timer on stop, so a long tick never keeps the process alive.
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, settings.tickMs);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = null;
          }
        }
      };
      const running = loop();
      return {
        async stop() {
          stopped = true;
          wake?.();
          await running;
        },
      };
    },
  };
}

export type Watchdog = ReturnType<typeof createWatchdog>;
