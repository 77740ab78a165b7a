// Keeps the security fixes closed: every operation of the served OpenAPI document, as every role,
// with no token and with a garbage token, gets generated and mutated path ids, query strings and
// bodies over a real socket. Whatever is sent: no 5xx, every 4xx a problem document, no polluted
// prototype, and a contractor or end user never sees an identifier or name of another tenant.
// FUZZ_SEED replays a run; FUZZ_RUNS sets how many random requests follow the sweep.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/index.js';
import { closeAgent, type FuzzAnswer, type FuzzRequest, type Operation, operationsOf, requestFor, send } from '../helpers/fuzz-requests.js';
import { FUZZ_PASSWORD, mintSession, seedTenant, type Tenant } from '../helpers/fuzz-tenants.js';
import type { Pools } from '../helpers/fuzz-values.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const RUNS = Number(process.env.FUZZ_RUNS ?? 600);
const STAFF: Role[] = ['ADMIN', 'OPS', 'SERVICE', 'REPAIR', 'SYSTEM', 'FINANCE', 'SALES'];
const PUBLIC = new Set(['POST /api/v1/auth/login']);

interface Principal {
  name: string;
  userId: string | null;
  token: string | null;
  /** Contractor or end user of tenant A: must never see tenant B. */
  tenant: boolean;
}

let sys: TestSystem;
let ops: Operation[];
let principals: Principal[];
let staffPools: Pools;
let tenantPools: Pools;
let probePools: Pools;
let secrets: string[];
let secretIds: Set<string>;

beforeAll(async () => {
  sys = await startTestSystem('api');
  const doc = (await (await fetch(`${sys.httpUrl}/openapi.json`)).json()) as Parameters<typeof operationsOf>[0];
  ops = operationsOf(doc);
  const [a, b, c] = [
    await seedTenant(sys.services, 'Alpha'),
    await seedTenant(sys.services, 'Beta'),
    await seedTenant(sys.services, 'Gamma'),
  ];
  const user = async (role: Role, customerId: string | null) => {
    const u = await sys.services.auth.createUser(null, {
      email: `fuzz-${role.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}@test.nexsphere`,
      name: `Fuzz ${role}`,
      role,
      password: FUZZ_PASSWORD,
      customerId,
    });
    return { name: role, userId: u.id, token: await mintSession(sys.services, u.id), tenant: customerId !== null };
  };
  principals = [
    ...(await Promise.all(STAFF.map((role) => user(role, null)))),
    await user('CONTRACTOR', a.contractorId),
    await user('CUSTOMER', a.endUserId),
    { name: 'no token', userId: null, token: null, tenant: false },
    { name: 'garbage token', userId: null, token: 'nxs_this-is-not-a-token', tenant: false },
  ];
  // Staff never learn tenant B's identifiers, so nothing they change can tie B to A and make a
  // correct answer look like a leak.
  staffPools = pools([a, c], [a, c]);
  tenantPools = pools([a, b], [a]);
  // Filters may name B's records: a list answer must still not contain them.
  probePools = pools([a, b], [a, b]);
  secrets = [...b.ids, ...b.serials, ...b.texts];
  secretIds = new Set([...b.ids, ...b.serials]);
}, 120_000);
afterAll(async () => {
  if (process.env.FUZZ_STATS) process.stderr.write(`fuzz answers: ${JSON.stringify([...tally].sort())}\n`);
  closeAgent();
  await sys?.stop();
});

function pools(ids: Tenant[], texts: Tenant[]): Pools {
  return {
    ids: ids.flatMap((t) => t.ids),
    serials: ids.flatMap((t) => [...t.serials, t.stockSerial]),
    texts: texts.flatMap((t) => t.texts),
  };
}

const arbitraries = new Map<string, fc.Arbitrary<FuzzRequest>>();
/** Built once per operation, kind of principal and cleanliness: building one (regex strings) costs more than sending it. */
function requestsFor(op: Operation, p: Principal, clean: boolean): fc.Arbitrary<FuzzRequest> {
  const key = `${op.method} ${op.path} ${p.tenant} ${clean}`;
  let arb = arbitraries.get(key);
  if (!arb) {
    arb = p.tenant ? requestFor(op, tenantPools, probePools, clean) : requestFor(op, staffPools, staffPools, clean);
    arbitraries.set(key, arb);
  }
  return arb;
}

/** Answers by kind of principal and status, to show the fuzz reached past validation. */
const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

function decoded(target: string): string {
  try {
    return decodeURIComponent(target);
  } catch {
    return target;
  }
}

/** Secrets of tenant B in an answer: anywhere in a successful read, else where the request did not put them itself. */
function leaks(req: FuzzRequest, ans: FuzzAnswer): string[] {
  const sent = `${req.target} ${decoded(req.target)} ${req.body ?? ''}`;
  const read = req.method === 'GET' && ans.status < 300;
  const found = secrets.filter((s) => ans.text.includes(s) && (read || !sent.includes(s)));
  if (ans.status < 300 && ans.contentType.includes('json')) {
    // An answer that stores B's record as a reference of one's own (ticket.deviceId = B's terminal) leaks too.
    JSON.parse(ans.text, (key, value: unknown) => {
      if (/^(id|serial)$|Ids?$/.test(key) && [value].flat().some((v) => typeof v === 'string' && secretIds.has(v)))
        found.push(`${key}=${String(value)}`);
      return value;
    });
  }
  return [...new Set(found)];
}

