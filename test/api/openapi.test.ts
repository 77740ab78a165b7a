import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

type Operation = { tags?: string[]; summary?: string; parameters?: { in: string; name: string }[] };
let sys: TestSystem;
let paths: Record<string, Record<string, Operation>>;

beforeAll(async () => {
  sys = await startTestSystem('api');
  paths = ((await sys.app!.inject({ url: '/openapi.json' })).json() as { paths: typeof paths }).paths;
});
afterAll(async () => {
  await sys?.stop();
});

describe('OpenAPI document', () => {
  it('gives every API operation a tag and a summary', async () => {
    const undocumented = Object.entries(paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => !op.tags?.length || !op.summary)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(undocumented).toEqual([]);
  });

  it('lists the foundation resources with their own summaries', () => {
    const expected: [string, string, string][] = [
      ['/api/v1/contracts', 'post', 'contracts'],
      ['/api/v1/contracts/{id}', 'patch', 'contracts'],
      ['/api/v1/tariff-plans', 'get', 'tariff-plans'],
      ['/api/v1/tariff-plans/{id}/versions', 'post', 'tariff-plans'],
      ['/api/v1/device-models/{id}', 'delete', 'device-models'],
      ['/api/v1/users', 'get', 'users'],
      ['/api/v1/users/{id}', 'patch', 'users'],
      ['/api/v1/audit-log', 'get', 'audit-log'],
      ['/api/v1/customers/{id}/contacts', 'post', 'customers'],
    ];
    for (const [path, method, tag] of expected) {
      const op = paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op!.tags).toEqual([tag]);
    }
    // Idempotent routes document their header.
    const create = paths['/api/v1/contracts']!.post!;
    expect(create.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key')).toBe(true);
  });
});
