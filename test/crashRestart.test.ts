import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hookbase } from '@hookbase/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startChildHookbase } from './child';
import type { ChildHookbase } from './child';
import { eventually, startReceiver } from './harness';

// SIGKILL loses nothing: what was answered 202 is durable, and first attempts that had not happened go out after a restart.
describe('crash and restart (SIGKILL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-crash-'));
  const apiKey = `crash_key_${randomBytes(12).toString('hex')}`;
  const env = { HOOKBASE_DATA_DIR: dataDir, HOOKBASE_API_KEY: apiKey, HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'true' };
  let child: ChildHookbase | null = null;

  afterAll(async () => {
    await child?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps applications, endpoints and messages, and delivers every pending first attempt once restarted', async () => {
    const receiver = await startReceiver();
    try {
      const port = await freePort();
      // 1. No dispatcher yet: every send is accepted and stays pending.
      child = await startChildHookbase({ ...env, HOOKBASE_ROLES: 'api,projections' }, port);
      let sdk = new Hookbase({ apiKey, baseUrl: child.url, retries: 0 });
      const app = await sdk.applications.create({ name: 'Crashy', uid: 'crashy' });
      await sdk.eventTypes.create({ name: 'invoice.paid' });
      const endpoint = await sdk.endpoints.create(app.id, { url: receiver.url });
      const sent: string[] = [];
      for (let i = 0; i < 25; i++) sent.push((await sdk.messages.send(app.id, { eventType: 'invoice.paid', payload: { n: i } })).id);

      // 2. Killed without warning.
      await child.kill('SIGKILL');
      expect(receiver.received).toHaveLength(0);

      // 3. Started again with every role.
      child = await startChildHookbase(env, port);
      sdk = new Hookbase({ apiKey, baseUrl: child.url, retries: 0 });
      expect((await sdk.applications.getByUid('crashy')).id).toBe(app.id);
      expect((await sdk.endpoints.get(app.id, endpoint.id)).url).toBe(receiver.url);
      const { data: messages } = await sdk.messages.listAll(app.id);
      expect(messages.map((m) => m.id).sort()).toEqual([...sent].sort());

      await receiver.waitFor(25, 20_000);
      const ids = new Set(receiver.received.map((r) => String(r.headers['webhook-id'])));
      expect([...ids].sort()).toEqual([...sent].sort());
      await eventually(async () => {
        const { data } = await sdk.messages.listAllOutbound(app.id, { status: 'success' });
        return data.length === 25;
      });
    } finally {
      await receiver.close();
    }
  }, 90_000);

  it('redelivers attempts that were in flight when the process died (at-least-once, same webhook-id)', async () => {
    // The receiver answers slowly at first, so a kill lands while attempts are in flight.
    let slow = true;
    const receiver = await startReceiver((_req, res) => {
      setTimeout(() => res.end('ok'), slow ? 3_000 : 0);
    });
    try {
      // The first test's restarted process stops first: one process on the data dir, as after a real crash.
      await child?.kill('SIGTERM');
      const port = await freePort();
      child = await startChildHookbase(env, port);
      let sdk = new Hookbase({ apiKey, baseUrl: child.url, retries: 0 });
      const app = await sdk.applications.getByUid('crashy');
      const endpoint = await sdk.endpoints.create(app.id, { url: receiver.url, eventTypes: ['invoice.paid'] });
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) sent.push((await sdk.messages.send(app.id, { eventType: 'invoice.paid', payload: { inflight: i } })).id);
      await receiver.waitFor(1, 10_000);
      await child.kill('SIGKILL');
      slow = false;

      child = await startChildHookbase(env, port);
      sdk = new Hookbase({ apiKey, baseUrl: child.url, retries: 0 });
      await eventually(async () => {
        const { data } = await sdk.messages.listAllOutbound(app.id, { endpointId: endpoint.id, status: 'success' });
        return data.length === 5;
      }, 30_000);
      const delivered = new Set(receiver.received.map((r) => String(r.headers['webhook-id'])));
      for (const id of sent) expect(delivered.has(id)).toBe(true);
    } finally {
      await receiver.close();
    }
  }, 90_000);
});
