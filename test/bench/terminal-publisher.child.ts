// Child process of webhooks.bench.ts (--via mqtt): the terminals, on their own event loop so the
// platform process measured by the bench does not also pay for the MQTT clients. Publishes QoS 1
// JSON frames carrying `sentAt` at the offered rate without waiting for each PUBACK.
import type { MqttClient } from 'mqtt';
import { connectTerminal } from '../helpers/terminals.js';

type Msg =
  | { cmd: 'connect'; port: number; terminals: { serial: string; secret: string }[] }
  | { cmd: 'drive'; count: number; rate: number; tickMs: number }
  | { cmd: 'exit' };

const clients: MqttClient[] = [];
let next = 0;

async function drive(count: number, rate: number, tickMs: number): Promise<number> {
  const perTick = (rate * tickMs) / 1000;
  const start = Date.now();
  let sent = 0;
  let lagged = 0;
  while (sent < count) {
    const due = Math.min(count, Math.round(((Date.now() - start) / 1000) * rate) + Math.ceil(perTick));
    if (due > sent) {
      const n = due - sent;
      const sentAt = Date.now();
      for (let i = 0; i < n; i++) {
        const c = clients[next++ % clients.length]!;
        c.publish(`nx/${c.options.clientId}/up/event`, JSON.stringify({ sentAt }), { qos: 1 });
      }
      sent += n;
      if (n > perTick * 3) lagged++;
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  return lagged;
}

process.on('message', (m: Msg) => {
  void (async () => {
    if (m.cmd === 'connect') {
      for (const t of m.terminals) clients.push(await connectTerminal(m.port, t.serial, t.secret));
      process.send!({ connected: clients.length });
    } else if (m.cmd === 'drive') {
      process.send!({ lagged: await drive(m.count, m.rate, m.tickMs) });
    } else {
      await Promise.all(clients.map((c) => c.endAsync()));
      process.exit(0);
    }
  })();
});
process.send!({ ready: true });
