// A bare MQTT client on mqtt-packet for tests that must control packet ids and the DUP flag.
import net from 'node:net';
import mqtt, { type Packet } from 'mqtt-packet';

export interface RawClient {
  send(packet: Packet): void;
  next(cmd: Packet['cmd'], timeoutMs?: number): Promise<Packet>;
  close(): void;
}

export async function rawConnect(port: number, serial: string, secret: string, protocolVersion: 4 | 5 = 4, clean = true): Promise<RawClient & { connack: Packet }> {
  const socket = net.connect(port, '127.0.0.1');
  const parser = mqtt.parser({ protocolVersion });
  const received: Packet[] = [];
  const waiters: { cmd: string; resolve(p: Packet): void }[] = [];
  parser.on('packet', (p: Packet) => {
    const i = waiters.findIndex((w) => w.cmd === p.cmd);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(p);
    else received.push(p);
  });
  socket.on('data', (d) => parser.parse(d));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const client: RawClient = {
    send: (p) => socket.write(mqtt.generate(p, { protocolVersion })),
    next: (cmd, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const i = received.findIndex((p) => p.cmd === cmd);
        if (i >= 0) return resolve(received.splice(i, 1)[0]!);
        const t = setTimeout(() => reject(new Error(`no ${cmd} in time`)), timeoutMs);
        waiters.push({ cmd, resolve: (p) => (clearTimeout(t), resolve(p)) });
      }),
    close: () => socket.destroy(),
  };
  client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion, clientId: serial, username: serial, password: Buffer.from(secret), clean, keepalive: 30 });
  const connack = await client.next('connack');
  return { ...client, connack };
}
