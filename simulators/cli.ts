// Fleet simulator CLI. Results go to stdout as JSON; progress and messages to stderr.
//   npm run sim -- --vehicles 10 --elevators 5 --streetlights 5 --credentials creds.csv
//   npm run sim -- load --terminals 100 --duration 10
//   npm run sim -- provision --api-url http://127.0.0.1:3000 --email c@x --password ... --contract-id <uuid> --serials NXV-1,NXV-2 --out creds.csv
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type Category, categoryOfModelCode } from '../gateway/codecs/index.js';
import { makeSerials, provisionViaApi, readCredentialsCsv, type TerminalCredential, writeCredentialsCsv } from './credentials.js';
import { startFleet } from './fleet.js';
import { runLoad } from './load.js';
import { ALARM_SCENARIOS, type AlarmScenario, isAlarmScenario } from './scenarios.js';

const HELP = `Nexsphere fleet simulator

Usage:
  npm run sim -- [fleet options]         run a behaving fleet until Ctrl-C (or --duration)
  npm run sim -- load [load options]     max-rate QoS 1 publishing, JSON summary on stdout
  npm run sim -- provision [options]     provision serials through the API, write a credentials CSV

Terminal credentials (fleet and load):
  --credentials <file>    CSV of "serial,secret" lines (optional header); the category comes from
                          the serial prefix (NXV- vehicle, NXE- elevator, NXL- streetlight)
  --api-url <url>         instead of a CSV: log in to the API and provision --serials
  --email <e>, --password <p>   the contractor account used with --api-url
  --serials <a,b,...>     serials to provision with --api-url
  --serials-file <file>   one serial per line, for --api-url
  --contract-id <uuid>    the contract the serials are provisioned to, for --api-url
  --secret <s>            with neither: generated serials NXV-00000001... all sharing this secret
                          (for brokers that do not check, e.g. a local Mosquitto); default "dev"
  --serial-start <n>      first number of generated serials (default 1)

Connection (fleet and load):
  --url <mqtt-url>        broker or gateway (default mqtt://127.0.0.1:1883); mqtts://host:8883 for TLS
  --ca <file>             PEM certificate(s) to trust for mqtts:// (e.g. the gateway's self-signed
                          certificate in .data/mqtt-tls-cert.pem); default: the system's CAs

Fleet options:
  --vehicles <n>          number of vehicles (default: all in the credentials, or 0)
  --elevators <n>         number of elevators
  --streetlights <n>      number of streetlights
  --seed <s>              seed of every behaviour model (default 1); the same seed replays the same fleet
  --fault-rate <p>        probability per telemetry report that a healthy terminal starts a fault (default 0)
  --bad-frames <p>        fraction of uplinks replaced by malformed payloads (default 0)
  --silence <k>           k terminals (chosen by the seed) stop reporting...
  --silence-at <sec>      ...this many real seconds after start (default 30)
  --storm-at <sec>        at this real second every connection drops and all reconnect at once
  --storm-every <sec>     repeat the storm every this many seconds after --storm-at
  --accelerate <x>        simulated seconds per real second (default 1); reporting intervals shrink too
                          (up to 60 stays within the seeded device models' per-terminal rate limits)
  --sim-start <iso>       simulated start time (default now), e.g. 2026-11-25T09:30:00Z for a Shanghai dusk
  --min-interval-ms <ms>  floor on real time between periodic uplinks of one terminal (default 2000)
  --duration <sec>        stop after this many real seconds (default: run until Ctrl-C)
  --scenario <name>       an alarm scenario: overload (elevators), speeding, geofence-exit (vehicles),
                          lamp-on (streetlights on by day), low-supply (heartbeats at ~3.0 V, all)
  --scenario-share <p>    share of the terminals it applies to that trip it, chosen by the seed (default 0.2)
  --scenario-at <sec>     real seconds after start when it begins (default 10)
  --scenario-for <sec>    real seconds it lasts, then the terminals report normally and alarms clear
                          (default: until the end)
  --mqtt-version <4|5>    MQTT protocol version (default 4 = 3.1.1)

Load options:
  --terminals <n>         number of terminals (default 100, or all in --credentials)
  --duration <sec>        how long to publish (default 10)
  --inflight <n>          outstanding QoS 1 publishes per terminal (default 10)
  --payload-bytes <n>     8 = heartbeat frame, 11 = event frame, otherwise padded JSON (default 32)
  --connect-concurrency <n>  parallel connects (default 100)
  A live line on stderr shows msg/s, p50/p99 publish->PUBACK latency and errors.

Provision options: --api-url, --email, --password, --contract-id, --serials | --serials-file,
  --out <file> (default stdout)

  -h, --help              this text
`;

