import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hookbase } from '@hookbase/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startChildHookbase } from './child';
import type { ChildHookbase } from './child';
import { eventually, startReceiver } from './harness';

const MESSAGES = 1000;
const KILLS = 3;

/**
 * 1000 messages flow to a receiver that fails every third request while Hookbase is SIGKILLed at random moments
 * and restarted. In the end every message is `success` or `exhausted`, none is lost, and the receiver — deduping
 * by webhook-id, as Standard Webhooks asks — has every successful one.
 */
describe('crash safety under load', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-chaos-'));
  const apiKey = `chaos_key_${randomBytes(12).toString('hex')}`;
  const env = {
    HOOKBASE_DATA_DIR: dataDir,
    HOOKBASE_API_KEY: apiKey,
    HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'true',
    HOOKBASE_RETRY_SCHEDULE: '50ms,100ms,200ms,300ms,500ms,500ms,1s,1s',
  };
  let child: ChildHookbase | null = null;
  afterAll(async () => {
    await child?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing across repeated SIGKILLs', async () => {
    let requests = 0;
    const delivered = new Set<string>();
    const receiver = await startReceiver((hook, res) => {
      requests++;
      if (requests % 3 === 0) {
        res.statusCode = 500;
        res.end('every third request fails');
        return;
      }
      delivered.add(String(hook.headers['webhook-id']));
      res.end('ok');
    });
    const port = await freePort();
    try {
      child = await startChildHookbase(env, port);
      const baseUrl = child.url;
      const setup = new Hookbase({ apiKey, baseUrl, retries: 0 });
      const app = await setup.applications.create({ name: 'Chaos', uid: 'chaos' });
      await setup.eventTypes.create({ name: 'chaos.event' });
      await setup.endpoints.create(app.id, { url: receiver.url });

      // The sender: 8 concurrent loops, each send retried until it is answered — the eventId makes retries safe.
      const sdk = new Hookbase({ apiKey, baseUrl, retries: 0, timeout: 5_000 });
      const messageIds = new Map<number, string>();
      let next = 0;
      const sendOne = async (i: number): Promise<void> => {
        for (;;) {
          try {
            const m = await sdk.messages.send(app.id, { eventType: 'chaos.event', payload: { i }, eventId: `chaos-${i}` });
            messageIds.set(i, m.id);
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 100)); // down: wait for the restart
          }
        }
      };
      const senders = Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < MESSAGES) await sendOne(next++);
        }),
      );

      // The chaos: kill at random moments while messages flow, restart on the same data dir and port.
      for (let k = 0; k < KILLS; k++) {
        await new Promise((r) => setTimeout(r, 500 + Math.random() * 1500));
        await child.kill('SIGKILL');
        child = await startChildHookbase(env, port);
      }
      await senders;
      expect(messageIds.size).toBe(MESSAGES);

      const final = await eventually(
        async () => {
          const { data } = await new Hookbase({ apiKey, baseUrl, retries: 2 }).messages.listAllOutbound(app.id, {});
          const settled = data.filter((o) => o.status === 'success' || o.status === 'exhausted');
          return settled.length === MESSAGES ? data : undefined;
        },
        90_000,
        500,
      );
      // One delivery per message: the eventId replays fanned out nothing new.
      expect(final).toHaveLength(MESSAGES);
      expect(new Set(final.map((o) => o.messageId)).size).toBe(MESSAGES);
      for (const o of final.filter((o) => o.status === 'success')) expect(delivered.has(o.messageId)).toBe(true);
      expect(final.filter((o) => o.status === 'success').length).toBeGreaterThan(MESSAGES * 0.99);
    } finally {
      await receiver.close();
    }
  }, 180_000);
});
