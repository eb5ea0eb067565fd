// Issue 18 "done when": a receipt downloaded in the portal (headless Chromium) verifies with the SDK function in a
// browser page and with the CLI, offline, against the public key. A real Hookbase on 127.0.0.1 serving the hosted
// portal built from this tree, a real receiver, the SDK's audit module bundled for the browser by Vite.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../sdk/src/audit/anchor.js';
import { verifyReceipt } from '../../sdk/src/audit/receipt.js';
import { Hookbase } from '../../sdk/src/client.js';
import { runCli } from '../cliRun';
import { eventually, startReceiver, startTestHookbase } from '../harness';
import type { Receiver, TestHookbase } from '../harness';
import { launchBrowser, watchErrors } from './browser';
import type { TestBrowser } from './browser';

const ROOT = process.cwd();

let hb: TestHookbase;
let receiver: Receiver;
let browser: TestBrowser;
/** The deployment's public key (hex), fetched once at the start. */
let publicKeyHex: string;
let dir: string;
/** The SDK's audit module (sdk/src/audit/index.ts) as one browser script defining `HookbaseAudit`. */
let auditScript: string;
let portalUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hookbase-receipt-browser-'));
  // The hosted portal of this tree (served by the API from portal/dist/hosted), and the SDK's verifier for the page.
  await build({ root: join(ROOT, 'portal', 'hosted'), configFile: join(ROOT, 'portal', 'vite.hosted.config.ts'), logLevel: 'warn' });
  await build({
    configFile: false,
    logLevel: 'warn',
    build: { lib: { entry: join(ROOT, 'sdk', 'src', 'audit', 'index.ts'), name: 'HookbaseAudit', formats: ['iife'], fileName: () => 'audit.js' }, outDir: dir, emptyOutDir: false, minify: false },
  });
  auditScript = readFileSync(join(dir, 'audit.js'), 'utf8');

  // The anchor writer every 100 ms (the harness's default is hourly).
  hb = await startTestHookbase({ env: { HOOKBASE_RETRY_SCHEDULE: '150ms,150ms', HOOKBASE_AUDIT_ANCHOR_INTERVAL: '0.1' } });
  publicKeyHex = ((await hb.request('GET', '/v1/audit/public-key')).body as { publicKey: string }).publicKey;
  let calls = 0;
  receiver = await startReceiver((_hook, res) => {
    res.statusCode = ++calls === 1 ? 503 : 200;
    res.end(calls === 1 ? 'warming up' : 'ok');
  });
  const sdk = new Hookbase({ apiKey: hb.apiKey, baseUrl: hb.url, retries: 0 });
  const app = await sdk.applications.create({ name: 'Acme Corp' });
  await sdk.eventTypes.create({ name: 'invoice.paid', description: 'An invoice was paid' });
  await sdk.endpoints.create(app.id, { url: receiver.url, description: 'Billing', eventTypes: ['invoice.paid'] });
  const sent = await sdk.messages.send(app.id, { eventType: 'invoice.paid', payload: { invoice: 'in_42', amount: 1200 } });
  await eventually(async () => (await sdk.messages.getOutbound(app.id, sent.outbound[0]!.id)).status === 'success', 15_000);
  await eventually(async () => verifyReceipt(await sdk.messages.receipt(app.id, sent.outbound[0]!.id), parsePublicKey(publicKeyHex)).proven, 15_000);
  portalUrl = (await sdk.portalTokens.create(app.id, {})).url;
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await hb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a receipt downloaded in the portal', () => {
  it('verifies with verifyReceipt in a browser page and with the CLI, offline, against the public key', async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(portalUrl);
    await page.getByRole('tab', { name: 'Delivery history' }).click();
    const row = page.locator('li.hbp-message[data-status="success"]').filter({ hasText: 'invoice.paid' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Show attempts' }).click();
    await row.locator('[data-attempt="2"]').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Download receipt of attempt 1' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^receipt-out_.+-attempt-1\.json$/);
    const file = join(dir, download.suggestedFilename());
    await download.saveAs(file);
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ format: 'hookbase-receipt/1', attempts: [{ attemptNumber: 1, responseStatus: 503 }] });
    expect(errors).toEqual([]);

    // In a browser page with the network off: the SDK's function, nothing else.
    await browser.context.setOffline(true);
    try {
      const verifier = await browser.context.newPage();
      await verifier.goto('about:blank');
      await verifier.addScriptTag({ content: auditScript });
      type Verdict = { valid: boolean; proven: boolean; problems: { at: string; reason: string }[]; attempts: { attemptNumber: number; request: { webhookSignature: string } | null }[] };
      const verify = (receipt: string): Promise<Verdict> =>
        verifier.evaluate(
          ([r, key]) => {
            const audit = (globalThis as unknown as { HookbaseAudit: { verifyReceipt: (r: string, k: Uint8Array) => Verdict; parsePublicKey: (k: string) => Uint8Array } }).HookbaseAudit;
            return audit.verifyReceipt(r, audit.parsePublicKey(key));
          },
          [receipt, publicKeyHex] as const,
        );
      const verdict = await verify(text);
      expect(verdict.problems).toEqual([]);
      expect(verdict).toMatchObject({ valid: true, proven: true });
      expect(verdict.attempts.map((a) => a.attemptNumber)).toEqual([1]);
      expect(verdict.attempts[0]!.request?.webhookSignature).toBe(receiver.received[0]!.headers['webhook-signature']);
      // One byte of the response status changed, in the claim and the event: named in the browser too.
      const tampered = await verify(text.replaceAll('"responseStatus":503', '"responseStatus":203'));
      expect(tampered.valid).toBe(false);
      expect(tampered.problems.map((p) => p.reason)).toContain('hash');
    } finally {
      await browser.context.setOffline(false);
    }

    // The CLI, offline (no server address given), against the public key.
    const keyFile = join(dir, 'public-key.txt');
    writeFileSync(keyFile, `${publicKeyHex}\n`);
    const cli = await runCli(['audit', 'verify-receipt', file, '--public-key', keyFile]);
    expect(cli.code, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toContain('Verified');
    expect(cli.stdout).toContain('attempt 1');
  });

  it('is scoped by the portal token: another application\'s delivery is not found', async () => {
    const sdk = new Hookbase({ apiKey: hb.apiKey, baseUrl: hb.url, retries: 0 });
    const other = await sdk.applications.create({ name: 'Other' });
    const token = (await sdk.portalTokens.create(other.id, {})).token;
    const acme = (await sdk.applications.list()).data.find((a) => a.name === 'Acme Corp')!;
    const [mine] = (await sdk.messages.listOutbound(acme.id)).data;
    expect(mine).toBeDefined();
    const own = await fetch(`${hb.url}/portal/messages/${mine!.id}/attempts/1/receipt`, { headers: { authorization: `Bearer ${(await sdk.portalTokens.create(acme.id, {})).token}` } });
    expect(own.status).toBe(200);
    const res = await fetch(`${hb.url}/portal/messages/${mine!.id}/attempts/1/receipt`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
  });
});
