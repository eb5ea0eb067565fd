// The portal in a real browser: headless Chromium (playwright-core, Debian's chromium) against a real Hookbase on
// 127.0.0.1, the hosted page it serves, real receivers, and the Getting Started example app.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhook } from '@hookbase/sdk';
import type { Application, PortalToken } from '@hookbase/sdk';
import { startExample } from '../../examples/webhook-settings/server';
import { eventually, startReceiver, startTestHookbase } from '../harness';
import type { Receiver, ReceivedWebhook, TestHookbase } from '../harness';
import { launchBrowser, screenshots, watchErrors } from './browser';
import type { TestBrowser } from './browser';

/** The hosted page's delivery history reloads this often (PortalLayout's default). */
const REFRESH_MS = 5000;
const EXPIRING_SECONDS = 60;

/** How far the API's clock runs ahead of the real one: the last test moves it past the expiring link's minute. */
let clockAheadMs = 0;
let hb: TestHookbase;
let browser: TestBrowser;
let app: Application;
let expiring: PortalToken;
let expiringCreatedAt: number;
let page: Page;
let pageErrors: string[];
const receivers: Receiver[] = [];

const eventTypeOf = (hook: ReceivedWebhook): string => (JSON.parse(hook.body) as { type?: string; eventType?: string }).type ?? '';
const typesReceived = (receiver: Receiver) => receiver.received.map(eventTypeOf);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  // Two quick retries, so a failing delivery is exhausted within a second.
  hb = await startTestHookbase({ env: { HOOKBASE_RETRY_SCHEDULE: '150ms,150ms' }, now: () => new Date(Date.now() + clockAheadMs) });
  app = await hb.sdk.applications.create({ name: 'Acme Corp' });
  for (const [name, category] of [['order.created', 'orders'], ['order.shipped', 'orders'], ['invoice.paid', 'invoices'], ['invoice.overdue', 'invoices']] as const) {
    await hb.sdk.eventTypes.create({ name, category, description: `${category} event ${name}` });
  }
  // Created first: the last test moves the API's clock past its minute.
  expiring = await hb.sdk.portalTokens.create(app.id, { expiresIn: EXPIRING_SECONDS });
  expiringCreatedAt = Date.now();
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const r of receivers) await r.close();
  await hb?.stop();
});

