// A bare MQTT client on mqtt-packet for tests that must control packet ids, the DUP flag or the bytes on the wire.
import net from 'node:net';
import tls from 'node:tls';
import mqtt, { type Packet } from 'mqtt-packet';

export interface RawClient {
  send(packet: Packet): void;
  /** Bytes as they are, e.g. the start of a packet that is never finished. */
  write(bytes: Buffer): void;
  next(cmd: Packet['cmd'], timeoutMs?: number): Promise<Packet>;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
  close(): void;
}

export interface RawOptions {
  clientId?: string;
  /** Connect over TLS trusting this CA (the gateway's certificate). */
  ca?: Buffer;
  /** Plain MQTT only: connect from this local address (127.0.0.7: a terminal of its own behind a balancer). */
  localAddress?: string;
}

export async function rawConnect(
  port: number,
  serial: string,
  secret: string,
  protocolVersion: 4 | 5 = 4,
  clean = true,
  opts: RawOptions = {},
): Promise<RawClient & { connack: Packet }> {
  const socket = opts.ca
    ? tls.connect({ port, host: '127.0.0.1', ca: opts.ca, servername: 'localhost' })
    : net.connect({ port, host: '127.0.0.1', localAddress: opts.localAddress });
  const parser = mqtt.parser({ protocolVersion });
  const received: Packet[] = [];
  const waiters: { cmd: string; resolve(p: Packet): void }[] = [];
  parser.on('packet', (p: Packet) => {
    const i = waiters.findIndex((w) => w.cmd === p.cmd);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(p);
    else received.push(p);
  });
  socket.on('data', (d) => parser.parse(d));
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r, reject) => {
    socket.once(opts.ca ? 'secureConnect' : 'connect', () => r());
    socket.once('error', reject);
  });
  const client: RawClient = {
    send: (p) => socket.write(mqtt.generate(p, { protocolVersion })),
    write: (bytes) => socket.write(bytes),
    next: (cmd, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const i = received.findIndex((p) => p.cmd === cmd);
        if (i >= 0) return resolve(received.splice(i, 1)[0]!);
        const t = setTimeout(() => reject(new Error(`no ${cmd} in time`)), timeoutMs);
        waiters.push({
          cmd,
          resolve: (p) => {
            clearTimeout(t);
            resolve(p);
          },
        });
      }),
    closed,
    close: () => socket.destroy(),
  };
  const clientId = opts.clientId ?? serial;
  client.send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion,
    clientId,
    username: serial,
    password: Buffer.from(secret),
    clean,
    keepalive: 30,
  });
  const connack = await client.next('connack');
  return { ...client, connack };
}
