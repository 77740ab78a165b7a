// Values for the security fuzz: valid-ish values drawn from an operation's JSON schema, and the
// hostile values an attacker sends instead (wrong types, huge or NUL-carrying strings, SQL and
// HTML, prototype keys, absurd numbers, deep nesting).
import fc from 'fast-check';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: boolean | JsonSchema;
}

/** What generated identifiers are drawn from: the fuzzing principal's own and another tenant's records. */
export interface Pools {
  ids: string[];
  serials: string[];
  texts: string[];
}

/** An object with `key` as an own property, as JSON.parse makes it (a literal `__proto__:` would set the prototype). */
export function withOwnKey(key: string, value: unknown, base: Record<string, unknown> = {}): Record<string, unknown> {
  const out = { ...base };
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

export function nested(depth: number, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  "' OR '1'='1",
  '1; DROP TABLE "User";--',
  '$1',
  '%s%s%n',
  '{{7*7}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as it is
  '${7*7}',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(1)>',
  'javascript:alert(1)',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '/dev/zero',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓ 测试 ﷽',
  '\u202eevil\u202c',
  'e\u0301\u0301\u0301',
  '\ud800',
  '\uffff\ufffe',
  '\u200b\u200d',
  '🚚💥',
  '=HYPERLINK("http://evil.example")',
  '-1',
  'NaN',
  'Infinity',
  'null',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'nxk_not_a_key',
  '\r\nX-Injected: 1',
];

// biome-ignore lint/correctness/noPrecisionLoss: 2^53 + 1 probes how the server handles a number JSON cannot keep exact
const HOSTILE_NUMBERS = [-1, 0, -0, 0.5, -2147483649, 2147483648, 9007199254740993, 1e21, -1e21, 1.7976931348623157e308, 5e-324];

/** A hostile scalar or structure of any type. */
export function hostileValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(true, false, null, [], {}, [null], { '': '' }) },
    // Large, but well under the 5 MiB body limit.
    { weight: 1, arbitrary: fc.constantFrom(10_000, 200_000, 1_500_000).map((n) => 'A'.repeat(n)) },
    { weight: 1, arbitrary: fc.integer({ min: 20, max: 40 }).map((d) => nested(d)) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype').map((k) => withOwnKey(k, { polluted: 'yes' })) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

const URIS = [
  'http://127.0.0.1:9/hook',
  'https://hooks.example.invalid/in',
  'http://169.254.169.254/latest/meta-data',
  'http://[::ffff:7f00:1]:9/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'gopher://127.0.0.1:6379/_FLUSHALL',
  'http://user:pw@127.0.0.1:9/',
  'ftp://x.example/',
];

function stringFor(schema: JsonSchema, name: string, pools: Pools): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 60));
  switch (schema.format) {
    case 'uuid':
      return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...pools.ids) }, { weight: 1, arbitrary: fc.uuid() });
    case 'email':
      return fc.oneof(
        fc.constantFrom('ops@fuzz.example', 'a@b.co'),
        fc.emailAddress().filter((e) => e.length <= maxLength),
      );
    case 'date-time':
      return fc.date({ min: new Date('2020-01-01'), max: new Date('2031-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'date':
      return fc
        .date({ min: new Date('2020-01-01'), max: new Date('2031-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10));
    case 'uri':
      return fc.constantFrom(...URIS);
  }
  if (/serial/i.test(name) && pools.serials.length) {
    return fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...pools.serials) },
      { weight: 1, arbitrary: fc.stringMatching(/^NX[VEL]-[A-F0-9]{6}$/) },
    );
  }
  if (schema.pattern) {
    // Only a limit the schema states: the generator's default could rule out every match (a 42-character id).
    const matching = fc.stringMatching(new RegExp(schema.pattern));
    return schema.maxLength === undefined ? matching : matching.filter((s) => s.length <= maxLength);
  }
  const plain = fc.string({ minLength, maxLength });
  return pools.texts.length ? fc.oneof({ weight: 4, arbitrary: plain }, { weight: 1, arbitrary: fc.constantFrom(...pools.texts) }) : plain;
}

/** A value that mostly fits `schema`; `depth` bounds recursion through nested objects and arrays. */
export function fromSchema(schema: JsonSchema | undefined, name: string, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return fc.jsonValue({ maxDepth: 2 });
  if (schema.const !== undefined) return fc.constant(schema.const);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants?.length) return fc.oneof(...variants.map((v) => fromSchema(v, name, pools, depth + 1)));
  if (schema.allOf?.length) return fromSchema(Object.assign({}, ...schema.allOf) as JsonSchema, name, pools, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return stringFor(schema, name, pools);
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1000);
      const max = schema.maximum ?? Math.max(min + 1, 100_000);
      if (schema.enum) return fc.constantFrom(...schema.enum);
      const int = fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) });
      return type === 'integer' ? int : fc.oneof(int, fc.double({ min, max, noNaN: true, noDefaultInfinity: true }));
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 3, 3));
      return fc.array(fromSchema(schema.items, name, pools, depth + 1), { minLength, maxLength });
    }
    case 'object': {
      const props = schema.properties ?? {};
      const keys = Object.keys(props);
      if (!keys.length) return fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
      const record = Object.fromEntries(keys.map((k) => [k, fromSchema(props[k], k, pools, depth + 1)]));
      return fc.record(record, { requiredKeys: (schema.required ?? []).filter((k) => k in props) });
    }
  }
  return fc.jsonValue({ maxDepth: 2 });
}

/** A schema value spoiled the way an attacker would: one field hostile, dropped or doubled with prototype keys. */
export function mutatedBody(schema: JsonSchema | undefined, pools: Pools): fc.Arbitrary<unknown> {
  const valid = fromSchema(schema, 'body', pools);
  const keys = Object.keys(schema?.properties ?? {});
  const oneFieldHostile = keys.length
    ? fc.tuple(valid, fc.constantFrom(...keys), hostileValue()).map(([body, key, bad]) => withOwnKey(key, bad, asObject(body)))
    : valid;
  const polluted = fc
    .tuple(valid, fc.constantFrom('__proto__', 'constructor'), hostileValue())
    .map(([body, key, bad]) =>
      withOwnKey(key, key === 'constructor' ? { prototype: { polluted: 'yes' } } : { polluted: 'yes', bad }, asObject(body)),
    );
  const dropped = keys.length ? fc.tuple(valid, fc.constantFrom(...keys)).map(([body, key]) => omit(asObject(body), key)) : valid;
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 4, arbitrary: oneFieldHostile },
    { weight: 1, arbitrary: polluted },
    { weight: 1, arbitrary: dropped },
    { weight: 1, arbitrary: hostileValue() },
  );
}

function asObject(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function omit(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = o;
  return rest;
}
