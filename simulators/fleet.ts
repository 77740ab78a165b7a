// A fleet of simulated terminals with scenario controls: fault rate, silence injection,
// disconnect storms, bad-frame injection and time acceleration.
import type { IClientOptions } from 'mqtt';
import { type Category, categoryOfModelCode } from '../gateway/codecs/index.js';
import { SimClock } from './clock.js';
import type { TerminalCredential } from './credentials.js';
import { CATEGORY_TIMING, createModel } from './models/index.js';
import { createRng } from './prng.js';
import { ALARM_SCENARIOS, type AlarmScenario, type ScenarioSwitch, withScenario } from './scenarios.js';
import { type FleetStats, newFleetStats } from './stats.js';
import { SimTerminal, type UplinkRecord } from './terminal.js';

export type FleetOptions = {
  url: string;
  /** Category defaults to the serial's prefix (NXV-/NXE-/NXL-). */
  terminals: (TerminalCredential & { category?: Category })[];
  seed?: number | string;
  /** Probability, per telemetry report, that a healthy terminal starts a fault. */
  faultRate?: number;
  /** Fraction of uplinks replaced by a malformed payload. */
  badFrameRate?: number;
  /** Simulated seconds per real second. */
  accelerate?: number;
  /** Simulated start time (default now): e.g. 17:30 Shanghai to watch streetlights switch on. */
  simStart?: Date;
  /** Per-category reporting interval in simulated seconds (default CATEGORY_TIMING). */
  reportIntervalSec?: Partial<Record<Category, number>>;
  heartbeatIntervalSec?: Partial<Record<Category, number>>;
  /** Real-time floor between two periodic uplinks of one kind per terminal (default 2000 ms). */
  minRealIntervalMs?: number;
  /** First reports are spread over this many real seconds (default 5). */
  spreadRealSec?: number;
  tickMs?: number;
  connectConcurrency?: number;
  /** Fail startFleet if a terminal cannot connect (default false: keep going and count it). */
  requireAllConnected?: boolean;
  mqtt?: Partial<IClientOptions>;
  onUplink?: (u: UplinkRecord) => void;
  log?: (msg: string) => void;
  /** An alarm scenario for a share of the terminals it applies to (chosen by the seed), while `switch.on`. */
  scenario?: { name: AlarmScenario; share: number; switch: ScenarioSwitch };
};

export type Fleet = {
  terminals: SimTerminal[];
  stats: FleetStats;
  clock: SimClock;
  /** Serials of the terminals that trip the alarm scenario while it is on. */
  tripping: string[];
  /** Terminals that did not connect at start-up, with the reason. */
  failed: { serial: string; error: string }[];
  /** Silences k terminals chosen by the seed (or the named serials); returns their serials. */
  silence(k: number | string[]): string[];
  unsilence(serials?: string[]): void;
  silenced(): string[];
  /** Drops every connection at once; all terminals reconnect together (a disconnect storm). */
  storm(): void;
  /** Runs one tick now (tests use this instead of waiting for the timer). */
  tick(): void;
  stop(): Promise<void>;
};

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const rng = createRng(o.seed ?? 1);
  const clock = new SimClock(o.accelerate ?? 1, o.simStart);
  const stats = newFleetStats();
  const tripping: string[] = [];
  const terminals = o.terminals.map((cred) => {
    const category = cred.category ?? categoryOfModelCode(cred.serial);
    if (!category) throw new Error(`cannot tell the category of ${cred.serial}: expected an NXV-, NXE- or NXL- serial`);
    const trng = rng.fork(cred.serial);
    let model = createModel(category, trng.fork('model'));
    const sc = o.scenario;
    if (sc && (ALARM_SCENARIOS[sc.name] as readonly string[]).includes(category) && trng.fork('scenario').chance(sc.share)) {
      model = withScenario(model, sc.name, sc.switch, trng.fork('scenario-values'));
      tripping.push(cred.serial);
    }
    return new SimTerminal({
      url: o.url,
      serial: cred.serial,
      secret: cred.secret,
      category,
      model,
      rng: trng,
      clock,
      stats,
      reportIntervalSec: o.reportIntervalSec?.[category] ?? CATEGORY_TIMING[category].reportIntervalSec,
      heartbeatIntervalSec: o.heartbeatIntervalSec?.[category] ?? CATEGORY_TIMING[category].heartbeatIntervalSec,
      faultRate: o.faultRate ?? 0,
      badFrameRate: o.badFrameRate ?? 0,
      minRealIntervalMs: o.minRealIntervalMs ?? 2000,
      mqtt: o.mqtt,
      onUplink: o.onUplink,
      log: o.log,
    });
  });

  const failed: { serial: string; error: string }[] = [];
  const queue = [...terminals];
  const workers = Array.from({ length: Math.min(o.connectConcurrency ?? 50, queue.length) }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      try {
        await t.connect();
      } catch (err) {
        failed.push({ serial: t.serial, error: (err as Error).message });
      }
    }
  });
  await Promise.all(workers);
  if (o.requireAllConnected && failed.length > 0) {
    await Promise.all(terminals.map((t) => t.stop()));
    throw new Error(`terminals failed to connect: ${failed.map((f) => `${f.serial} (${f.error})`).join(', ')}`);
  }

  const start = clock.now();
  const spreadSim = (o.spreadRealSec ?? 5) * clock.accelerate;
  for (const t of terminals) t.begin(start, spreadSim);

  const tick = () => {
    const now = clock.now();
    for (const t of terminals) t.tick(now);
  };
  const timer = setInterval(tick, o.tickMs ?? 250);
  const pickRng = rng.fork('silence');

  return {
    terminals,
    tripping,
    stats,
    clock,
    failed,
    silence(k) {
      let chosen: SimTerminal[];
      if (typeof k === 'number') {
        // Fisher-Yates with the fleet's seed, so the same seed silences the same terminals.
        const pool = terminals.filter((t) => !t.silenced);
        for (let i = pool.length - 1; i > 0; i--) {
          const j = pickRng.int(0, i);
          [pool[i], pool[j]] = [pool[j]!, pool[i]!];
        }
        chosen = pool.slice(0, k);
      } else chosen = terminals.filter((t) => k.includes(t.serial));
      for (const t of chosen) t.silenced = true;
      return chosen.map((t) => t.serial);
    },
    unsilence(serials) {
      for (const t of terminals) if (!serials || serials.includes(t.serial)) t.silenced = false;
    },
    silenced: () => terminals.filter((t) => t.silenced).map((t) => t.serial),
    storm() {
      for (const t of terminals) t.dropConnection();
    },
    tick,
    async stop() {
      clearInterval(timer);
      await Promise.all(terminals.map((t) => t.stop()));
    },
  };
}

export type DemoFleetOptions = {
  url: string;
  credentials: TerminalCredential[];
  /** Demo default 10: vehicles report every 3 s, a simulated day passes in 2.4 h. */
  accelerate?: number;
  faultRate?: number;
  seed?: number | string;
  /** For an mqtts:// url: the CA (here the gateway's own self-signed certificate) to trust. */
  ca?: Buffer;
  log?: (msg: string) => void;
};

/** A small living fleet for `npm start` demo mode: gentle faults, no bad frames, no silence. */
export function startDemoFleet(o: DemoFleetOptions): Promise<Fleet> {
  return startFleet({
    url: o.url,
    terminals: o.credentials,
    accelerate: o.accelerate ?? 10,
    faultRate: o.faultRate ?? 0.003,
    seed: o.seed ?? 'demo',
    ...(o.ca ? { mqtt: { ca: o.ca } } : {}),
    log: o.log,
  });
}
