// Test fixtures for terminals: a contract with a tariff plan and provisioned devices, made
// through the devices service (so secrets are issued exactly as in production).
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Services } from '../../src/app/container.js';
import type { Principal } from '../../src/auth/index.js';

const admins = new WeakMap<Services, Promise<{ actor: Principal }>>();

/** An ADMIN principal backed by a real user row (audit rows reference it). */
export function adminCtx(services: Services): Promise<{ actor: Principal }> {
  let p = admins.get(services);
  if (!p) {
    p = services.auth
      .createUser(null, {
        email: `admin-${randomBytes(4).toString('hex')}@test.nexsphere`,
        name: 'Admin',
        role: 'ADMIN',
        password: 'correct-horse-battery',
        customerId: null,
      })
      .then((u) => ({ actor: { userId: u.id, role: 'ADMIN' as const, customerId: null, via: 'session' as const } }));
    admins.set(services, p);
  }
  return p;
}

export async function ensureModel(
  services: Services,
  code: string,
  overrides: { maxPayloadBytes?: number; rateLimitBurst?: number; rateLimitPerMinute?: number } = {},
) {
  const category = code.startsWith('NXV') ? 'VEHICLE' : code.startsWith('NXE') ? 'ELEVATOR' : 'STREETLIGHT';
  return services.db.deviceModel.upsert({
    where: { code },
    create: { code, name: code, category, codec: category.toLowerCase(), expectedIntervalSec: 60, ...overrides },
    update: overrides,
  });
}

export async function createContract(services: Services, opts: { segmentBytes?: number } = {}) {
  const suffix = randomBytes(4).toString('hex');
  const contractor = await services.db.customer.create({ data: { kind: 'CONTRACTOR', name: `Contractor ${suffix}` } });
  const customer = await services.db.customer.create({
    data: { kind: 'END_USER', name: `Customer ${suffix}`, contractorId: contractor.id },
  });
  const plan = await services.db.tariffPlan.create({
    data: { code: `T-${suffix}`, name: 'Test plan', monthlyRentalMinor: 1000n, segmentBytes: opts.segmentBytes ?? 16 },
  });
  const contract = await services.db.contract.create({
    data: { number: `C-${suffix}`, customerId: customer.id, contractorId: contractor.id, tariffPlanId: plan.id, startDate: new Date() },
  });
  return { contractor, customer, plan, contract };
}

let serialCounter = 0;
export function newSerial(prefix = 'NXE'): string {
  serialCounter++;
  return `${prefix}-${randomBytes(3).toString('hex').toUpperCase()}${serialCounter}`;
}

/** Stocks and provisions a terminal; returns its serial and the once-issued secret. */
export async function provisionTerminal(services: Services, contractId: string, model = 'NXE-200', label?: string) {
  await ensureModel(services, model);
  const serial = newSerial(model.slice(0, 3));
  const ctx = await adminCtx(services);
  await services.devices.addToStock(ctx, { serial, model });
  return services.devices.provision(ctx, serial, { contractId, ...(label ? { label } : {}) });
}

/** Connects with mqtt.js and resolves with the client, or rejects with the CONNACK error. */
export function connectTerminal(port: number, serial: string, secret: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect({
      host: '127.0.0.1',
      port,
      clientId: serial,
      username: serial,
      password: secret,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...opts,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** The CONNACK return/reason code a connection attempt gets (0 = accepted). */
export async function connackCode(port: number, serial: string, secret: string, opts: IClientOptions = {}): Promise<number> {
  try {
    const c = await connectTerminal(port, serial, secret, opts);
    await c.endAsync();
    return 0;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code !== 'number') throw err;
    return code;
  }
}

export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 5000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
