// Steady QoS 1 load for the chaos suite: terminals publish elevator telemetry carrying a
// counter; the counters PUBACKed are recorded, so the suite can check each one is stored.
import type { MqttClient } from 'mqtt';
import { encodeUplink } from '../../gateway/codecs/index.js';
import { connectTerminal } from '../helpers/terminals.js';

export interface LoadTerminal {
  serial: string;
  secret: string;
}

export function startLoad(port: number, terminals: LoadTerminal[], perTerminalPerSec: number, maxInFlight = 20) {
  const acked = new Map<string, Set<number>>(terminals.map((t) => [t.serial, new Set()]));
  const counters = new Map<string, number>(terminals.map((t) => [t.serial, 0]));
  const clients = new Map<string, MqttClient>();
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let timer: NodeJS.Timeout | undefined;

  async function connectAll(): Promise<void> {
    await Promise.all(
      terminals.map(async (t) => {
        // mqtt.js reconnects by itself and resends what was not acknowledged.
        clients.set(t.serial, await connectTerminal(port, t.serial, t.secret, { reconnectPeriod: 500, clean: false }));
      }),
    );
  }

  function tick(): void {
    for (const t of terminals) {
      const c = clients.get(t.serial);
      if (!c?.connected) continue;
      const mine = [...inFlight].length;
      if (mine >= maxInFlight * terminals.length) return;
      const value = counters.get(t.serial)! + 1;
      counters.set(t.serial, value);
      const frame = { type: 'elevator-telemetry', floor: 1, motion: 'idle', door: 'closed', loadPercent: 10, tripCounter: value } as const;
      const p = c
        .publishAsync(`nx/${t.serial}/up/telemetry`, encodeUplink(frame, new Date()), { qos: 1 })
        .then(
          () => void acked.get(t.serial)!.add(value),
          () => undefined,
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }

  return {
    acked,
    connectAll,
    resume(): void {
      if (running) return;
      running = true;
      timer = setInterval(tick, 1_000 / perTerminalPerSec);
    },
    /** Stops publishing and waits (up to `ms`) for the publishes in flight to be acknowledged. */
    async pause(ms = 30_000): Promise<number> {
      running = false;
      clearInterval(timer);
      const until = Date.now() + ms;
      while (inFlight.size && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      return inFlight.size;
    },
    totalAcked(): number {
      return [...acked.values()].reduce((n, s) => n + s.size, 0);
    },
    async close(): Promise<void> {
      running = false;
      clearInterval(timer);
      await Promise.all([...clients.values()].map((c) => c.endAsync(true).catch(() => {})));
    },
  };
}