describe('the hosted portal and @hookbase/portal in Chromium', () => {
  it('a magic link opens the hosted portal and the token leaves the address bar', async () => {
    expect(expiring.url).toBe(`${hb.url}/portal#token=${expiring.token}`);
    page = await browser.context.newPage();
    pageErrors = watchErrors(page);
    await page.goto(expiring.url);
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByText('Acme Corp').waitFor();
    await page.getByText('No endpoints yet').waitFor();
    expect(page.url()).toBe(`${hb.url}/portal`);
    expect(await page.evaluate('sessionStorage.getItem("hookbase-portal-token")')).toBe(expiring.token);
    // A reload keeps working from the tab's session storage.
    await page.reload();
    await page.getByText('No endpoints yet').waitFor();
    await screenshots(page, 'hosted-empty');
    await page.getByRole('tab', { name: 'Event types' }).click();
    await page.getByText('order.shipped', { exact: true }).waitFor();
    await screenshots(page, 'hosted-event-types');
    await page.getByRole('tab', { name: 'Endpoints' }).click();
    expect(pageErrors).toEqual([]);
  });

  let orders: Receiver;
  let secret: string;

  it('an endpoint created in EndpointForm shows its secret once', async () => {
    orders = await startReceiver();
    receivers.push(orders);
    await page.getByRole('button', { name: 'New endpoint' }).click();
    await page.getByLabel('Endpoint URL').fill(orders.url);
    await page.getByLabel('Description (optional)').fill('Orders service');
    await page.getByRole('button', { name: 'Add endpoint', exact: true }).click();
    const shown = page.getByTestId('hbp-secret');
    await shown.waitFor();
    secret = (await shown.textContent()) ?? '';
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{20,}$/);
    await page.getByRole('button', { name: `Open endpoint ${orders.url}` }).waitFor();
    await screenshots(page, 'hosted-secret');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await shown.waitFor({ state: 'detached' });
    await page.reload();
    await page.getByRole('button', { name: `Open endpoint ${orders.url}` }).waitFor();
    expect(await page.content()).not.toContain(secret);
    await screenshots(page, 'hosted-endpoints');
  });

  it('subscribing to one category changes what the endpoint receives', async () => {
    // No subscription yet: every event type arrives.
    await hb.sdk.messages.send(app.id, { eventType: 'invoice.paid', payload: { invoice: 1 } });
    await orders.waitFor(1);
    expect(typesReceived(orders)).toEqual(['invoice.paid']);

    await page.getByRole('button', { name: `Open endpoint ${orders.url}` }).click();
    await page.getByText('All event types: nothing is selected').waitFor();
    await page.getByRole('checkbox', { name: 'All of orders' }).check();
    await page.getByText('2 event types selected').waitFor();
    await page.getByRole('button', { name: 'Save subscriptions' }).click();
    await page.getByText('Subscriptions saved.').waitFor();

    await hb.sdk.messages.send(app.id, { eventType: 'invoice.paid', payload: { invoice: 2 } });
    await hb.sdk.messages.send(app.id, { eventType: 'order.created', payload: { order: 1 } });
    await orders.waitFor(2);
    await sleep(1000); // time enough for a wrongly routed invoice to arrive after the order
    expect(typesReceived(orders)).toEqual(['invoice.paid', 'order.created']);
    // What arrived is signed with the secret the form showed.
    const webhook = createWebhook(secret);
    for (const hook of orders.received) expect(() => webhook.verify(hook.body, hook.headers as Record<string, string>)).not.toThrow();
    await page.locator('[data-testid="hbp-success-rate"]').filter({ hasText: '100%' }).waitFor({ timeout: 10_000 });
    await screenshots(page, 'hosted-endpoint');
  });

  it('a message sent through the SDK appears in MessageLog as delivered within its refresh interval', async () => {
    await page.getByRole('button', { name: '← All endpoints' }).click();
    await page.getByRole('tab', { name: 'Delivery history' }).click();
    await page.locator('[data-status="success"]').first().waitFor();
    const before = await page.locator('li[data-status="success"]').count();
    const sentAt = Date.now();
    await hb.sdk.messages.send(app.id, { eventType: 'order.shipped', payload: { order: 1, carrier: 'DHL' } });
    const row = page.locator('li[data-status="success"]').filter({ hasText: 'order.shipped' });
    await row.waitFor({ timeout: REFRESH_MS + 3000 });
    expect(Date.now() - sentAt).toBeLessThan(REFRESH_MS + 3000);
    expect(await page.locator('li[data-status="success"]').count()).toBe(before + 1);
    expect(await row.getByText('Delivered').count()).toBe(1);
    await screenshots(page, 'hosted-messages');
  });

  it('an exhausted delivery shows its attempts, and its replay button delivers it', async () => {
    let failing = true;
    const billing = await startReceiver((_hook, res) => {
      res.statusCode = failing ? 500 : 200;
      res.end(failing ? 'receiver down: database unavailable' : 'ok');
    });
    receivers.push(billing);
    await hb.sdk.endpoints.create(app.id, { url: billing.url, description: 'Billing', eventTypes: ['invoice.overdue'] });
    await hb.sdk.messages.send(app.id, { eventType: 'invoice.overdue', payload: { invoice: 7 } });
    await billing.waitFor(3); // the first attempt and two retries

    const row = page.locator('li[data-status="exhausted"]').filter({ hasText: 'invoice.overdue' });
    await eventually(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await row.count()) === 1;
    });
    await row.getByRole('button', { name: 'Show attempts' }).click();
    const attempts = row.locator('[data-attempt]');
    await attempts.nth(2).waitFor();
    expect(await attempts.count()).toBe(3);
    for (let i = 0; i < 3; i++) {
      const text = (await attempts.nth(i).textContent()) ?? '';
      expect(text).toContain(`Attempt ${i + 1}`);
      expect(text).toContain('HTTP 500');
      expect(text).toMatch(/\d+ ms/);
      expect(text).toContain('receiver down: database unavailable');
    }
    await screenshots(page, 'hosted-attempts');

    // The row by its id from here: its status changes under it.
    const sameRow = page.locator(`li[data-message-id="${await row.getAttribute('data-message-id')}"]`);
    failing = false;
    await sameRow.getByRole('button', { name: /^Replay invoice\.overdue/ }).click();
    await billing.waitFor(4);
    expect(billing.received.map(eventTypeOf)).toEqual(['invoice.overdue', 'invoice.overdue', 'invoice.overdue', 'invoice.overdue']);
    await sameRow.getByText('Replay queued.').waitFor();
    await eventually(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await sameRow.getAttribute('data-status')) === 'success';
    });
    expect(await sameRow.getByText('Delivered').count()).toBe(1);
  });

  it("the example app renders the Getting Started page's component tree with the package CSS", async () => {
    const root = join(process.cwd(), 'examples', 'webhook-settings');
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
    const example = await startExample({ hookbaseUrl: hb.url, apiKey: hb.apiKey, appId: app.id });
    try {
      const tab = await browser.context.newPage();
      const errors = watchErrors(tab);
      const alerts: string[] = [];
      tab.on('dialog', (dialog) => {
        alerts.push(dialog.message());
        void dialog.accept();
      });
      await tab.goto(example.url);
      await tab.getByRole('heading', { name: 'Endpoints' }).waitFor();
      await tab.getByRole('heading', { name: 'Delivery History' }).waitFor();
      await tab.getByText('Select an endpoint to manage subscriptions').waitFor();
      await tab.getByRole('button', { name: `Open endpoint ${orders.url}` }).waitFor();
      await tab.locator('li[data-status="success"]').first().waitFor();
      // The package's stylesheet is applied: its variables on the portal root, its button colours.
      expect(await tab.evaluate('getComputedStyle(document.querySelector(".hbp-root")).getPropertyValue("--hbp-accent").trim()')).toBe('#3b5bdb');
      expect(await tab.evaluate('getComputedStyle(document.querySelector(".hbp-button-primary")).backgroundColor')).toBe('rgb(59, 91, 219)');
      await screenshots(tab, 'example');

      const hooks = await startReceiver();
      receivers.push(hooks);
      await tab.getByLabel('Endpoint URL').fill(hooks.url);
      await tab.getByRole('button', { name: 'Add endpoint', exact: true }).click();
      await eventually(async () => alerts.length === 1);
      expect(alerts[0]).toMatch(/^Save this secret: whsec_/);
      await tab.getByRole('button', { name: `Open endpoint ${hooks.url}` }).click();
      await tab.getByRole('heading', { name: 'Subscriptions' }).waitFor();
      await tab.getByRole('checkbox', { name: 'All of invoices' }).waitFor();
      await screenshots(tab, 'example-subscriptions');
      expect(errors).toEqual([]);
      await tab.close();
    } finally {
      await example.close();
    }
  });

  it('an expired link shows a clear "This link has expired" page, and a revoked one says so', async () => {
    const revoked = await hb.sdk.portalTokens.create(app.id, { expiresIn: 600 });
    await hb.sdk.portalTokens.revoke(revoked.id);
    const tab = await browser.context.newPage();
    await tab.goto(revoked.url);
    await tab.getByRole('heading', { name: 'This link has been revoked' }).waitFor();
    await tab.close();

    // The first link of this suite, opened in the first test, is past its minute by the API's clock now.
    clockAheadMs = Math.max(0, expiringCreatedAt + EXPIRING_SECONDS * 1000 + 1500 - Date.now());
    const late = await browser.context.newPage();
    await late.goto(expiring.url);
    await late.getByRole('heading', { name: 'This link has expired' }).waitFor();
    expect(await late.getByRole('heading', { name: 'Webhooks' }).count()).toBe(0);
    expect(await late.evaluate('sessionStorage.getItem("hookbase-portal-token")')).toBeNull();
    await screenshots(late, 'hosted-expired');
  });
});
