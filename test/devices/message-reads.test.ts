// Reading a terminal's stored data: time-range pages, chart buckets in the operator's zone,
// streamed exports with backpressure; and who may read what.
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { seedMessages } from '../helpers/seed-messages.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { createContract, provisionTerminal, waitFor } from '../helpers/terminals.js';

// 2026-12-01 00:00 in Asia/Shanghai (the default operator zone).
const T0 = new Date('2026-11-30T16:00:00.000Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(T0.getTime() + ms).toISOString();

let sys: TestSystem;
let sql: pg.Pool;
let mine: Awaited<ReturnType<typeof createContract>>;
let serial: string;
let big: string;
type Who = Awaited<ReturnType<typeof loginAs>>;
let ops: Who;
let contractor: Who;
let customer: Who;
let stranger: Who;
let sales: Who;

async function terminal(contractId: string) {
  const t = await provisionTerminal(sys.services, contractId, 'NXV-100');
  const d = await sys.services.db.device.findUniqueOrThrow({ where: { serial: t.serial } });
  return { serial: t.serial, id: d.id };
}

beforeAll(async () => {
  sys = await startTestSystem('api');
  sql = new pg.Pool({ connectionString: sys.databaseUrl, max: 2 });
  mine = await createContract(sys.services);
  const theirs = await createContract(sys.services);
  const t = await terminal(mine.contract.id);
  serial = t.serial;
  // 1000 messages one minute apart, then three sharing one instant (ties for the cursor).
  await seedMessages(sql, { deviceId: t.id, contractId: mine.contract.id, start: T0, everyMs: MIN, count: 1000, serial });
  await seedMessages(sql, {
    deviceId: t.id,
    contractId: mine.contract.id,
    start: new Date(T0.getTime() + 150 * MIN + 30_000),
    everyMs: 0,
    count: 3,
    firstSeq: 5000,
    serial,
  });
  await sql.query(`UPDATE "Message" SET "decodeError" = '=HYPERLINK("http://evil")' WHERE seq = 5000`);
  const b = await terminal(mine.contract.id);
  big = b.serial;
  await seedMessages(sql, { deviceId: b.id, contractId: mine.contract.id, start: T0, everyMs: 500, count: 60_000, serial: big });
  await sql.query('ANALYZE "Message"');
  ops = await loginAs(sys.services, sys.app!, 'OPS');
  contractor = await loginAs(sys.services, sys.app!, 'CONTRACTOR', mine.contractor.id);
  customer = await loginAs(sys.services, sys.app!, 'CUSTOMER', mine.customer.id);
  stranger = await loginAs(sys.services, sys.app!, 'CONTRACTOR', theirs.contractor.id);
  sales = await loginAs(sys.services, sys.app!, 'SALES');
}, 120_000);
afterAll(async () => {
  await sql?.end();
  await sys?.stop();
});

const get = (url: string, who: Who | null) => sys.app!.inject({ url: `/api/v1${url}`, headers: who ? who.headers : {} });

interface Msg {
  id: string;
  seq: number;
  kind: string;
  receivedAt: string;
  decoded: Record<string, unknown>;
}

async function walk(url: string, who: Who): Promise<Msg[]> {
  const out: Msg[] = [];
  let cursor: string | null = null;
  do {
    const res = await get(`${url}&limit=7${cursor ? `&cursor=${cursor}` : ''}`, who);
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { items: Msg[]; nextCursor: string | null };
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('messages by time range', () => {
  it('pages a range newest first and oldest first without skipping or repeating rows that share an instant', async () => {
    const range = `from=${iso(100 * MIN)}&to=${iso(200 * MIN)}`;
    const desc = await walk(`/devices/${serial}/messages?${range}`, customer);
    // Minutes 100..199 plus the three rows at 150.5 min.
    expect(desc).toHaveLength(103);
    expect(new Set(desc.map((m) => m.id)).size).toBe(103);
    expect(desc[0]!.receivedAt).toBe(iso(199 * MIN));
    expect(desc.at(-1)!.receivedAt).toBe(iso(100 * MIN));
    const times = desc.map((m) => Date.parse(m.receivedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const asc = await walk(`/devices/${serial}/messages?${range}&order=asc`, contractor);
    expect(asc.map((m) => m.id)).toEqual([...desc].reverse().map((m) => m.id));

    const beats = await walk(`/devices/${serial}/messages?${range}&kind=heartbeat`, ops);
    expect(beats.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, k) => 110 + 10 * k));
    expect(beats.every((m) => m.kind === 'heartbeat' && typeof m.decoded.supplyMv === 'number')).toBe(true);
  });

  it('refuses hostile ranges and cursors with a 400 naming the field', async () => {
    const field = async (url: string) => {
      const res = await get(url, customer);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      return JSON.stringify(res.json());
    };
    expect(await field(`/devices/${serial}/messages?from=${iso(10 * MIN)}&to=${iso(0)}`)).toContain('from');
    expect(await field(`/devices/${serial}/messages?from=2000-01-01&to=2026-01-01`)).toContain('"to"');
    expect(await field(`/devices/${serial}/messages?from=yesterday`)).toContain('from');
    expect(await field(`/devices/${serial}/messages?cursor=${Buffer.from('["x","1"]').toString('base64url')}`)).toContain('cursor');
    expect(
      await field(
        `/devices/${serial}/messages?cursor=${Buffer.from('["2026-01-01T00:00:00Z","99999999999999999999"]').toString('base64url')}`,
      ),
    ).toContain('cursor');
    expect(await field(`/devices/${serial}/messages?kind=${'x'.repeat(40)}`)).toContain('kind');
  });
});

describe('telemetry buckets', () => {
  it('gives min/max/avg/last per hour of a decoded field', async () => {
    const res = await get(`/devices/${serial}/telemetry?field=speedKmh&bucket=1h&from=${iso(0)}&to=${iso(180 * MIN)}`, customer);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { items: { at: string; count: number; min: number; max: number; avg: number; last: number }[] };
    expect(body.items.map((b) => b.at)).toEqual([iso(0), iso(60 * MIN), iso(120 * MIN)]);
    // Expected from the seeded rows: telemetry rows (i % 10 != 9) carry speedKmh = i % 120.
    const tied = [0, 1, 2].map((k) => 5000 + k);
    for (const [h, b] of body.items.entries()) {
      const speeds = Array.from({ length: 60 }, (_, k) => 60 * h + k)
        .filter((i) => i % 10 !== 9)
        .map((i) => ({ i, v: i % 120, at: i * MIN }));
      // The three tied rows (150.5 min) are seq 5000..5002, generate_series i = 0..2: speed 0, 1, 2.
      if (h === 2) speeds.push(...tied.map((s, k) => ({ i: s, v: k % 120, at: 150 * MIN + 30_000 })));
      const vs = speeds.map((s) => s.v);
      expect(b.count).toBe(vs.length);
      expect(b.min).toBe(Math.min(...vs));
      expect(b.max).toBe(Math.max(...vs));
      expect(b.avg).toBeCloseTo(vs.reduce((a, v) => a + v, 0) / vs.length, 9);
      const latest = speeds.reduce((a, s) => (s.at > a.at ? s : a));
      expect(b.last).toBe(latest.v);
    }
  });

  it('cuts days at midnight in the operator time zone', async () => {
    const res = await get(`/devices/${serial}/telemetry?field=signalDbm&bucket=1d&from=2026-11-29&to=2026-12-03`, contractor);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { timeZone: string; items: { at: string; count: number }[] };
    expect(body.timeZone).toBe('Asia/Shanghai');
    // Minutes 0..999 after local midnight are one local day (UTC days would split them at minute 480).
    expect(body.items).toEqual([expect.objectContaining({ at: '2026-11-30T16:00:00.000Z', count: 100, min: -99, max: -69 })]);
  });

  it('names the field for an unknown field, a bad bucket, a reversed or too long range', async () => {
    const bad = async (q: string, name: string) => {
      const res = await get(`/devices/${serial}/telemetry?${q}`, ops);
      expect(res.statusCode, res.body).toBe(400);
      const errors = (res.json() as { errors: { path: string }[] }).errors;
      expect(errors.map((e) => e.path.split('.').at(-1))).toContain(name);
    };
    await bad('field=floor', 'field'); // an elevator's field, not a vehicle's
    await bad('field=ignition', 'field'); // not numeric
    await bad('field=speed%27%3B--', 'field');
    await bad('field=speedKmh&bucket=5m', 'bucket');
    await bad(`field=speedKmh&from=${iso(MIN)}&to=${iso(0)}`, 'from');
    await bad('field=speedKmh&bucket=1m&from=2026-10-01&to=2026-12-01', 'to');
    await bad('field=speedKmh&bucket=1d&from=2016-01-01&to=2026-12-01', 'to');
  });
});

describe('exports', () => {
  it('streams CSV with formulas neutralised, and NDJSON', async () => {
    const range = `from=${iso(150 * MIN)}&to=${iso(152 * MIN)}`;
    const csv = await get(`/devices/${serial}/messages/export?${range}`, customer);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toMatch(new RegExp(`attachment; filename="${serial}-.*\\.csv"`));
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('receivedAt,serial,seq,kind,topic,qos,bytes,units,deviceTime,decodeError,payloadHex,decoded');
    expect(lines).toHaveLength(1 + 5);
    expect(lines.map((l) => l.split(',')[2])).toEqual(['seq', '151', '5000', '5001', '5002', '152']);
    expect(csv.body).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csv.body).not.toMatch(/,=HYPERLINK/);

    const nd = await get(`/devices/${serial}/messages/export?${range}&format=ndjson&kind=telemetry`, contractor);
    expect(nd.statusCode, nd.body).toBe(200);
    expect(nd.headers['content-type']).toContain('application/x-ndjson');
    const rows = nd.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; decoded: { speedKmh: number } });
    expect(rows.map((r) => r.seq)).toEqual([151, 5000, 5001, 5002, 152]);
    expect(rows[0]!.decoded.speedKmh).toBe(150 % 120);
  });

  it('sends the first rows before the query ends and stops fetching while the client does not read', async () => {
    const url = new URL(`${sys.httpUrl}/api/v1/devices/${big}/messages/export?from=${iso(0)}&to=${iso(86_400_000)}`);
    const openExports = async () =>
      Number(
        (
          await sql.query(
            `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '/* message-export */%' AND state <> 'idle'`,
          )
        ).rows[0].count,
      );
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(url, { headers: customer.headers }, resolve).on('error', reject),
    );
    expect(res.statusCode).toBe(200);
    let received = 0;
    let lines = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      for (const c of chunk) if (c === 10) lines++;
    };
    // Read one chunk, then stop reading: the server's cursor must stay open with most rows unfetched.
    await new Promise<void>((resolve) =>
      res.once('data', (chunk: Buffer) => {
        count(chunk);
        res.pause();
        resolve();
      }),
    );
    expect(lines).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await openExports()).toBe(1);
    const whilePaused = received;
    res.on('data', count);
    res.resume();
    await new Promise((resolve) => res.on('end', resolve));
    expect(lines).toBe(1 + 60_000);
    // Everything the server had produced while the client held still fits in socket and stream buffers.
    expect(whilePaused).toBeLessThan(received / 4);
    await waitFor(async () => (await openExports()) === 0);
  });
});

describe('who may read', () => {
  it('answers 401 without a token, 404 out of scope, 403 to roles without use for terminal data', async () => {
    for (const path of ['messages', 'telemetry?field=speedKmh', 'messages/export']) {
      expect((await get(`/devices/${serial}/${path}`, null)).statusCode).toBe(401);
      expect((await get(`/devices/${serial}/${path}`, stranger)).statusCode).toBe(404);
    }
    expect((await get(`/devices/${serial}/telemetry?field=speedKmh`, sales)).statusCode).toBe(403);
    expect((await get(`/devices/${serial}/messages/export`, sales)).statusCode).toBe(403);
    // The role is refused before the query is looked at.
    expect((await get(`/devices/${serial}/telemetry?field=nonsense&bucket=9y`, sales)).statusCode).toBe(403);
  });
});
