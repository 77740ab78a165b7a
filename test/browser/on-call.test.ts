// The console's on-call parts in real headless Chromium against the whole system: the board with
// an override added through its form, an open page acknowledged with its button, the ticket's
// notifications with their delivery state, and a contractor setting a terminal's interval override.
// Screenshots go to test-results/screenshots/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/index.js';
import { makeCustomers, makeDevices, makeFastModel } from '../helpers/health-fixtures.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { adminCtx } from '../helpers/terminals.js';
import { waitFor } from '../helpers/webhook-receiver.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-results', 'screenshots');
const PASSWORD = 'correct-horse-battery';
const present = existsSync(CHROMIUM);
if (!present) process.stderr.write(`SKIPPING on-call browser tests: ${CHROMIUM} is missing (apt-get install chromium)\n`);

let sys: TestSystem;
let browser: Browser;
const users: Record<string, { id: string; email: string }> = {};
let serial: string;

async function makeUser(key: string, role: Role, name: string, customerId: string | null = null) {
  const email = `${key.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}@browser.test`;
  const u = await sys.services.auth.createUser(null, { email, name, role, password: PASSWORD, customerId });
  users[key] = { id: u.id, email };
}

async function signIn(key: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
  page.on('pageerror', (err) => process.stderr.write(`[browser ${key}] ${err.message}\n`));
  await page.goto(`${sys.httpUrl}/`);
  await page.fill('input[name=email]', users[key]!.email);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=console-kind]');
  return page;
}
const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim();
const at = (hours: number) => new Date(Date.now() + hours * 3_600_000);

beforeAll(async () => {
  if (!present) return;
  mkdirSync(SHOTS, { recursive: true });
  execFileSync(process.execPath, ['src/console/build-if-stale.mjs'], { stdio: 'inherit' });
  sys = await startTestSystem('all', { PAGE_ACK_MINUTES: '30' });
  const owner = await makeCustomers(sys.services, 'Browser on-call');
  await makeUser('OPS', 'OPS', 'Olga Ops');
  await makeUser('ANN', 'REPAIR', 'Ann Repair');
  await makeUser('BEN', 'REPAIR', 'Ben Repair');
  await makeUser('LEAD', 'REPAIR', 'Lee Lead');
  await makeUser('CONTRACTOR', 'CONTRACTOR', 'Carl Contractor', owner.contractor.id);
  const ops = await adminCtx(sys.services);
  await sys.services.notifications.onCall.set(ops, 'REPAIR', {
    shifts: [
      { userId: users.ANN!.id, phone: '+8613800000001', from: at(-1), to: at(24), lead: false },
      { userId: users.LEAD!.id, phone: '+8613800000009', from: at(-1), to: at(72), lead: true },
    ],
  });
  const model = await makeFastModel(sys.services);
  serial = (await makeDevices(sys.services, model.id, owner, 1))[0]!.serial;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await sys?.stop();
});

describe.skipIf(!present)('on-call console in Chromium', { timeout: 120_000 }, () => {
  it('shows ops who is on call and lets them add an override that goes first', async () => {
    const page = await signIn('OPS');
    await page.click('nav >> text=On call');
    await page.waitForSelector('[data-testid=on-call-now-REPAIR]');
    expect(await text(page, '[data-testid=on-call-now-REPAIR]')).toMatch(/^Ann Repair.*Lee Lead/);
    expect(await text(page, '[data-testid=on-call-SYSTEM]')).toContain('Nobody is on call');
    const form = '[data-testid=override-form-REPAIR]';
    await page.selectOption(`${form} select[aria-label="Who covers"]`, users.BEN!.id);
    await page.selectOption(`${form} select[aria-label="In place of"]`, users.ANN!.id);
    await page.click(`${form} button[type=submit]`);
    await waitFor(
      async () => (await text(page, '[data-testid=on-call-now-REPAIR]')).startsWith('Ben Repair'),
      'override on the board',
      15_000,
    );
    expect((await text(page, '[data-testid=on-call-now-REPAIR]')).toLowerCase()).toContain('covers ann repair');
    expect(await text(page, '[data-testid=on-call-now-REPAIR]')).not.toContain('Ann Repair +86');
    await shot(page, '20-on-call-board');
    await page.close();
  });

  it("lets the paged engineer acknowledge an open page, and shows the ticket's notifications", async () => {
    const { ticket } = await sys.services.tickets.createAuto({
      kind: 'DEVICE_FAULT',
      subject: 'Car stopped between floors (possible entrapment)',
      group: 'REPAIR',
      safety: true,
    });
    await waitFor(() => sys.services.db.page.findFirst({ where: { ticketId: ticket.id } }), 'the page', 20_000);
    const page = await signIn('BEN');
    await page.click('nav >> text=On call');
    await page.waitForSelector('[data-testid=open-pages] button:has-text("Acknowledge")');
    expect(await text(page, '[data-testid=open-pages]')).toContain(`#${ticket.number}`);
    await shot(page, '21-open-page');
    await page.click('[data-testid=open-pages] button:has-text("Acknowledge")');
    await page.waitForSelector('text=Page acknowledged.');
    await waitFor(async () => (await text(page, '[data-testid=open-pages]')).includes('No page is waiting'), 'page gone', 15_000);
    await page.goto(`${sys.httpUrl}/tickets/${ticket.id}`);
    await page.waitForSelector('[data-testid=ticket-notifications] tbody tr');
    const rows = await text(page, '[data-testid=ticket-notifications]');
    // No SMTP server in this system: the e-mail went to the .eml outbox (sent); no SMS gateway or
    // duty phone: the SMS is on the ticket as skipped, the reason shown.
    expect(rows).toContain('e-mail page');
    expect(rows).toContain('SMS page');
    expect(rows).toMatch(/sent/i);
    expect(rows).toMatch(/not configured|no duty phone/);
    expect(await text(page, '.timeline')).toMatch(/page acknowledged/i);
    await shot(page, '22-ticket-notifications');
    await page.close();
  });

  it("shows a terminal's expected interval with its reason and lets the contractor override it", async () => {
    const page = await signIn('CONTRACTOR');
    await page.goto(`${sys.httpUrl}/terminals/${serial}`);
    await page.waitForSelector('[data-testid=expected-interval]');
    expect(await text(page, '[data-testid=expected-interval]')).toContain("every 1 s (the model's default)");
    await page.fill('[data-testid=interval-override] input[name=expectedIntervalSec]', '600');
    await page.click('[data-testid=interval-override] button[type=submit]');
    await waitFor(
      async () => (await text(page, '[data-testid=expected-interval]')).includes('every 10 min (override set by staff or the contractor)'),
      'override shown',
      15_000,
    );
    await shot(page, '23-terminal-interval-override');
    await page.click('[data-testid=interval-override] button:has-text("Clear override")');
    await waitFor(async () => (await text(page, '[data-testid=expected-interval]')).includes("the model's default"), 'cleared', 15_000);
    await page.close();
  });
});