/** What is wrong with an answer, or null. */
function verdict(p: Principal, op: Operation, req: FuzzRequest, ans: FuzzAnswer): string | null {
  if (ans.status >= 500) return `answered ${ans.status}: ${ans.text.slice(0, 300)}`;
  if (Object.hasOwn(Object.prototype, 'polluted')) return 'polluted Object.prototype';
  if (/\bat [^\n]+\.(ts|js):\d+:\d+/.test(ans.text)) return 'a stack trace in the answer';
  if (ans.status >= 400) {
    if (!ans.contentType.startsWith('application/problem+json')) return `${ans.status} as ${ans.contentType}`;
    const problem = JSON.parse(ans.text) as { type?: unknown; title?: unknown; status?: unknown };
    if (typeof problem.type !== 'string' || typeof problem.title !== 'string' || problem.status !== ans.status) {
      return `bad problem document ${ans.text.slice(0, 300)}`;
    }
  }
  if (p.userId === null && !PUBLIC.has(`${op.method} ${op.path}`) && ans.status < 400)
    return `answered ${ans.status} without a valid token`;
  if (p.tenant) {
    const leaked = leaks(req, ans);
    if (leaked.length) return `another tenant's ${leaked.join(', ')} in ${ans.text.slice(0, 500)}`;
  }
  return null;
}

async function attempt(p: Principal, op: Operation, req: FuzzRequest): Promise<string | null> {
  // Logging out would end the principal's session for every later request: log out a fresh one.
  const logout = op.path === '/api/v1/auth/logout' && p.userId !== null;
  const token = logout ? await mintSession(sys.services, p.userId!) : p.token;
  const ans = await send(sys.httpUrl!, req, token);
  count(`${p.tenant ? 'tenant' : p.userId ? 'staff' : 'anonymous'} ${ans.status < 300 ? '2xx' : ans.status}`);
  if (ans.status === 401 && p.userId !== null && !(await sys.services.auth.authenticate(p.token!))) {
    p.token = await mintSession(sys.services, p.userId);
  }
  return verdict(p, op, req, ans);
}

const describeRequest = (p: Principal, req: FuzzRequest) =>
  `${p.name}: ${req.method} ${req.target.slice(0, 400)} ${JSON.stringify(req.headers)} ${(req.body ?? '').slice(0, 400)}`;

describe('security fuzz over the OpenAPI document', () => {
  it('covers a real API surface', () => {
    expect(ops.length).toBeGreaterThan(80);
    expect(ops.some((o) => o.body)).toBe(true);
  });

  it('finds a leak where there is one', async () => {
    // The oracle itself: staff may list tenant B, so the same answer given to a contractor is a leak.
    const op = ops.find((o) => o.method === 'GET' && o.path === '/api/v1/customers')!;
    const req: FuzzRequest = { method: 'GET', target: '/api/v1/customers?limit=100', headers: {} };
    const ans = await send(sys.httpUrl!, req, principals.find((p) => p.name === 'SALES')!.token);
    expect(ans.status).toBe(200);
    expect(verdict({ ...principals.find((p) => p.tenant)!, userId: 'x' }, op, req, ans)).toMatch(/another tenant's/);
  });

  it('answers every operation as every principal without a 5xx, a malformed 4xx or a leak', async () => {
    const failures: string[] = [];
    let n = 0;
    for (const op of ops) {
      for (const p of principals) {
        // A clean request too where it reaches furthest: ADMIN passes every role check, tenants meet the scope checks.
        for (const clean of p.tenant || p.name === 'ADMIN' ? [true, false] : [false]) {
          const [req] = fc.sample(requestsFor(op, p, clean), { seed: SEED + n++, numRuns: 1 });
          const wrong = await attempt(p, op, req!);
          if (wrong) failures.push(`${describeRequest(p, req!)}\n  -> ${wrong}`);
        }
      }
    }
    expect(failures, `sweep with FUZZ_SEED=${SEED}`).toEqual([]);
    // Contractors and end users got real answers, so the leak check had something to look at.
    expect(tally.get('tenant 2xx') ?? 0, JSON.stringify([...tally])).toBeGreaterThan(40);
  }, 300_000);

  it('holds for random operations, principals and mutations', async () => {
    const arb = fc
      .record({ op: fc.constantFrom(...ops), p: fc.constantFrom(...principals), clean: fc.boolean() })
      .chain(({ op, p, clean }) => requestsFor(op, p, clean).map((req) => ({ op, p, req })));
    const property = fc.asyncProperty(arb, async ({ op, p, req }) => {
      const wrong = await attempt(p, op, req);
      if (wrong) throw new Error(`${describeRequest(p, req)}\n  -> ${wrong}`);
    });
    const result = await fc.check(property, { seed: SEED, numRuns: RUNS, endOnFailure: true });
    const error = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
    expect(
      result.failed ? `run ${result.numRuns} (path ${result.counterexamplePath}): ${error}` : null,
      `replay with FUZZ_SEED=${SEED}`,
    ).toBeNull();
  }, 300_000);
});
