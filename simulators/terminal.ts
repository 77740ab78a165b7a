// One simulated terminal: an mqtt.js client driving a pure behaviour model. It publishes
// telemetry at its reporting interval, heartbeats at the model interval, faults and events
// as they happen, and obeys downlink commands with ack frames (protocol.md 3.4).
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import {
  type AckResult,
  type Category,
  commandAppliesTo,
  type DecodedFrame,
  decodeCommand,
  encodeUplink,
  kindOfFrame,
  type UplinkKind,
} from '../gateway/codecs/index.js';
import { badFrame } from './bad-frames.js';
import type { SimClock } from './clock.js';
import type { BehaviourModel } from './models/index.js';
import type { Rng } from './prng.js';
import type { FleetStats } from './stats.js';

export type UplinkRecord = {
  serial: string;
  kind: UplinkKind;
  payload: Buffer;
  /** What the terminal meant to send; null for an injected bad frame. */
  intended: DecodedFrame | null;
};

export type TerminalOptions = {
  url: string;
  serial: string;
  secret: string;
  category: Category;
  model: BehaviourModel;
  rng: Rng;
  clock: SimClock;
  stats: FleetStats;
  reportIntervalSec: number;
  heartbeatIntervalSec: number;
  faultRate: number;
  badFrameRate: number;
  /** Floor on the real time between two periodic uplinks of one kind (keeps accelerated runs under rate limits). */
  minRealIntervalMs: number;
  mqtt?: Partial<IClientOptions>;
  onUplink?: (u: UplinkRecord) => void;
  log?: (msg: string) => void;
};

export class SimTerminal {
  readonly serial: string;
  readonly category: Category;
  readonly model: BehaviourModel;
  client: MqttClient | null = null;
  silenced = false;
  reportIntervalSec: number;
  private lastSim = 0;
  private nextReportAt = 0;
  private nextHeartbeatAt = 0;
  private lastError = '';
  private wasConnected = false;

  constructor(private readonly o: TerminalOptions) {
    this.serial = o.serial;
    this.category = o.category;
    this.model = o.model;
    this.reportIntervalSec = o.reportIntervalSec;
  }

