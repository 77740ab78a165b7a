import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of API answers
type Json = Record<string, any>;
type Headers = { authorization: string };
let sys: TestSystem;
let ops: Headers;

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, headers: Headers, payload?: object) {
  const res = await sys.app!.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: (res.body ? res.json() : null) as Json };
}

const model = (code: string, extra: object = {}) => ({
  code,
  name: `Model ${code}`,
  category: 'ELEVATOR',
  codec: 'nx-elevator-v1',
  expectedIntervalSec: 300,
  maxPayloadBytes: 128,
  rateLimitBurst: 10,
  rateLimitPerMinute: 30,
  faultTable: [
    { code: 0x0101, description: 'Door jammed', severity: 2, group: 'REPAIR' },
    { code: 0x0f01, description: 'Terminal internal error', severity: 1, group: 'SYSTEM' },
  ],
  ...extra,
});

beforeAll(async () => {
  sys = await startTestSystem('api');
  ops = (await loginAs(sys.services, sys.app!, 'OPS')).headers;
});
afterAll(async () => {
  await sys?.stop();
});

describe('device models', () => {
  it('creates, reads, changes and lists models, with defaults filled in', async () => {
    const created = await call('POST', '/device-models', ops, model('NXE-900'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'NXE-900', category: 'ELEVATOR', silenceFactor: 3, maxPayloadBytes: 128 });
    expect(created.body.faultTable).toHaveLength(2);

    const customer = await loginAs(
      sys.services,
      sys.app!,
      'CUSTOMER',
      (await sys.services.db.customer.create({ data: { kind: 'END_USER', name: 'E' } })).id,
    );
    expect((await call('GET', `/device-models/${created.body.id}`, customer.headers)).body.code).toBe('NXE-900');

    const system = await loginAs(sys.services, sys.app!, 'SYSTEM');
    const changed = await call('PATCH', `/device-models/${created.body.id}`, system.headers, { expectedIntervalSec: 600, faultTable: [] });
    expect(changed.body).toMatchObject({ expectedIntervalSec: 600, faultTable: [], code: 'NXE-900' });

    await call('POST', '/device-models', ops, model('NXL-900', { category: 'STREETLIGHT', codec: 'nx-streetlight-v1' }));
    const lights = await call('GET', '/device-models?category=STREETLIGHT', ops);
    expect(lights.body.items.map((m: Json) => m.code)).toEqual(['NXL-900']);
    expect((await call('POST', '/device-models', ops, model('NXE-900'))).status).toBe(409);

    const audit = await sys.services.db.auditLog.findMany({ where: { entityId: created.body.id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['device-model.created', 'device-model.updated']);
    expect((audit[1]!.before as Json).expectedIntervalSec).toBe(300);
    expect((audit[1]!.after as Json).expectedIntervalSec).toBe(600);
  });

  it('validates fault table entries and limits, naming each bad field', async () => {
    const res = await call(
      'POST',
      '/device-models',
      ops,
      model('NXE-901', {
        maxPayloadBytes: 5000,
        faultTable: [
          { code: 0x10000, description: 'Too big a code', severity: 2, group: 'REPAIR' },
          { code: 0x0102, description: '', severity: 0, group: 'SALES' },
        ],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: Json) => e.path).sort()).toEqual([
      'body.faultTable.0.code',
      'body.faultTable.1.description',
      'body.faultTable.1.group',
      'body.faultTable.1.severity',
      'body.maxPayloadBytes',
    ]);

    const dup = await call(
      'POST',
      '/device-models',
      ops,
      model('NXE-902', {
        faultTable: [
          { code: 7, description: 'A', severity: 1, group: 'FINANCE' },
          { code: 7, description: 'B', severity: 1, group: 'SERVICE_DESK' },
        ],
      }),
    );
    expect(dup.body.errors.map((e: Json) => e.path)).toEqual(['body.faultTable.1.code']);

    const wrongCategory = await call('POST', '/device-models', ops, model('NXV-903'));
    expect(wrongCategory.body.errors.map((e: Json) => e.path)).toEqual(['body.category']);
    const zeroPayload = await call('POST', '/device-models', ops, model('NXE-904', { maxPayloadBytes: 0 }));
    expect(zeroPayload.body.errors.map((e: Json) => e.path)).toEqual(['body.maxPayloadBytes']);
  });

  it('lets only admin, ops and system write', async () => {
    const sales = await loginAs(sys.services, sys.app!, 'SALES');
    expect((await call('POST', '/device-models', sales.headers, model('NXE-905'))).status).toBe(403);
    const admin = await loginAs(sys.services, sys.app!, 'ADMIN');
    expect((await call('POST', '/device-models', admin.headers, model('NXE-905'))).status).toBe(201);
  });

  it('deletes an unused model and refuses one with terminals', async () => {
    const unused = (await call('POST', '/device-models', ops, model('NXE-906'))).body;
    expect((await call('DELETE', `/device-models/${unused.id}`, ops)).status).toBe(204);
    expect((await call('GET', `/device-models/${unused.id}`, ops)).status).toBe(404);

    const used = (await call('POST', '/device-models', ops, model('NXE-907'))).body;
    await sys.services.db.device.create({ data: { serial: 'NXE907-0001', deviceModelId: used.id } });
    const refused = await call('DELETE', `/device-models/${used.id}`, ops);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('1 terminals');
  });
});
