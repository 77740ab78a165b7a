// Requests for the security fuzz: every operation of the OpenAPI document, with path ids,
// query strings, headers and bodies generated from its schemas and spoiled by hostile
// mutations, sent byte for byte over a real socket (fetch would normalise `..` and `%2e`).
import http from 'node:http';
import fc from 'fast-check';
import { fromSchema, hostileValue, type JsonSchema, mutatedBody, type Pools } from './fuzz-values.js';

export interface Operation {
  method: string;
  path: string;
  params: { in: 'path' | 'query' | 'header'; name: string; schema?: JsonSchema }[];
  body?: JsonSchema;
}

export interface FuzzRequest {
  method: string;
  /** Exactly the request target sent on the wire. */
  target: string;
  headers: Record<string, string>;
  body?: string;
}

export interface FuzzAnswer {
  status: number;
  contentType: string;
  text: string;
}

export type OpenApi = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string; schema?: JsonSchema }[];
        requestBody?: { content: Record<string, { schema?: JsonSchema }> };
      }
    >
  >;
};

export function operationsOf(doc: OpenApi): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      params: (op.parameters ?? []).filter((p): p is Operation['params'][number] => ['path', 'query', 'header'].includes(p.in)),
      body: op.requestBody?.content['application/json']?.schema,
    })),
  );
}

/** encodeURIComponent, except that a lone surrogate goes out as the bytes a careless encoder would send (CESU-8). */
export function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return `%ED%A0%80${encodeURIComponent(Buffer.from(s, 'utf8').toString('utf8'))}`;
  }
}

const HOSTILE_IDS = [
  '..',
  '../..',
  '..%2f..%2fadmin',
  '%2e%2e%2f',
  '%00',
  'a%00b',
  '%zz',
  '%',
  '%C0%AE%C0%AE',
  '%ef%bf%bd',
  '%20',
  '-1',
  '0',
  '99999999999999999999',
  "1'%20OR%20'1'='1",
  '%3Cscript%3E',
  '00000000-0000-0000-0000-000000000000',
  'NXV-%00',
  'A'.repeat(3000),
];

/** One path segment: a real id (own or another tenant's), a generated one, or a hostile spelling sent raw. */
function pathValue(name: string, schema: JsonSchema | undefined, pools: Pools): fc.Arbitrary<string> {
  const pooled = /serial/i.test(name) ? pools.serials : pools.ids;
  const generated = fromSchema(schema, name, pools).map((v) => enc(String(v)));
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...pooled) },
    { weight: 2, arbitrary: generated },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_IDS) },
    { weight: 1, arbitrary: hostileValue().map((v) => enc(typeof v === 'string' ? v.slice(0, 3000) : JSON.stringify(v))) },
  );
}

