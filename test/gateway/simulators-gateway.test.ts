// The simulators against the real platform: a contractor provisions terminals through the
// API (the simulators' provisioning helper), the fleet connects to the real gateway, its
// frames are stored decoded, and a command sent through the API comes back acknowledged.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Fleet,
  provisionViaApi,
  readCredentialsCsv,
  startFleet,
  type TerminalCredential,
  type UplinkRecord,
} from '../../simulators/index.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { adminCtx, createContract, ensureModel, newSerial, waitFor } from '../helpers/terminals.js';

let sys: TestSystem;
let contractId: string;
let contractor: { email: string; password: string };
let fleet: Fleet | null = null;

beforeAll(async () => {
  sys = await startTestSystem('all');
  const c = await createContract(sys.services);
  contractId = c.contract.id;
  contractor = { email: `contractor-${randomBytes(4).toString('hex')}@test.nexsphere`, password: 'correct-horse-battery' };
  await sys.services.auth.createUser(null, { ...contractor, name: 'Contractor', role: 'CONTRACTOR', customerId: c.contractor.id });
});
afterAll(async () => {
  await fleet?.stop();
  await sys?.stop();
});

describe('simulators against the gateway', () => {
  let creds: TerminalCredential[] = [];
  const sent: UplinkRecord[] = [];

  it('provisions terminals through the API as a contractor, with clear errors', async () => {
    const ctx = await adminCtx(sys.services);
    const serials: string[] = [];
    for (const model of ['NXV-100', 'NXE-200', 'NXL-300']) {
      await ensureModel(sys.services, model, { rateLimitBurst: 1000, rateLimitPerMinute: 60_000 });
      const serial = newSerial(model.slice(0, 3));
      await sys.services.devices.addToStock(ctx, { serial, model });
      serials.push(serial);
    }
    const opts = { apiUrl: sys.httpUrl!, ...contractor, serials, body: { contractId } };
    creds = await provisionViaApi(opts);
    expect(creds.map((c) => c.serial)).toEqual(serials);
    for (const c of creds) expect(c.secret.length).toBeGreaterThanOrEqual(32);
    // The same Idempotency-Key per serial: a rerun replays the same credentials instead of failing.
    expect(await provisionViaApi(opts)).toEqual(creds);
    const other = newSerial('NXV');
    await expect(provisionViaApi({ ...opts, serials: [other] })).rejects.toThrow(/provisioning NX.-\S+ failed: HTTP 404/);
    await expect(provisionViaApi({ ...opts, password: 'wrong-password-here' })).rejects.toThrow(/login .* failed: HTTP 401/);
  });

  it('streams frames that the gateway stores decoded, and obeys a command sent through the API', async () => {
    fleet = await startFleet({
      url: `mqtt://127.0.0.1:${sys.mqttPort}`,
      terminals: creds,
      seed: 'e2e',
      accelerate: 60,
      faultRate: 0.1,
      reportIntervalSec: { VEHICLE: 30, ELEVATOR: 30, STREETLIGHT: 30 },
      minRealIntervalMs: 200,
      spreadRealSec: 0.2,
      tickMs: 50,
      requireAllConnected: true,
      onUplink: (u) => sent.push(u),
    });
    const db = sys.services.db;
    const devices = await db.device.findMany({ where: { serial: { in: creds.map((c) => c.serial) } } });
    await waitFor(async () => {
      const counts = await Promise.all(devices.map((d) => db.message.count({ where: { deviceId: d.id, kind: 'telemetry' } })));
      return counts.every((n) => n >= 3);
    }, 15_000);

    const rows = await db.message.findMany({ where: { deviceId: { in: devices.map((d) => d.id) } }, orderBy: { seq: 'asc' } });
    expect(rows.length).toBeGreaterThan(9);
    for (const r of rows) {
      expect(r.decodeError).toBeNull();
      const hex = Buffer.from(r.payload).toString('hex');
      const mine = sent.find((u) => u.payload.toString('hex') === hex);
      expect(mine).toBeTruthy();
      expect((r.decoded as { type: string }).type).toBe(mine!.intended!.type);
    }

    // A command through the API as the contractor: queued -> sent -> delivered -> acknowledged.
    const vehicle = creds.find((c) => c.serial.startsWith('NXV'))!.serial;
    const login = await fetch(`${sys.httpUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(contractor),
    });
    const { token } = (await login.json()) as { token: string };
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    // A vehicle in its internal-error fault (the fleet injects faults) answers `failed`, as a real
    // one would; the operator sends the command again. Every answer is final and says why.
    const answers: { status: string; error: string | null }[] = [];
    for (let attempt = 0; attempt < 5 && answers.at(-1)?.status !== 'ACKNOWLEDGED'; attempt++) {
      const res = await fetch(`${sys.httpUrl}/api/v1/devices/${vehicle}/commands`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ opcode: 'IMMOBILIZE', args: { on: true } }),
      });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: number };
      let last: { status: string; error: string | null } = { status: 'unknown', error: null };
      await waitFor(async () => {
        const r = await fetch(`${sys.httpUrl}/api/v1/devices/${vehicle}/commands/${id}`, { headers });
        last = (await r.json()) as { status: string; error: string | null };
        return last.status === 'ACKNOWLEDGED' || last.status === 'FAILED';
      }, 10_000).catch(() => undefined);
      answers.push({ status: last.status, error: last.error });
    }
    // On a timeout the assertion names the state the command was left in.
    expect(answers.at(-1)).toMatchObject({ status: 'ACKNOWLEDGED' });
    for (const a of answers.slice(0, -1)) expect(a).toEqual({ status: 'FAILED', error: 'terminal answered failed' });
    const t = fleet.terminals.find((x) => x.serial === vehicle)!;
    expect((t.model.telemetry() as { immobilized: boolean }).immobilized).toBe(true);
  });

  it('the CLI provisions into a CSV, then runs a fleet from it against the gateway', async () => {
    const ctx = await adminCtx(sys.services);
    const serials = [newSerial('NXV'), newSerial('NXL')];
    await sys.services.devices.addToStock(ctx, { serial: serials[0]!, model: 'NXV-100' });
    await sys.services.devices.addToStock(ctx, { serial: serials[1]!, model: 'NXL-300' });
    const dir = await mkdtemp(join(tmpdir(), 'nx-sim-'));
    const csv = join(dir, 'creds.csv');
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'simulators/cli.ts', ...args], { timeout: 60_000 });
    try {
      await cli([
        'provision',
        '--api-url',
        sys.httpUrl!,
        '--email',
        contractor.email,
        '--password',
        contractor.password,
        '--contract-id',
        contractId,
        '--serials',
        serials.join(','),
        '--out',
        csv,
      ]);
      const fromCsv = await readCredentialsCsv(csv);
      expect(fromCsv.map((c) => c.serial)).toEqual(serials);
      const { stdout } = await cli([
        '--url',
        `mqtt://127.0.0.1:${sys.mqttPort}`,
        '--credentials',
        csv,
        '--accelerate',
        '30',
        '--duration',
        '2',
      ]);
      const summary = JSON.parse(stdout) as {
        terminals: number;
        failed: unknown[];
        connects: number;
        pubacks: number;
        publishErrors: number;
      };
      expect(summary).toMatchObject({ terminals: 2, failed: [], connects: 2, publishErrors: 0 });
      expect(summary.pubacks).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
