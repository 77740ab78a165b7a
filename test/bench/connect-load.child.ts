// Child process of connections.bench.ts: opens raw MQTT connections (mqtt-packet, no client
// library) for its share of the terminals, `inflight` CONNECTs awaiting CONNACK at a time, keeps
// them open and idle, and reports when the last one was accepted. One process holds at most
// ~19.9k sockets (ulimit -n), so the bench spreads a fleet over several of these.
import net from 'node:net';
import mqtt, { type Packet } from 'mqtt-packet';

interface Start {
  port: number;
  inflight: number;
  terminals: { serial: string; secret: string }[];
}

const sockets: net.Socket[] = [];

function connectOne(port: number, serial: string, secret: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const parser = mqtt.parser({ protocolVersion: 4 });
    let settled = false;
    const done = (code: number) => {
      if (settled) return;
      settled = true;
      resolve(code);
    };
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'connack') done(p.returnCode ?? 0);
    });
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', () => done(-1));
    socket.on('close', () => done(-1));
    socket.on('connect', () => {
      socket.write(
        mqtt.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: serial,
          keepalive: 600,
          username: serial,
          password: Buffer.from(secret),
        }),
      );
    });
    sockets.push(socket);
  });
}

process.on('message', async (m: { cmd: 'start'; start: Start } | { cmd: 'exit' }) => {
  if (m.cmd === 'exit') {
    for (const s of sockets) s.destroy();
    process.exit(0);
  }
  const { port, inflight, terminals } = m.start;
  let next = 0;
  let accepted = 0;
  const refused: Record<string, number> = {};
  const started = Date.now();
  async function lane(): Promise<void> {
    while (next < terminals.length) {
      const t = terminals[next++]!;
      const code = await connectOne(port, t.serial, t.secret);
      if (code === 0) accepted++;
      else refused[code] = (refused[code] ?? 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: Math.min(inflight, terminals.length) }, lane));
  process.send!({ accepted, refused, startedAt: started, doneAt: Date.now() });
});
process.send!({ ready: true });
