// The console's alarm pages in headless Chromium: the rule editor's live preview names the
// elevator over the limit now, and an operator acknowledges and clears its alarm from the list.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { adminCtx, createContract, ensureModel, newSerial } from '../helpers/terminals.js';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'correct-horse-battery';
const present = existsSync(CHROMIUM);

let sys: TestSystem;
let browser: Browser;
let email: string;
let serial: string;

beforeAll(async () => {
  if (!present) return;
  execFileSync(process.execPath, ['src/console/build-if-stale.mjs'], { stdio: 'inherit' });
  sys = await startTestSystem('all');
  const s = sys.services;
  const model = await ensureModel(s, 'NXE-200');
  const { contract } = await createContract(s);
  const ctx = await adminCtx(s);
  serial = newSerial('NXE');
  await s.devices.addToStock(ctx, { serial, model: 'NXE-200' });
  await s.devices.provision(ctx, serial, { contractId: contract.id, label: 'Tower lift 3' });
  const device = await s.db.device.update({ where: { serial }, data: { status: 'ACTIVE' } });
  await s.db.message.create({
    data: {
      deviceId: device.id,
      topic: `nx/${serial}/up/telemetry`,
      kind: 'telemetry',
      qos: 1,
      payload: Buffer.alloc(1),
      bytes: 1,
      seq: 1,
      decoded: { type: 'elevator-telemetry', floor: 3, motion: 'idle', door: 'open', loadPercent: 125, tripCounter: 1 },
    },
  });
  // An alarm to handle: a rule and one overloaded frame through the engine.
  await s.alarms.rules.create(ctx, {
    name: 'Lift overload',
    enabled: true,
    target: { kind: 'MODEL', model: model.code },
    condition: { kind: 'compare', field: 'loadPercent', operator: 'gt', value: 100 },
    raiseAfter: 1,
    severity: 'CRITICAL',
    createTicket: false,
    ticketGroup: 'SERVICE_DESK',
    notify: false,
  });
  await s.alarms.evaluate([
    {
      id: 'evt_1',
      occurredAt: new Date().toISOString(),
      type: 'device.uplink',
      customerId: device.customerId,
      deviceId: device.id,
      payload: {
        serial,
        seq: 2,
        model: model.code,
        category: 'ELEVATOR',
        receivedAt: new Date().toISOString(),
        decoded: { type: 'elevator-telemetry', floor: 3, motion: 'idle', door: 'open', loadPercent: 125, tripCounter: 1 },
      },
    },
  ]);
  email = `ops-${Math.random().toString(36).slice(2, 8)}@browser.test`;
  await s.auth.createUser(null, { email, name: 'Browser ops', role: 'OPS', password: PASSWORD, customerId: null });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await sys?.stop();
});

async function signIn(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.goto(`${sys.httpUrl}/`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=console-kind]');
  return page;
}

describe.skipIf(!present)('alarm pages in Chromium', { timeout: 120_000 }, () => {
  it('the rule editor previews which terminals would match now', async () => {
    const page = await signIn();
    await page.click('nav >> text=Alarm rules');
    await page.waitForSelector('[data-testid=rule-editor]');
    await page.fill('[data-testid=rule-editor] input[name=target]', 'NXE-200');
    await page.selectOption('[data-testid=rule-editor] select[name=field]', 'loadPercent');
    await page.fill('[data-testid=rule-editor] input[name=value]', '120');
    await page.waitForSelector(`[data-testid=rule-preview] >> text=${serial}`);
    await page.fill('[data-testid=rule-editor] input[name=value]', '130');
    await page.waitForSelector('[data-testid=rule-preview] >> text=0 of');
    await page.close();
  });

  it('an operator acknowledges and clears an alarm from the list', async () => {
    const page = await signIn();
    await page.click('nav >> text=Alarms');
    const row = page.locator('[data-testid=alarm-row]', { hasText: serial });
    await row.waitFor();
    expect(await row.textContent()).toContain('active unack');
    await row.locator('button', { hasText: 'Acknowledge' }).click();
    await page.locator('[data-testid=alarm-row]', { hasText: 'active ack' }).waitFor();
    await page.locator('[data-testid=alarm-row] button', { hasText: 'Clear' }).click();
    await page.selectOption('select[aria-label=Status]', 'CLEARED');
    await page.locator('[data-testid=alarm-row]', { hasText: 'cleared ack' }).waitFor();
    await page.close();
  });
});