  /** Connects; resolves on the first CONNACK accepted, rejects on refusal or timeout. */
  connect(timeoutMs = 10_000): Promise<void> {
    const { serial } = this;
    const client = mqtt.connect(this.o.url, {
      clientId: serial,
      username: serial,
      password: this.o.secret,
      clean: false,
      keepalive: 60,
      reconnectPeriod: 1000,
      connectTimeout: timeoutMs,
      ...this.o.mqtt,
    });
    this.client = client;
    const stats = this.o.stats;
    client.on('connect', () => {
      stats.connects++;
      if (!this.wasConnected) stats.connected++;
      this.wasConnected = true;
      this.lastError = '';
    });
    client.on('close', () => {
      if (this.wasConnected) stats.connected--;
      this.wasConnected = false;
    });
    // Back off (with jitter) while refused or unreachable, as real terminals must, so a
    // refused fleet does not hammer the gateway's per-address connection limit.
    const basePeriod = client.options.reconnectPeriod ?? 1000;
    let failures = 0;
    client.on('connect', () => {
      failures = 0;
      client.options.reconnectPeriod = basePeriod;
    });
    client.on('error', (err) => {
      failures++;
      if (basePeriod > 0) {
        const backoff = Math.min(basePeriod * 2 ** Math.min(failures, 5), 30_000);
        client.options.reconnectPeriod = Math.round(backoff * (0.8 + Math.random() * 0.4)); // jitter; not the model's seeded stream
      }
      stats.connectErrors++;
      if (err.message !== this.lastError) this.o.log?.(`${serial}: ${err.message}`);
      this.lastError = err.message;
    });
    client.on('message', (_topic, payload) => this.onDownlink(payload));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${serial}: no CONNACK within ${timeoutMs} ms`)), timeoutMs);
      const done = (err?: Error) => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onConnect = () => {
        client.subscribe(`nx/${serial}/down`, { qos: 1 }, (err) => done(err ?? undefined));
      };
      const onError = (err: Error) => done(err);
      client.on('connect', onConnect);
      client.on('error', onError);
    });
  }

  /** Schedules the first reports, spread over `spreadSec` simulated seconds (at most one interval). */
  begin(simNow: Date, spreadSec: number): void {
    const t = simNow.getTime();
    this.lastSim = t;
    const report = Math.min(spreadSec, this.effectiveSec(this.reportIntervalSec));
    const heartbeat = Math.min(spreadSec, this.effectiveSec(this.o.heartbeatIntervalSec));
    this.nextReportAt = t + this.o.rng.range(0, report) * 1000;
    this.nextHeartbeatAt = t + this.o.rng.range(0, heartbeat) * 1000;
  }

  private effectiveSec(intervalSec: number): number {
    return Math.max(intervalSec, (this.o.minRealIntervalMs / 1000) * this.o.clock.accelerate);
  }

  /** Advances the model to simNow and publishes whatever is due. */
  tick(simNow: Date): void {
    const t = simNow.getTime();
    const dt = (t - this.lastSim) / 1000;
    if (dt <= 0) return;
    this.lastSim = t;
    for (const f of this.model.advance(simNow, dt)) this.send(f);
    if (t >= this.nextReportAt) {
      this.report(simNow);
      this.nextReportAt = Math.max(this.nextReportAt + this.effectiveSec(this.reportIntervalSec) * 1000, t);
    }
    if (t >= this.nextHeartbeatAt) {
      this.send(this.model.heartbeat());
      this.nextHeartbeatAt = Math.max(this.nextHeartbeatAt + this.effectiveSec(this.o.heartbeatIntervalSec) * 1000, t);
    }
  }

  private report(simNow: Date): void {
    this.send(this.model.telemetry());
    const fault = this.model.maybeFault(this.o.faultRate, simNow);
    if (fault) this.send(fault);
  }

  /** Publishes a frame at QoS 1 (unless silenced), sometimes corrupted on purpose. */
  send(frame: DecodedFrame): void {
    if (this.silenced || !this.client) return;
    const kind = kindOfFrame(frame);
    const good = encodeUplink(frame, new Date()); // the terminal clock is real (NTP) time
    const bad = this.o.badFrameRate > 0 && this.o.rng.chance(this.o.badFrameRate);
    const payload = bad ? badFrame(good, kind, this.o.rng) : good;
    this.publishRaw(kind, payload, bad ? null : frame);
  }

  publishRaw(kind: UplinkKind, payload: Buffer, intended: DecodedFrame | null): void {
    if (this.silenced || !this.client) return;
    const stats = this.o.stats;
    stats.published[kind]++;
    if (!intended) stats.badFrames++;
    this.o.onUplink?.({ serial: this.serial, kind, payload, intended });
    this.client.publish(`nx/${this.serial}/up/${kind}`, payload, { qos: 1 }, (err) => {
      if (err) stats.publishErrors++;
      else stats.pubacks++;
    });
  }

  private onDownlink(payload: Buffer): void {
    const stats = this.o.stats;
    stats.commandsReceived++;
    if (this.silenced) return; // a silent terminal is deaf and mute
    const decoded = decodeCommand(payload);
    if (!decoded.ok) {
      this.o.log?.(`${this.serial}: bad command frame: ${decoded.error}`);
      // The id is readable whenever the header is: say "rejected" so the operator is not left waiting.
      if (payload.length >= 5 && payload[0] === 0x10) this.ack(payload.readUInt32BE(1), 'rejected');
      return;
    }
    const { commandId, spec } = decoded;
    if (!commandAppliesTo(spec, this.category)) {
      this.ack(commandId, 'rejected');
      return;
    }
    let result: AckResult = 'done';
    if (spec.opcode === 'SET_INTERVAL') {
      this.reportIntervalSec = spec.args.seconds;
      this.nextReportAt = this.lastSim + this.effectiveSec(spec.args.seconds) * 1000;
    } else if (spec.opcode !== 'REPORT_NOW') {
      result = this.model.command(spec);
    }
    this.ack(commandId, result);
    // Report the new state at once, so the operator sees the effect of the command.
    if (spec.opcode !== 'SET_INTERVAL') this.send(this.model.telemetry());
    if (spec.opcode === 'REPORT_NOW') this.send(this.model.heartbeat());
  }

  private ack(commandId: number, result: AckResult): void {
    this.o.stats.acksSent++;
    this.send({ type: 'ack', commandId, result });
  }

  /** Drops the TCP connection without DISCONNECT, as a radio outage would; mqtt.js reconnects. */
  dropConnection(): void {
    this.client?.stream?.destroy();
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.endAsync(true).catch(() => undefined);
  }
}
