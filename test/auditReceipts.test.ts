import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAnchorKeyPair, parsePublicKey } from '../sdk/src/audit/anchor.js';
import type { AuditBundle, BundleVerification } from '../sdk/src/audit/bundle.js';
import { serializeAuditBundle, verifyAuditBundle } from '../sdk/src/audit/bundle.js';
import type { Receipt } from '../sdk/src/audit/receipt.js';
import { serializeReceipt, verifyReceipt } from '../sdk/src/audit/receipt.js';
import { Hookbase } from '../sdk/src/client.js';
import type { Message, MessageAttempt, OutboundMessage } from '../sdk/src/types.js';
import { json, runCli } from './cliRun';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';

const sha256 = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');

// Issue 18 items 3 and 4: receipts and bundles of a real Hookbase, verified offline with the SDK's functions and the CLI.
describe('signed delivery receipts and audit bundles', () => {
  let hb: TestHookbase;
  let ok: Receiver;
  let flaky: Receiver;
  /** The deployment's public key, fetched once at the start (an auditor keeps it from before any dispute). */
  let publicKeyHex: string;
  let publicKey: Uint8Array;
  let appId: string;
  let messageId: string;
  let toFlaky: string;
  let dir: string;
  /** This branch's SDK (node_modules/@hookbase/sdk is main's). */
  let sdk: Hookbase;
  const cli = (args: string[]) => runCli([...args, '--url', hb.url, '--api-key', hb.apiKey]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hookbase-receipts-'));
    // The anchor writer every 100 ms (the harness's default is hourly).
    hb = await startTestHookbase({ dispatcher: { retryScheduleMs: [100, 100, 100] }, env: { HOOKBASE_AUDIT_ANCHOR_INTERVAL: '0.1' } });
    publicKeyHex = ((await hb.request('GET', '/v1/audit/public-key')).body as { publicKey: string }).publicKey;
    publicKey = parsePublicKey(publicKeyHex);
    ok = await startReceiver();
    let calls = 0;
    flaky = await startReceiver((_req, res) => {
      calls++;
      if (calls === 1) {
        res.statusCode = 500;
        res.end('not yet ✗');
      } else res.end('{"ok":true}');
    });

    // The Getting Started scenario (test/gettingStarted.test.ts), with a second endpoint that fails once.
    sdk = new Hookbase({ apiKey: hb.apiKey, baseUrl: hb.url, retries: 0 });
    const app = await sdk.applications.create({ name: 'Acme Corp', uid: 'cus_42', metadata: { plan: 'pro' } });
    appId = app.id;
    await sdk.eventTypes.create({ name: 'order.created', displayName: 'Order Created', description: 'Triggered when a new order is placed', category: 'Orders' });
    await sdk.eventTypes.create({ name: 'order.shipped', displayName: 'Order Shipped', description: 'Triggered when an order ships', category: 'Orders' });
    await sdk.endpoints.create(appId, { url: ok.url, eventTypes: ['order.created'] });
    await sdk.endpoints.create(appId, { url: `${flaky.url}/hooks`, eventTypes: ['order.created'] });
    const sent = await sdk.messages.send(appId, {
      eventType: 'order.created',
      payload: { orderId: 'ord_123', amount: 99.99, currency: 'USD', items: [{ sku: 'A', qty: 1 }], customer: { id: 'c_1', email: 'a@example.com' } },
      eventId: 'order_created_ord_123',
    });
    messageId = sent.id;
    await sdk.messages.send(appId, { eventType: 'order.shipped', payload: { orderId: 'ord_123' } });
    const flakyEndpoint = (await sdk.endpoints.list(appId)).data.find((e) => e.url.startsWith(flaky.url))!;
    toFlaky = sent.outbound.find((o) => o.endpointId === flakyEndpoint.id)!.id;
    await eventually(async () => {
      const all = await Promise.all(sent.outbound.map((o) => sdk.messages.getOutbound(appId, o.id)));
      return all.every((o) => o.status === 'success');
    }, 20_000);
    // Every delivery's last attempt pinned by an anchor.
    await eventually(async () => {
      for (const o of sent.outbound) if (!verifyReceipt(await sdk.messages.receipt(appId, o.id), publicKey).proven) return false;
      return true;
    }, 20_000);
  }, 60_000);

  afterAll(async () => {
    await hb?.stop();
    await ok?.close();
    await flaky?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('a receipt', () => {
    it('proves, offline against the public key, the exact requests the receiver got and what it answered', async () => {
      const receipt = await sdk.messages.receipt(appId, toFlaky);
      const v = verifyReceipt(receipt, publicKey);
      expect(v.problems).toEqual([]);
      expect(v).toMatchObject({ valid: true, proven: true, delivery: { status: 'success' } });
      expect(v.attempts.map((a) => [a.attemptNumber, a.outcome, a.responseStatus, a.anchored])).toEqual([
        [1, 'failed', 500, true],
        [2, 'succeeded', 200, true],
      ]);
      expect(flaky.received).toHaveLength(2);
      for (const [i, got] of flaky.received.entries()) {
        const a = v.attempts[i]!;
        expect(a.request).toMatchObject({
          url: `${flaky.url}/hooks`,
          webhookId: messageId,
          webhookTimestamp: got.headers['webhook-timestamp'],
          webhookSignature: got.headers['webhook-signature'],
          bodySha256: sha256(got.body),
        });
      }
      expect(v.attempts[0]!.responseBodySha256).toBe(sha256('not yet ✗'));
      expect(v.attempts[1]!.responseBodySha256).toBe(sha256('{"ok":true}'));
    });

    it('without its anchoring: valid (the chains hold) but not proven', async () => {
      const receipt = await sdk.messages.receipt(appId, toFlaky);
      const v = verifyReceipt({ ...receipt, anchoring: { anchors: [], proofs: [] } }, publicKey);
      expect(v).toMatchObject({ valid: true, proven: false, problems: [] });
      expect(v.attempts.every((a) => !a.anchored)).toBe(true);
    });

    it('of one attempt with ?attempt=N; a 404 naming an attempt not made', async () => {
      const one = await sdk.messages.receipt(appId, toFlaky, { attempt: 1 });
      expect(one.attempts.map((a) => a.attemptNumber)).toEqual([1]);
      expect(verifyReceipt(one, publicKey)).toMatchObject({ valid: true, proven: true });
      const missing = await hb.request('GET', `/v1/applications/${appId}/outbound/${toFlaky}/receipt?attempt=3`);
      expect(missing.status).toBe(404);
      expect(missing.text).toContain('no attempt 3');
    });

    it('names what was changed: an attempt claimed otherwise, an event edited, another key', async () => {
      const receipt = await sdk.messages.receipt(appId, toFlaky);
      const claimed: Receipt = { ...receipt, attempts: receipt.attempts.map((a, i) => (i === 0 ? { ...a, responseStatus: 200 } : a)) };
      expect(verifyReceipt(claimed, publicKey).problems).toEqual([expect.objectContaining({ at: 'attempts[0] (attempt 1)', reason: 'mismatch' })]);

      const edited = JSON.parse(serializeReceipt(receipt).replace('not yet ✗', 'not yet !')) as Receipt;
      const v = verifyReceipt(edited, publicKey);
      expect(v.valid).toBe(false);
      expect(v.problems[0]).toMatchObject({ reason: 'hash', at: expect.stringContaining(`outbound-${toFlaky}, revision 0`) });

      const other = verifyReceipt(receipt, generateAnchorKeyPair().publicKey);
      expect(other.valid).toBe(false);
      expect(other.problems.map((p) => p.reason)).toContain('signature');
    });

    it('verifies with the CLI, offline, and the CLI names a changed byte', async () => {
      const file = join(dir, 'receipt.json');
      const got = await cli(['audit', 'receipt', appId, toFlaky, '--out', file]);
      expect(got.code, got.stderr).toBe(0);
      // Offline: no --url, no server needed.
      const verified = await runCli(['audit', 'verify-receipt', file, '--public-key', publicKeyHex]);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      expect(verified.stdout).toContain('Verified');
      expect(verified.stdout).toContain(`webhook-signature ${flaky.received[0]!.headers['webhook-signature'] as string}`);

      // The claim and the chained event both changed: the chain names the event.
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll('"responseStatus":500', '"responseStatus":501'));
      const tampered = await runCli(['audit', 'verify-receipt', file, '--public-key', publicKeyHex, '--json']);
      expect(tampered.code).toBe(1);
      const report = json<{ valid: boolean; problems: { at: string; reason: string }[] }>(tampered);
      expect(report.valid).toBe(false);
      expect(report.problems.map((p) => p.reason)).toContain('hash');
    });
  });

  describe('an audit bundle', () => {
    let text: string;
    let file: string;

    beforeAll(async () => {
      file = join(dir, 'bundle.json');
      // Exported once every event of it is anchored (the writer runs every 100 ms).
      await eventually(async () => {
        const exported = await cli(['audit', 'export', appId, '--bundle', '--out', file]);
        expect(exported.code, exported.stderr).toBe(0);
        text = readFileSync(file, 'utf8');
        return verifyAuditBundle(text, publicKey).proven;
      }, 20_000);
    }, 30_000);

    it('untouched, verifies clean with the CLI, offline', async () => {
      const verified = await runCli(['audit', 'verify-bundle', file, '--public-key', publicKeyHex, '--json']);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      const v = json<BundleVerification>(verified);
      expect(v).toMatchObject({ valid: true, proven: true, problems: [], applicationId: appId, unanchoredEvents: 0 });
      const human = await runCli(['audit', 'verify-bundle', file, '--public-key', publicKeyHex]);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain('Verified');
      expect(human.stdout).toContain(`${toFlaky} → `);
    });

    it('folds to the same delivery report as the API\'s own lists', async () => {
      const v = verifyAuditBundle(text, publicKey);
      expect(v.valid).toBe(true);
      const api = (await hb.request('GET', `/v1/applications/${appId}/messages?limit=100`)).body as { data: Message[] };
      expect(api.data.length).toBe(2);
      const fromApi = [];
      for (const m of api.data) {
        const deliveries = [];
        for (const o of m.outbound) {
          const outbound = (await hb.request('GET', `/v1/applications/${appId}/outbound/${o.id}`)).body as OutboundMessage;
          const attempts = ((await hb.request('GET', `/v1/applications/${appId}/outbound/${o.id}/attempts?limit=100`)).body as { data: MessageAttempt[] }).data;
          deliveries.push({
            outboundId: o.id,
            endpointId: o.endpointId,
            status: outbound.status,
            attempts: attempts
              .map((a) => ({ attemptNumber: a.attemptNumber, responseStatus: a.responseStatus, latencyMs: a.latencyMs, attemptedAt: a.attemptedAt, error: a.error }))
              .sort((a, b) => a.attemptNumber - b.attemptNumber),
          });
        }
        fromApi.push({ messageId: m.id, eventType: m.eventType, eventId: m.eventId, timestamp: m.timestamp, deliveries: deliveries.sort((a, b) => (a.outboundId < b.outboundId ? -1 : 1)) });
      }
      const fromBundle = v.report.messages.map((m) => ({
        messageId: m.messageId,
        eventType: m.eventType,
        eventId: m.eventId,
        timestamp: m.timestamp,
        deliveries: m.deliveries
          .map((d) => ({
            outboundId: d.outboundId,
            endpointId: d.endpointId,
            status: d.status,
            attempts: d.attempts.map((a) => ({ attemptNumber: a.attemptNumber, responseStatus: a.responseStatus, latencyMs: a.latencyMs, attemptedAt: a.attemptedAt, error: a.error })),
          }))
          .sort((a, b) => (a.outboundId < b.outboundId ? -1 : 1)),
      }));
      expect(fromBundle).toEqual(fromApi.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.messageId < b.messageId ? -1 : 1)));
      expect(fromBundle.flatMap((m) => m.deliveries.flatMap((d) => d.attempts))).toHaveLength(3);
    });

    it('with one byte changed, anywhere, is detected and the place named', () => {
      const bundle = JSON.parse(text) as AuditBundle;
      const flip = (at: number): string => text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ 1) + text.slice(at + 1);
      const cases: { at: number; expect: RegExp }[] = [
        // a digit of the amount in the MessageSent event's data
        { at: text.indexOf('99.99'), expect: /hash|canonical|digest/ },
        // a letter of the application's name
        { at: text.indexOf('Acme Corp') + 1, expect: /hash/ },
        // a hex digit of an anchor's signature
        { at: text.indexOf(bundle.anchoring.anchors[0]!.signature) + 3, expect: /signature|digest/ },
        // the manifest's exportedAt
        { at: text.indexOf(bundle.manifest.exportedAt) + 5, expect: /signature/ },
        // a store position (not covered by any chain): the events' digest in the signed manifest covers it
        { at: text.indexOf('"position":"') + 12, expect: /digest/ },
      ];
      for (const c of cases) {
        const v = verifyAuditBundle(flip(c.at), publicKey);
        expect(v.valid, `byte ${c.at}`).toBe(false);
        expect(v.problems.map((p) => p.reason).join(' '), `byte ${c.at}`).toMatch(c.expect);
      }
      // The application's name edited: named by stream and revision.
      const named = verifyAuditBundle(flip(text.indexOf('Acme Corp') + 1), publicKey);
      expect(named.problems.find((p) => p.reason === 'hash')?.at).toMatch(new RegExp(`^events\\[\\d+\\] \\(application-${appId}, revision 0\\)$`));
      // A space added where JSON allows one: the file is no longer the canonical encoding, and the byte is named.
      const spaced = verifyAuditBundle(`${text.slice(0, 1)} ${text.slice(1)}`, publicKey);
      expect(spaced.problems).toEqual([expect.objectContaining({ reason: 'canonical', message: expect.stringContaining('byte 1 (line 1, column 2)') })]);
      // A sweep: every 53rd byte of the file flipped in turn (a few hundred places: events, anchors, proofs, manifest).
      const bytes = Buffer.from(text, 'utf8');
      let flipped = 0;
      for (let at = 0; at < bytes.length; at += 53) {
        const copy = Buffer.from(bytes);
        copy[at] = copy[at]! ^ 1;
        const v = verifyAuditBundle(new Uint8Array(copy), publicKey);
        expect(v.valid, `byte ${at}`).toBe(false);
        // Named by a check, not by the verifier's last-resort catch.
        expect(v.problems.filter((p) => p.at === 'bundle'), `byte ${at}: ${text.slice(Math.max(0, at - 40), at + 40)}`).toEqual([]);
        flipped++;
      }
      expect(flipped).toBeGreaterThan(100);
      // And the untouched text and object verify clean.
      expect(verifyAuditBundle(text, publicKey)).toMatchObject({ valid: true, proven: true });
      expect(serializeAuditBundle(bundle)).toBe(text);
    });

    it('the CLI names a changed byte and exits 1', async () => {
      const tampered = join(dir, 'tampered.json');
      writeFileSync(tampered, text.replace('"ord_123"', '"ord_124"'));
      const v = await runCli(['audit', 'verify-bundle', tampered, '--public-key', publicKeyHex]);
      expect(v.code).toBe(1);
      expect(v.stdout).toContain('NOT VALID');
      expect(v.stdout).toMatch(new RegExp(`message-${messageId}, revision 0\\): its content hashes to`));
    });

    it('events after the last anchor: valid, then proven once the writer has anchored them', async () => {
      await sdk.messages.send(appId, { eventType: 'order.shipped', payload: { orderId: 'ord_124' } });
      const later = join(dir, 'later.json');
      await eventually(async () => {
        expect((await cli(['audit', 'export', appId, '--bundle', '--out', later])).code).toBe(0);
        const v = verifyAuditBundle(readFileSync(later, 'utf8'), publicKey);
        expect(v.valid).toBe(true);
        return v.proven && v.report.messages.length === 3;
      }, 20_000);
    });
  });
});