const options = {
  help: { type: 'boolean', short: 'h' },
  url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
  ca: { type: 'string' },
  credentials: { type: 'string' },
  'api-url': { type: 'string' },
  email: { type: 'string' },
  password: { type: 'string' },
  serials: { type: 'string' },
  'serials-file': { type: 'string' },
  'contract-id': { type: 'string' },
  secret: { type: 'string', default: 'dev' },
  'serial-start': { type: 'string', default: '1' },
  vehicles: { type: 'string' },
  elevators: { type: 'string' },
  streetlights: { type: 'string' },
  seed: { type: 'string', default: '1' },
  'fault-rate': { type: 'string', default: '0' },
  'bad-frames': { type: 'string', default: '0' },
  silence: { type: 'string', default: '0' },
  'silence-at': { type: 'string', default: '30' },
  'storm-at': { type: 'string' },
  scenario: { type: 'string' },
  'scenario-share': { type: 'string', default: '0.2' },
  'scenario-at': { type: 'string', default: '10' },
  'scenario-for': { type: 'string' },
  'storm-every': { type: 'string' },
  accelerate: { type: 'string', default: '1' },
  'sim-start': { type: 'string' },
  'min-interval-ms': { type: 'string', default: '2000' },
  duration: { type: 'string' },
  'mqtt-version': { type: 'string', default: '4' },
  terminals: { type: 'string' },
  inflight: { type: 'string', default: '10' },
  'payload-bytes': { type: 'string', default: '32' },
  'connect-concurrency': { type: 'string', default: '100' },
  out: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

class UsageError extends Error {}

function num(values: Values, name: keyof Values, opts: { min?: number; max?: number; int?: boolean } = {}): number | undefined {
  const raw = values[name];
  if (raw === undefined || typeof raw !== 'string') return undefined;
  const n = Number(raw);
  if (
    !Number.isFinite(n) ||
    (opts.int && !Number.isInteger(n)) ||
    (opts.min !== undefined && n < opts.min) ||
    (opts.max !== undefined && n > opts.max)
  ) {
    const range = [opts.min !== undefined ? `>= ${opts.min}` : '', opts.max !== undefined ? `<= ${opts.max}` : '']
      .filter(Boolean)
      .join(' and ');
    throw new UsageError(`--${String(name)} must be ${opts.int ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, got "${raw}"`);
  }
  return n;
}

const err = (s: string) => process.stderr.write(`${s}\n`);

async function serialsFromArgs(v: Values): Promise<string[]> {
  if (v.serials)
    return v.serials
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (v['serials-file'])
    return (await readFile(v['serials-file'], 'utf8'))
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter((s) => s && !s.startsWith('#'));
  return [];
}

async function apiCredentials(v: Values): Promise<TerminalCredential[]> {
  if (!v.email || !v.password) throw new UsageError('--api-url needs --email and --password (a contractor account)');
  const serials = await serialsFromArgs(v);
  if (serials.length === 0) throw new UsageError('--api-url needs --serials or --serials-file');
  if (!v['contract-id']) throw new UsageError('--api-url needs --contract-id (the contract the terminals are provisioned to)');
  return provisionViaApi({ apiUrl: v['api-url']!, email: v.email, password: v.password, serials, body: { contractId: v['contract-id'] } });
}

/** Credentials for the fleet: picked per category from a CSV/API, or generated. */
async function fleetCredentials(v: Values): Promise<TerminalCredential[]> {
  const counts: Record<Category, number | undefined> = {
    VEHICLE: num(v, 'vehicles', { min: 0, int: true }),
    ELEVATOR: num(v, 'elevators', { min: 0, int: true }),
    STREETLIGHT: num(v, 'streetlights', { min: 0, int: true }),
  };
  const anyCount = Object.values(counts).some((c) => c !== undefined);
  const source = v.credentials ? await readCredentialsCsv(v.credentials) : v['api-url'] ? await apiCredentials(v) : null;
  if (source) {
    if (!anyCount) return source;
    const out: TerminalCredential[] = [];
    for (const cat of ['VEHICLE', 'ELEVATOR', 'STREETLIGHT'] as const) {
      const want = counts[cat] ?? 0;
      const have = source.filter((c) => categoryOfModelCode(c.serial) === cat);
      if (have.length < want) throw new UsageError(`asked for ${want} ${cat.toLowerCase()} terminals, the credentials hold ${have.length}`);
      out.push(...have.slice(0, want));
    }
    return out;
  }
  const start = num(v, 'serial-start', { min: 0, int: true }) ?? 1;
  const serials = [
    ...makeSerials('NXV', counts.VEHICLE ?? 0, start),
    ...makeSerials('NXE', counts.ELEVATOR ?? 0, start),
    ...makeSerials('NXL', counts.STREETLIGHT ?? 0, start),
  ];
  return serials.map((serial) => ({ serial, secret: v.secret! }));
}

/** TLS trust for mqtts:// URLs: the --ca file, else node's default CAs. */
async function tlsOptions(v: Values): Promise<{ ca?: Buffer }> {
  if (!v.ca) return {};
  if (!v.url!.startsWith('mqtts:')) throw new UsageError('--ca applies to mqtts:// URLs only');
  try {
    return { ca: await readFile(v.ca) };
  } catch (e) {
    throw new UsageError(`--ca: cannot read ${v.ca} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

async function runFleetCommand(v: Values): Promise<void> {
  const terminals = await fleetCredentials(v);
  if (terminals.length === 0) throw new UsageError('no terminals: give --vehicles/--elevators/--streetlights and/or --credentials');
  const duration = num(v, 'duration', { min: 0 });
  const silenceK = num(v, 'silence', { min: 0, int: true }) ?? 0;
  const silenceAt = num(v, 'silence-at', { min: 0 }) ?? 30;
  const stormAt = num(v, 'storm-at', { min: 0 });
  const stormEvery = num(v, 'storm-every', { min: 1 });
  const simStart = v['sim-start'] ? new Date(v['sim-start']) : undefined;
  if (simStart && Number.isNaN(simStart.getTime())) throw new UsageError(`--sim-start is not a date: ${v['sim-start']}`);
  const protocolVersion = num(v, 'mqtt-version', { int: true }) === 5 ? 5 : 4;
  if (v.scenario !== undefined && !isAlarmScenario(v.scenario)) {
    throw new UsageError(`--scenario must be one of ${Object.keys(ALARM_SCENARIOS).join(', ')}, got ${v.scenario}`);
  }
  const scenarioSwitch = { on: false };
  const scenario = v.scenario
    ? { name: v.scenario as AlarmScenario, share: num(v, 'scenario-share', { min: 0, max: 1 }) ?? 0.2, switch: scenarioSwitch }
    : undefined;
  const scenarioAt = num(v, 'scenario-at', { min: 0 }) ?? 10;
  const scenarioFor = num(v, 'scenario-for', { min: 0 });

  err(`connecting ${terminals.length} terminals to ${v.url} ...`);
  const fleet = await startFleet({
    url: v.url!,
    terminals,
    seed: v.seed,
    faultRate: num(v, 'fault-rate', { min: 0, max: 1 }),
    badFrameRate: num(v, 'bad-frames', { min: 0, max: 1 }),
    accelerate: num(v, 'accelerate', { min: 0.001 }),
    simStart,
    minRealIntervalMs: num(v, 'min-interval-ms', { min: 0 }),
    mqtt: { protocolVersion, ...(await tlsOptions(v)) },
    log: err,
    ...(scenario ? { scenario } : {}),
  });
  for (const f of fleet.failed) err(`not connected: ${f.serial}: ${f.error}`);
  if (fleet.failed.length === fleet.terminals.length) {
    await fleet.stop();
    throw new Error(`no terminal could connect to ${v.url} (first error: ${fleet.failed[0]?.error})`);
  }
  const t0 = Date.now();
  const timers: NodeJS.Timeout[] = [];
  if (scenario) {
    timers.push(
      setTimeout(() => {
        scenarioSwitch.on = true;
        err(
          `scenario ${scenario.name} on: ${fleet.tripping.length} terminals trip it (${fleet.tripping.slice(0, 10).join(', ')}${fleet.tripping.length > 10 ? ', ...' : ''})`,
        );
        if (scenarioFor !== undefined) {
          timers.push(
            setTimeout(() => {
              scenarioSwitch.on = false;
              err(`scenario ${scenario.name} off: terminals report normally again`);
            }, scenarioFor * 1000),
          );
        }
      }, scenarioAt * 1000),
    );
  }
  if (silenceK > 0) timers.push(setTimeout(() => err(`silenced: ${fleet.silence(silenceK).join(', ')}`), silenceAt * 1000));
  if (stormAt !== undefined) {
    const storm = () => {
      err(`disconnect storm: dropping ${fleet.terminals.length} connections`);
      fleet.storm();
    };
    timers.push(
      setTimeout(() => {
        storm();
        if (stormEvery) timers.push(setInterval(storm, stormEvery * 1000));
      }, stormAt * 1000),
    );
  }
  const status = () => {
    const s = fleet.stats;
    const p = s.published;
    const line = `[${Math.round((Date.now() - t0) / 1000)}s sim ${fleet.clock.now().toISOString().slice(0, 19)}Z] connected ${s.connected}/${fleet.terminals.length} | up tel ${p.telemetry} hb ${p.heartbeat} ev ${p.event} fault ${p.fault} ack ${p.ack} | puback ${s.pubacks} err ${s.publishErrors} bad ${s.badFrames} | cmds ${s.commandsReceived} silenced ${fleet.silenced().length}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const statusTimer = setInterval(status, process.stderr.isTTY ? 1000 : 10_000);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (duration !== undefined) setTimeout(resolve, duration * 1000);
  });
  clearInterval(statusTimer);
  for (const t of timers) clearTimeout(t);
  status();
  err('');
  const summary = {
    terminals: fleet.terminals.length,
    failed: fleet.failed,
    silenced: fleet.silenced(),
    durationSec: (Date.now() - t0) / 1000,
    ...structuredClone(fleet.stats),
  };
  await fleet.stop();
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

async function runLoadCommand(v: Values): Promise<void> {
  const n = num(v, 'terminals', { min: 1, int: true });
  let terminals: TerminalCredential[];
  if (v.credentials) terminals = (await readCredentialsCsv(v.credentials)).slice(0, n);
  else if (v['api-url']) terminals = (await apiCredentials(v)).slice(0, n);
  else
    terminals = makeSerials('NXV', n ?? 100, num(v, 'serial-start', { min: 0, int: true }) ?? 1).map((serial) => ({
      serial,
      secret: v.secret!,
    }));
  const durationSec = num(v, 'duration', { min: 0.1 }) ?? 10;
  err(`load: ${terminals.length} terminals -> ${v.url} for ${durationSec}s`);
  const result = await runLoad({
    url: v.url!,
    terminals,
    durationSec,
    inflightPerTerminal: num(v, 'inflight', { min: 1, int: true }) ?? 10,
    payloadBytes: num(v, 'payload-bytes', { min: 8, int: true }) ?? 32,
    connectConcurrency: num(v, 'connect-concurrency', { min: 1, int: true }),
    mqtt: { protocolVersion: num(v, 'mqtt-version', { int: true }) === 5 ? 5 : 4, ...(await tlsOptions(v)) },
    onProgress: (p) => {
      const line = `[${p.elapsedSec.toFixed(0)}s] ${Math.round(p.msgPerSec)} msg/s | p50 ${p.p50Ms.toFixed(2)} ms p99 ${p.p99Ms.toFixed(2)} ms | sent ${p.sent} acked ${p.acked} errors ${p.errors}`;
      process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
    },
  });
  if (process.stderr.isTTY) err('');
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

async function runProvisionCommand(v: Values): Promise<void> {
  if (!v['api-url']) throw new UsageError('provision needs --api-url');
  const creds = await apiCredentials(v);
  if (v.out) {
    await writeCredentialsCsv(v.out, creds);
    err(`wrote ${creds.length} credentials to ${v.out}`);
  } else process.stdout.write(`serial,secret\n${creds.map((c) => `${c.serial},${c.secret}`).join('\n')}\n`);
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    err(`${(e as Error).message}\n\nRun with --help for the options.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const command = positionals[0] ?? 'fleet';
  try {
    if (command === 'fleet') await runFleetCommand(values);
    else if (command === 'load') await runLoadCommand(values);
    else if (command === 'provision') await runProvisionCommand(values);
    else throw new UsageError(`unknown command "${command}" (fleet, load or provision)`);
    return 0;
  } catch (e) {
    err(e instanceof UsageError ? `${e.message}\n\nRun with --help for the options.` : `error: ${(e as Error).message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

// Exit explicitly: a pending --duration timer must not keep an interrupted run alive.
process.exit(await main(process.argv.slice(2)));