/** Spellings of the route's literal part that the router may or may not treat as the same path. */
function respell(path: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(path) },
    { weight: 2, arbitrary: fc.constant(path.replace(/^\/api\//, '/%61pi/')) },
    { weight: 1, arbitrary: fc.constant(path.replace(/^\/api\/v1\//, '/api/v1/%2e/')) },
    { weight: 1, arbitrary: fc.constant(path.replace(/\/v1\//, '/V1/')) },
    { weight: 1, arbitrary: fc.constant(`${path}/`) },
    { weight: 1, arbitrary: fc.constant(path.replace(/^\/api\/v1/, '//api//v1')) },
    {
      weight: 1,
      arbitrary: fc.constant(path.replace(/^\/api\/v1\/([a-z])/, (_m, c: string) => `/api/v1/%${c.charCodeAt(0).toString(16)}`)),
    },
  );
}

function queryPair(name: string, schema: JsonSchema | undefined, pools: Pools): fc.Arbitrary<string> {
  const value = fc.oneof(
    { weight: 5, arbitrary: fromSchema(schema, name, pools).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) },
    { weight: 2, arbitrary: fc.constantFrom(...pools.ids, ...pools.serials, ...pools.texts) },
    { weight: 2, arbitrary: hostileValue().map((v) => (typeof v === 'string' ? v.slice(0, 5000) : JSON.stringify(v))) },
  );
  return value.map((v) => `${enc(name)}=${enc(v)}`);
}

const EXTRA_QUERY = [
  '__proto__[polluted]=yes',
  'constructor[prototype][polluted]=yes',
  '__proto__=x',
  'limit=1&limit=2',
  'limit[]=5',
  'cursor=%00',
  'access_token=nxs_garbage',
  'q=%',
  'q=%E0%A4%A',
  `q=${'x'.repeat(9000)}`,
  'limit=-1',
  'limit=1e400',
  'limit=0x10',
  'a=%F0%9F%9A%9A',
];

function queryString(op: Operation, pools: Pools): fc.Arbitrary<string> {
  const pairs = op.params.filter((p) => p.in === 'query').map((p) => fc.option(queryPair(p.name, p.schema, pools), { freq: 2 }));
  return fc.tuple(fc.tuple(...pairs), fc.subarray(EXTRA_QUERY, { maxLength: 2 })).map(([own, extra]) => {
    const all = [...own.filter((x): x is string => x !== null), ...extra];
    return all.length ? `?${all.join('&')}` : '';
  });
}

const RAW_BODIES = [
  '',
  '{',
  '{"a":',
  'null',
  '[]',
  '"text"',
  '123',
  '\ufeff{}',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  '{"a":"\\u0000"}',
  '{"a":"\\ud800"}',
];

/** The body as sent: JSON text of a (mutated) schema value, or raw text with a possibly wrong content type. */
function bodyFor(op: Operation, pools: Pools): fc.Arbitrary<{ body?: string; contentType?: string }> {
  const json = mutatedBody(op.body, pools).map((v) => ({ body: JSON.stringify(v) ?? 'null', contentType: 'application/json' }));
  const raw = fc.record({
    body: fc.constantFrom(...RAW_BODIES),
    contentType: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
    ),
  });
  if (!op.body && op.method === 'GET') return fc.oneof({ weight: 9, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: raw });
  return fc.oneof({ weight: 8, arbitrary: json }, { weight: 2, arbitrary: raw }, { weight: 1, arbitrary: fc.constant({}) });
}

function idempotencyKey(op: Operation): fc.Arbitrary<string | null> {
  if (op.method !== 'POST') return fc.constant(null);
  return fc.option(fc.oneof(fc.uuid(), fc.constantFrom('k', 'same-key', 'x'.repeat(300), 'key with spaces', '\u00e9t\u00e9', '../../k')), {
    freq: 3,
  });
}

/**
 * A request for `op`; `bodyPools` feed bodies and path ids, `queryPools` query filters (which may
 * carry another tenant's names). A clean request is what a well-behaved client sends: the route's
 * own spelling, schema values, a JSON body; otherwise ids, spelling, query and body are spoiled.
 */
export function requestFor(op: Operation, bodyPools: Pools, queryPools: Pools, clean = false): fc.Arbitrary<FuzzRequest> {
  const names = op.params.filter((p) => p.in === 'path');
  const segments = fc.tuple(
    ...names.map((p) =>
      clean ? fc.constantFrom(...(/serial/i.test(p.name) ? bodyPools.serials : bodyPools.ids)) : pathValue(p.name, p.schema, bodyPools),
    ),
  );
  type Body = { body?: string; contentType?: string };
  const cleanBody: fc.Arbitrary<Body> = op.body
    ? fromSchema(op.body, 'body', bodyPools).map((v) => ({ body: JSON.stringify(v) ?? 'null', contentType: 'application/json' }))
    : fc.constant({});
  return fc
    .record({
      path: clean ? fc.constant(op.path) : respell(op.path),
      segments,
      query: clean ? cleanQuery(op, queryPools) : queryString(op, queryPools),
      body: clean ? cleanBody : (bodyFor(op, bodyPools) as fc.Arbitrary<Body>),
      key: clean ? fc.constant(null) : idempotencyKey(op),
    })
    .map(({ path, segments, query, body, key }) => {
      let target = path;
      for (const [i, p] of names.entries()) target = target.replace(`{${p.name}}`, segments[i]!);
      const headers: Record<string, string> = {};
      if (body.contentType) headers['content-type'] = body.contentType;
      if (key !== null) headers['idempotency-key'] = key;
      return { method: op.method, target: target + query, headers, ...(body.body !== undefined ? { body: body.body } : {}) };
    });
}

function cleanQuery(op: Operation, pools: Pools): fc.Arbitrary<string> {
  const pairs = op.params
    .filter((p) => p.in === 'query' && p.name !== 'access_token' && p.name !== 'cursor')
    .map((p) =>
      fc.option(
        fromSchema(p.schema, p.name, pools).map((v) => `${enc(p.name)}=${enc(typeof v === 'string' ? v : JSON.stringify(v))}`),
        { freq: 2 },
      ),
    );
  return fc.tuple(...pairs).map((all) => {
    const set = all.filter((x): x is string => x !== null);
    return set.length ? `?${set.join('&')}` : '';
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** Sends the request target as is; a streaming answer (the live feed) is cut once its headers arrived. */
export function send(baseUrl: string, req: FuzzRequest, token: string | null): Promise<FuzzAnswer> {
  const url = new URL(baseUrl);
  const headers: Record<string, string> = { ...req.headers };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: url.hostname, port: url.port, method: req.method, path: req.target, headers, agent, timeout: 20_000 },
      (res) => {
        const contentType = String(res.headers['content-type'] ?? '');
        if (contentType.startsWith('text/event-stream')) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, contentType, text: '' });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within 20 s to ${req.method} ${req.target.slice(0, 200)}`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

export function closeAgent(): void {
  agent.destroy();
}
