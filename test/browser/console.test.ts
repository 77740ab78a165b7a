// The web console in real headless Chromium against the whole system (api + worker + gateway):
// sign-in per role, the live overview reacting to a terminal that publishes over MQTT, sending a
// command and watching it reach "acknowledged", and a contractor confined to its own customers.
// Screenshots of each main page go to test-results/screenshots/.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCommand, encodeUplink } from '../../gateway/codecs/index.js';
import type { Role } from '../../src/auth/index.js';
import * as billingFixtures from '../helpers/billing.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { adminCtx, connectTerminal, createContract, ensureModel, newSerial, waitFor } from '../helpers/terminals.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-results', 'screenshots');
const PASSWORD = 'correct-horse-battery';

// Chromium comes from Debian (.ci/run installs it); without it and without a way to install it, skip loudly.
function haveChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0) {
    spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], {
      stdio: 'inherit',
      timeout: 540_000,
    });
  }
  return existsSync(CHROMIUM);
}
const chromiumPresent = haveChromium();
if (!chromiumPresent)
  process.stderr.write(`SKIPPING browser tests: ${CHROMIUM} is missing and could not be installed (apt-get install chromium)\n`);

let sys: TestSystem;
let browser: Browser;
const users: Record<string, string> = {};
let contractorA: Awaited<ReturnType<typeof createContract>>;
let contractorB: Awaited<ReturnType<typeof createContract>>;
let vehicle: { serial: string; secret: string };
let elevatorA: { serial: string; secret: string };
let lightB: { serial: string; secret: string };

async function provisionAt(contractId: string, model: string, label: string, latitude: number, longitude: number) {
  await ensureModel(sys.services, model);
  const serial = newSerial(model.slice(0, 3));
  const ctx = await adminCtx(sys.services);
  await sys.services.devices.addToStock(ctx, { serial, model });
  const r = await sys.services.devices.provision(ctx, serial, { contractId, label, latitude, longitude, address: `${label} site` });
  return { serial, secret: r.secret };
}

async function makeUser(role: Role, customerId: string | null = null): Promise<string> {
  const email = `${role.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}@browser.test`;
  await sys.services.auth.createUser(null, { email, name: `Browser ${role.toLowerCase()}`, role, password: PASSWORD, customerId });
  return email;
}

async function signIn(role: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('pageerror', (err) => process.stderr.write(`[browser ${role}] ${err.message}\n`));
  await page.goto(`${sys.httpUrl}/`);
  await page.fill('input[name=email]', users[role]!);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=console-kind]');
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim();

beforeAll(async () => {
  if (!chromiumPresent) return;
  mkdirSync(SHOTS, { recursive: true });
  // The server serves src/console/dist: build it when missing or older than its sources.
  execFileSync(process.execPath, ['src/console/build-if-stale.mjs'], { stdio: 'inherit' });
  sys = await startTestSystem('all');
  contractorA = await createContract(sys.services);
  contractorB = await createContract(sys.services);
  vehicle = await provisionAt(contractorA.contract.id, 'NXV-100', 'Cold truck 7', 31.2304, 121.4737);
  elevatorA = await provisionAt(contractorA.contract.id, 'NXE-200', 'Tower lift 3', 31.2397, 121.4998);
  lightB = await provisionAt(contractorB.contract.id, 'NXL-100', 'Tianhe lamp 12', 23.1291, 113.2644);
  users.OPS = await makeUser('OPS');
  users.FINANCE = await makeUser('FINANCE');
  users.SERVICE = await makeUser('SERVICE');
  users.SALES = await makeUser('SALES');
  users.CONTRACTOR = await makeUser('CONTRACTOR', contractorA.contractor.id);
  users.CUSTOMER = await makeUser('CUSTOMER', contractorB.customer.id);
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await sys?.stop();
});

// Generous per-test time: a browser and the whole system share 2 cores with other test files.
describe.skipIf(!chromiumPresent)('web console in Chromium', { timeout: 120_000 }, () => {
  let mqtt: MqttClient;
  afterAll(async () => {
    await mqtt?.endAsync();
  });

  it('serves the console at / and on deep links, but never for API paths', async () => {
    const root = await fetch(`${sys.httpUrl}/`);
    expect(root.headers.get('content-type')).toContain('text/html');
    expect(await root.text()).toContain('<div id="app">');
    expect((await fetch(`${sys.httpUrl}/terminals/NXV-1`)).headers.get('content-type')).toContain('text/html');
    // An API path no route claims is a problem document, never the console's page.
    const api = await fetch(`${sys.httpUrl}/api/v1/nope`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    const missing = await fetch(`${sys.httpUrl}/assets/missing.js`);
    expect(missing.status).toBe(404);
  });

  it('refuses a wrong password on the login page', async () => {
    const page = await browser.newPage();
    await page.goto(`${sys.httpUrl}/`);
    await page.fill('input[name=email]', users.OPS!);
    await page.fill('input[name=password]', 'wrong-password');
    await page.click('button[type=submit]');
    expect(await text(page, '[data-testid=login-error]')).toContain('Wrong e-mail or password');
    await shot(page, '01-login');
    await page.close();
  });

  it('shows ops the network overview, and it updates live when a terminal publishes', async () => {
    const page = await signIn('OPS');
    expect(await text(page, '[data-testid=console-kind]')).toBe('Operations console');
    await page.waitForSelector('[data-testid=online-total]');
    expect(await text(page, '[data-testid=online-total]')).toBe('0 / 3');
    expect(await text(page, '[data-testid=messages-hour]')).toBe('0');
    await waitFor(async () => (await text(page, '[data-testid=live-status]')) === 'live', 10_000);
    // Three terminals on the map, none online yet (drawn hollow).
    expect(await page.locator('[data-testid=network-map] circle.pt').count()).toBe(3);

    mqtt = await connectTerminal(sys.mqttPort!, vehicle.serial, vehicle.secret, { clean: false });
    await mqtt.subscribeAsync(`nx/${vehicle.serial}/down`, { qos: 1 });
    for (const [i, lat] of [31.2304, 31.2351, 31.2402].entries()) {
      const frame = encodeUplink(
        {
          type: 'vehicle-telemetry',
          latitude: lat,
          longitude: 121.4737 + i * 0.004,
          speedKmh: 32,
          heading: 45,
          ignition: true,
          moving: true,
          doorOpen: false,
          immobilized: false,
        },
        new Date(),
      );
      await mqtt.publishAsync(`nx/${vehicle.serial}/up/telemetry`, frame, { qos: 1 });
    }
    for (const [i, signalDbm] of [-71, -68, -80].entries()) {
      await mqtt.publishAsync(
        `nx/${vehicle.serial}/up/heartbeat`,
        encodeUplink({ type: 'heartbeat', supplyMv: 12_400 - i * 100, signalDbm }, new Date()),
        { qos: 1 },
      );
    }
    // The live feed shows the uplinks, the message counter moves and the summary refresh sees the terminal online.
    await waitFor(async () => (await text(page, '[data-testid=live-feed]')).includes(vehicle.serial), 30_000, 200);
    await waitFor(async () => Number(await text(page, '[data-testid=messages-hour]')) >= 6, 30_000, 200);
    await waitFor(async () => (await text(page, '[data-testid=online-total]')) === '1 / 3', 30_000, 250);
    expect(await page.locator('[data-testid=network-map] circle.pt.on').count()).toBe(1);
    await shot(page, '02-overview-ops');
    await page.click('[data-testid=wall-toggle]');
    await page.waitForSelector('aside.side', { state: 'hidden' });
    await shot(page, '02b-overview-wall-screen');
    await page.click('[data-testid=wall-toggle]');
    await page.close();
  });

  it('lets ops find a terminal, read its decoded messages, send a command and watch it complete', async () => {
    const page = await signIn('OPS');
    await page.click('nav >> text=Terminals');
    await page.waitForSelector('[data-testid=terminals] tbody tr');
    expect(await page.locator('[data-testid=terminals] tbody tr').count()).toBe(3);
    await page.fill('[data-testid=terminal-search]', 'cold truck');
    expect(await page.locator('[data-testid=terminals] tbody tr').count()).toBe(1);
    await shot(page, '03-terminals');
    await page.click(`text=${vehicle.serial}`);
    await page.waitForSelector('[data-testid=messages] table');
    expect(await text(page, '[data-testid=messages]')).toContain('latitude=31.24020');
    expect(await text(page, '[data-testid=messages]')).toContain('signalDbm=-80');
    await page.waitForSelector('[data-testid=health-chart] canvas');

    const got = new Promise<Buffer>((resolve) => mqtt.once('message', (_t, payload) => resolve(payload)));
    await page.selectOption('[data-testid=command-form] select[name=opcode]', 'IMMOBILIZE');
    await page.click('[data-testid=command-form] button[type=submit]');
    const decoded = decodeCommand(await got);
    if (!decoded.ok) throw new Error(decoded.error);
    const row = `[data-testid=command-${decoded.commandId}]`;
    await waitFor(async () => (await text(page, row)).includes('delivered'), 20_000, 200);
    await mqtt.publishAsync(
      `nx/${vehicle.serial}/up/ack`,
      encodeUplink({ type: 'ack', commandId: decoded.commandId, result: 'done' }, new Date()),
      { qos: 1 },
    );
    await waitFor(async () => (await text(page, row)).includes('acknowledged'), 20_000, 200);
    await shot(page, '04-terminal-detail');
    await page.close();
  });

  it('finds a terminal from the one search box and opens it with the keyboard', async () => {
    const page = await signIn('OPS');
    await page.keyboard.press('/');
    await page.keyboard.type(vehicle.serial.slice(-6));
    await page.waitForSelector('[data-testid=search-results] .search-hit');
    expect(await text(page, '[data-testid=search-results]')).toContain(vehicle.serial);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/terminals/${vehicle.serial}`);
    await page.waitForSelector('[data-testid=messages]');
    await page.close();
  });

  it('confines a contractor to its own customers and terminals', async () => {
    const page = await signIn('CONTRACTOR');
    expect(await text(page, '[data-testid=console-kind]')).toBe('Contractor portal');
    await page.waitForSelector('[data-testid=online-total]');
    expect(await text(page, '[data-testid=online-total]')).toMatch(/^[01] \/ 2$/);
    await page.waitForSelector('[data-testid=network-map]');
    expect(await page.locator('[data-testid=network-map] circle.pt').count()).toBe(2);
    await shot(page, '05-overview-contractor');

    await page.click('nav >> text=Terminals');
    await page.waitForSelector('[data-testid=terminals] tbody tr');
    const terminals = await text(page, '[data-testid=terminals] tbody');
    expect(terminals).toContain(vehicle.serial);
    expect(terminals).toContain(elevatorA.serial);
    expect(terminals).not.toContain(lightB.serial);
    // Another contractor's terminal by URL: not found, as the API answers.
    await page.goto(`${sys.httpUrl}/terminals/${lightB.serial}`);
    await page.waitForSelector('[data-testid=not-available]');

    await page.click('nav >> text=Customers');
    await page.waitForSelector('[data-testid=customer-rows]');
    const customers = await text(page, '[data-testid=customer-rows]');
    expect(customers).toContain(contractorA.customer.name);
    expect(customers).not.toContain(contractorB.customer.name);
    expect(customers).not.toContain(contractorB.contractor.name);
    await shot(page, '06-customers-contractor');
    expect(await page.locator('nav >> text=Billing').count()).toBe(0);
    await page.close();
  });

  it('lets a contractor bulk-provision stocked terminals onto its contract and take the credentials', async () => {
    const ctx = await adminCtx(sys.services);
    await ensureModel(sys.services, 'NXE-200');
    const serials = [newSerial('NXE'), newSerial('NXE')];
    for (const serial of serials) await sys.services.devices.addToStock(ctx, { serial, model: 'NXE-200' });
    const page = await signIn('CONTRACTOR');
    await page.click('nav >> text=Provisioning');
    await page.waitForSelector('[data-testid=provision] select[name=contract]');
    // Only the contractor's own contracts are offered.
    const options = await page.locator('[data-testid=provision] select[name=contract] option').allTextContents();
    expect(options.some((o) => o.includes(contractorA.contract.number))).toBe(true);
    expect(options.some((o) => o.includes(contractorB.contract.number))).toBe(false);
    await page.selectOption('[data-testid=provision] select[name=contract]', contractorA.contract.id);
    await page.fill(
      '[data-testid=provision] textarea[name=csv]',
      `serial,label,address,latitude,longitude\n${serials[0]},Lift 1,Tower A,31.2355,121.5011\n${serials[1]},Lift 2,Tower B,31.2361,121.5023\n${lightB.serial},Not mine`,
    );
    await page.click('[data-testid=provision] button.primary');
    await waitFor(async () => (await text(page, '[data-testid=provision-results] h2')).includes('2 provisioned, 1 failed'), 15_000, 200);
    const [file] = await Promise.all([page.waitForEvent('download'), page.click('text=Download credentials CSV')]);
    const { readFileSync } = await import('node:fs');
    const csv = readFileSync(await file.path(), 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toBe('serial,secret');
    expect(
      csv
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
    ).toEqual([...serials].sort());
    await shot(page, '06b-provisioning');
    // The issued secret really lets the terminal in.
    const [serial, secret] = csv[1]!.split(',') as [string, string];
    const c = await connectTerminal(sys.mqttPort!, serial, secret);
    await c.endAsync();
    const row = await sys.services.db.device.findUnique({ where: { serial: serials[0]! } });
    expect(row).toMatchObject({ status: 'PROVISIONED', label: 'Lift 1', contractorId: contractorA.contractor.id });
    await page.close();
  });

  it('gives an end user its portal with only its own terminals', async () => {
    const page = await signIn('CUSTOMER');
    expect(await text(page, '[data-testid=console-kind]')).toBe('Customer portal');
    await page.waitForSelector('[data-testid=online-total]');
    expect(await text(page, '[data-testid=online-total]')).toBe('0 / 1');
    await page.click('nav >> text=Terminals');
    await page.waitForSelector('[data-testid=terminals] tbody tr');
    expect(await text(page, '[data-testid=terminals] tbody')).toContain(lightB.serial);
    expect(await page.locator('[data-testid=terminals] tbody tr').count()).toBe(1);
    await page.click('nav >> text=Invoices');
    await page.waitForSelector('[data-testid=invoices]');
    await shot(page, '07-customer-invoices');
    await page.close();
  });

  it('shows tickets, customers and billing pages to staff without errors', async () => {
    const ops = await signIn('OPS');
    await ops.click('nav >> text=Tickets');
    await ops.waitForSelector('[data-testid=tickets] .card-body >> text=/No tickets|Subject/');
    await shot(ops, '08-tickets');
    await ops.click('nav >> text=Customers');
    await ops.waitForSelector('[data-testid=customer-rows]');
    await ops.click(`text=${contractorA.customer.name}`);
    await ops.waitForSelector('[data-testid=timeline] >> text=provisioned');
    await shot(ops, '09-customer-360');
    await ops.close();

    const finance = await signIn('FINANCE');
    await finance.click('nav >> text=Billing');
    await finance.waitForSelector('[data-testid=billing-runs] >> text=/No billing runs|Period/');
    await finance.waitForSelector('[data-testid=invoices] >> text=/No invoices|Number/');
    expect(await finance.locator('.notice.bad').count()).toBe(0);
    await shot(finance, '10-billing');
    await finance.close();
  });

  it('works a ticket end to end: a customer opens it, service escalates and resolves it into the knowledge base', async () => {
    const customer = await signIn('CUSTOMER');
    await customer.click('nav >> text=Tickets');
    await customer.click('[data-testid=new-ticket-toggle]');
    await customer.fill('[data-testid=new-ticket] input[name=subject]', 'Lamp 12 stays dark at night');
    await customer.fill('[data-testid=new-ticket] textarea[name=description]', 'Since Monday the lamp does not switch on.');
    await customer.fill('[data-testid=new-ticket] input[name=serial]', lightB.serial);
    await customer.click('[data-testid=new-ticket] button.primary');
    await customer.waitForSelector('[data-testid=ticket-detail] h1');
    expect(await text(customer, '[data-testid=ticket-detail] h1')).toContain('Lamp 12 stays dark at night');
    const ticketUrl = customer.url();
    // Portals read and comment, but do not work tickets.
    expect(await customer.locator('[data-testid=ticket-actions]').count()).toBe(0);

    const service = await signIn('SERVICE');
    await service.click('nav >> text=Tickets');
    await service.click('text=Lamp 12 stays dark at night');
    await service.waitForSelector('[data-testid=ticket-actions]');
    await service.click('[data-testid=ticket-actions] >> text=Take it');
    await waitFor(async () => (await text(service, '[data-testid=ticket-detail] .page-head')).includes('in progress'), 10_000, 200);
    await service.fill('[data-testid=resolution-note]', 'Lamp driver board failed; field team to swap it.');
    await service.click('[data-testid=ticket-actions] >> text=Escalate to repair');
    await waitFor(async () => (await text(service, '[data-testid=ticket-detail] .page-head')).includes('escalated'), 10_000, 200);
    await service.fill('[data-testid=resolution-note]', 'Replaced the lamp driver board; lamp switches on again.');
    await service.click('[data-testid=resolve]');
    await waitFor(async () => (await text(service, '[data-testid=ticket-detail] .page-head')).includes('resolved'), 10_000, 200);
    expect(await text(service, '[data-testid=ticket-detail]')).toContain('Replaced the lamp driver board');
    await shot(service, '12-ticket-resolved');
    const article = await sys.services.db.knowledgeArticle.findFirst({ where: { title: 'Lamp 12 stays dark at night' } });
    expect(article?.solution).toBe('Replaced the lamp driver board; lamp switches on again.');
    await service.close();

    await customer.goto(ticketUrl);
    await waitFor(async () => (await text(customer, '[data-testid=ticket-detail] .page-head')).includes('resolved'), 10_000, 200);
    await customer.close();
  });

  it('gives an end user its integrations (webhook endpoint, API key shown once) and a contractor its commissions', async () => {
    const page = await signIn('CUSTOMER');
    await page.click('nav >> text=Integrations');
    await page.fill('[data-testid=webhooks] input[type=url]', 'http://127.0.0.1:9/hook');
    await page.click('[data-testid=webhooks] button.primary');
    expect(await text(page, '[data-testid=webhooks] [data-testid=one-time-secret]')).toMatch(/whsec_/);
    await page.waitForSelector('[data-testid=webhooks] >> text=http://127.0.0.1:9/hook');
    await page.fill('[data-testid=api-keys] input', 'fleet dashboard');
    await page.click('[data-testid=api-keys] button.primary');
    const key = /nxk_\S+/.exec(await text(page, '[data-testid=api-keys] [data-testid=one-time-secret]'))?.[0];
    expect(key).toBeTruthy();
    // The key just shown works against the API, scoped like its user.
    const res = await fetch(`${sys.httpUrl}/api/v1/devices`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await res.json()) as { items: { serial: string }[] }).items.map((d) => d.serial)).toEqual([lightB.serial]);
    await shot(page, '13-integrations');
    await page.close();

    const contractor = await signIn('CONTRACTOR');
    await contractor.click('nav >> text=Commissions');
    await contractor.waitForSelector('[data-testid=commissions] .card-body >> text=/No commission|Contractor/');
    expect(await contractor.locator('.notice.bad').count()).toBe(0);
    await contractor.close();
  });

  it('lets sales move a lead along the pipeline board', async () => {
    const page = await signIn('SALES');
    await page.click('nav >> text=Leads');
    await page.fill('[data-testid=leads] input[placeholder=Company]', 'Yangtze Cold Storage');
    await page.fill('[data-testid=leads] input[type=number]', '12500');
    await page.click('[data-testid=leads] button.primary');
    await page.waitForSelector('[data-testid=stage-NEW] >> text=Yangtze Cold Storage');
    await page.click('[data-testid=stage-NEW] >> text=→ qualified');
    await page.waitForSelector('[data-testid=stage-QUALIFIED] >> text=Yangtze Cold Storage');
    expect(await text(page, '[data-testid=stage-QUALIFIED] header')).toContain('1 · ¥12,500.00');
    await shot(page, '14-leads');
    await page.close();
  });

  it('lets finance run billing with a progress bar and download the invoice PDF', async () => {
    // A September customer with usage, so the run has one contract to invoice.
    const s = sys.services;
    const plan = await billingFixtures.createOracleTariff(s);
    const customer = await billingFixtures.createCustomer(s, { name: 'Browser Billing Fleet Ltd' });
    await s.db.customer.update({ where: { id: customer.id }, data: { email: 'ap@browser-fleet.test' } });
    const contract = await billingFixtures.createContract(s, { customerId: customer.id, tariffPlanId: plan.id });
    const unit = await billingFixtures.createTerminal(s, contract, 'NXV-BR', new Date('2026-08-01T02:00:00Z'));
    await billingFixtures.addUsage(s, unit, '2026-09-10', 1500, 64);

    const page = await signIn('FINANCE');
    await page.click('nav >> text=Billing');
    await page.fill('[data-testid=billing-runs] input[type=month]', '2026-09');
    await page.click('[data-testid=billing-runs] button.primary');
    await page.waitForSelector('[data-testid=billing-progress]');
    await waitFor(async () => (await text(page, '[data-testid=billing-progress]')).includes('completed'), 60_000, 250);
    expect(await text(page, '[data-testid=billing-progress]')).toContain('1/1 contracts · 1 invoices');
    expect(await page.locator('[data-testid=billing-progress] .progress span').getAttribute('style')).toContain('width: 100%');
    await page.waitForSelector('[data-testid=invoices] tbody tr');
    expect(await text(page, '[data-testid=invoices] tbody')).toContain('2026-09');
    await shot(page, '11-billing-run');

    const [file] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=invoices] tbody tr >> text=PDF')]);
    expect(file.suggestedFilename()).toMatch(/\.pdf$/);
    const path = await file.path();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path).subarray(0, 5).toString()).toBe('%PDF-');

    // Record the bank payment for the full balance: the invoice turns paid.
    await page.click('[data-testid=invoices] tbody tr >> text=Payment');
    await page.fill('[data-testid=payment-form] input[name=reference]', 'BANK-REF-0001');
    await page.click('[data-testid=payment-form] button');
    await waitFor(async () => (await text(page, '[data-testid=invoices] tbody')).includes('paid'), 10_000, 200);
    expect(await text(page, '[data-testid=invoices] tbody')).toContain('¥0.00');
    // Nothing is owed any more: the aging report's "not yet due" bucket empties too.
    await waitFor(async () => (await text(page, '[data-testid=aging] .stat')).includes('¥0.00'), 10_000, 200);
    await shot(page, '11b-billing-paid');

    // The issued invoice was e-mailed (no SMTP server here: an .eml file), listed for finance.
    await page.click('nav >> text=Outgoing mail');
    await waitFor(async () => (await text(page, '[data-testid=outgoing-mail]')).includes('ap@browser-fleet.test'), 30_000, 250);
    await waitFor(
      async () => {
        await page.selectOption('[data-testid=outgoing-mail] select[aria-label=Kind]', 'invoice');
        return (await text(page, '[data-testid=outgoing-mail] tbody')).includes('sent');
      },
      30_000,
      500,
    );
    const [eml] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=outgoing-mail] tbody tr button:has-text(".eml")'),
    ]);
    expect(readFileSync(await eml.path(), 'utf8')).toContain('application/pdf');
    await shot(page, '11c-outgoing-mail');

    await page.click('nav >> text=Reports');
    await page.fill('[data-testid=reports] input[type=month]', '2026-09');
    await page.waitForSelector('[data-testid=kpis]');
    await page.waitForSelector('[data-testid=customer-value] >> text=Browser Billing Fleet Ltd');
    expect(await page.locator('.notice.bad').count()).toBe(0);
    await shot(page, '15-reports');
    await page.close();
  });

  it("lets finance import a bank statement, work the queue and see the customer's credit", async () => {
    const s = sys.services;
    const plan = await billingFixtures.createOracleTariff(s);
    const customer = await billingFixtures.createCustomer(s, { name: 'Browser Bank Customer' });
    const contract = await billingFixtures.createContract(s, { customerId: customer.id, tariffPlanId: plan.id });
    await billingFixtures.createTerminal(s, contract, 'NXV-BK', new Date('2026-08-01T02:00:00Z'));
    const issued = await s.billing.issuer.issue(contract.id, '2026-09', null);
    if (issued.kind !== 'created') throw new Error(issued.kind);
    // 31.69 posted on the invoice by its number; 5.00 from an unknown payer assigned to the customer's credit.
    const csv = `date,amount,payer,reference\n2026-12-01,31.69,Browser Bank Customer,${issued.number}\n2026-12-01,5.00,Somebody,Gift`;
    const page = await signIn('FINANCE');
    await page.click('nav >> text=Bank statements');
    await page.fill('[data-testid=bank-import] textarea', csv);
    await page.click('[data-testid=bank-import] button.primary');
    await page.waitForSelector('[data-testid=bank-import-result]');
    expect(await text(page, '[data-testid=bank-import-result]')).toContain('posted1');
    await page.selectOption('[data-testid=bank-queue] select[aria-label="Line status"]', 'UNMATCHED');
    await page.click('[data-testid=bank-queue] tbody tr >> text=Assign…');
    await page.selectOption('[data-testid=assign-form] select[aria-label=Customer]', { label: 'Browser Bank Customer' });
    await page.click('[data-testid=assign-form] button.primary');
    await page.waitForSelector('[data-testid=bank-queue] >> text=No lines here.');
    await shot(page, '16-bank-statements');
    await page.goto(`${sys.httpUrl}/customers/${customer.id}`);
    await page.waitForSelector('[data-testid=customer-balance]');
    expect(await text(page, '[data-testid=customer-balance]')).toContain('¥5.00');
    await page.waitForSelector('[data-testid=statement] >> text=Closing balance');
    expect(await text(page, '[data-testid=statement]')).toContain('-¥5.00');
    expect(await page.locator('.notice.bad').count()).toBe(0);
    await shot(page, '17-customer-account');
    await page.close();
  });
});
