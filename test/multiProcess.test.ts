import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hookbase } from '@hookbase/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { projectionLeaseHolder } from '../projections/leadership';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { freePort, startChildHookbase } from './child';
import type { ChildHookbase } from './child';
import { eventually, startReceiver } from './harness';

const MESSAGES = 2_000;
const SENDERS = 32;

/**
 * Issue 8's first "Done when": 2 API, 2 dispatcher and 2 projections processes (`HOOKBASE_ROLES`) on one data dir.
 * 2,000 messages go through both APIs to a real receiver; a dispatcher and the active projections process are
 * SIGKILLed midway. Every message arrives (counted by webhook-id), the standby projections process takes over,
 * the same eventId sent to both APIs at once is one message, and what one API answered the other reads at once.
 */
describe('several processes on one embedded store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-multi-'));
  const apiKey = `multi_key_${randomBytes(12).toString('hex')}`;
  const env = {
    HOOKBASE_DATA_DIR: dataDir,
    HOOKBASE_API_KEY: apiKey,
    HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'true',
    HOOKBASE_RETRY_SCHEDULE: '100ms,200ms,500ms,1s,1s',
    HOOKBASE_RATE_LIMIT_API: '100000',
    HOOKBASE_RATE_LIMIT_SENDS: '100000',
    HOOKBASE_RATE_LIMIT_PORTAL_TOKENS: '3',
  };
  const children: ChildHookbase[] = [];
  // `inline`: the role on the process's main thread (fewer threads to start on a busy machine); by default on a
  // worker thread of its own, as `npm start` runs it. Both ways are in the mix.
  const start = async (roles: string, backgroundThread: 'worker' | 'inline' = 'worker'): Promise<ChildHookbase> => {
    const child = await startChildHookbase({ ...env, HOOKBASE_ROLES: roles, HOOKBASE_BACKGROUND_THREAD: backgroundThread }, await freePort());
    children.push(child);
    return child;
  };
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers every message through a dispatcher and a projections process SIGKILLed midway', async () => {
    const deliveries = new Map<string, number>();
    const receiver = await startReceiver((hook, res) => {
      const id = String(hook.headers['webhook-id']);
      deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      res.end('ok');
    });
    const ops = SqliteReadStore.open(join(dataDir, 'operational.db'));
    const t0 = Date.now();
    const phases: string[] = [];
    const phase = (name: string): void => void phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    try {
      // The first projections process takes the lease; the second stands by.
      const projections1 = await start('projections');
      const [projections2, apiA, apiB, dispatcher1] = await Promise.all([start('projections', 'inline'), start('api'), start('api'), start('dispatcher'), start('dispatcher', 'inline')]);
      phase('started');
      const holder = await projectionLeaseHolder(ops);
      expect(holder?.owner).toContain(`:${projections1.process.pid}:`);

      const a = new Hookbase({ apiKey, baseUrl: apiA.url, retries: 0 });
      const b = new Hookbase({ apiKey, baseUrl: apiB.url, retries: 0 });

      // A command answered by one API is read back from the other at once, and the next command builds on it.
      const app = await a.applications.create({ name: 'Multi', uid: 'multi' });
      expect((await b.applications.get(app.id)).id).toBe(app.id);
      await b.eventTypes.create({ name: 'multi.event' });
      const endpoint = await b.endpoints.create(app.id, { url: receiver.url });
      expect((await a.endpoints.get(app.id, endpoint.id)).url).toBe(receiver.url);
      // B keeps applications in memory (ReadCache): a change answered by A is what B reads next, at once.
      for (let i = 1; i <= 5; i++) {
        await a.applications.update(app.id, { name: `Multi ${i}` });
        expect((await b.applications.get(app.id)).name).toBe(`Multi ${i}`);
      }

      // The same eventId sent to both APIs at once: one message.
      const [viaA, viaB] = await Promise.all([
        a.messages.send(app.id, { eventType: 'multi.event', payload: { twin: true }, eventId: 'twin' }),
        b.messages.send(app.id, { eventType: 'multi.event', payload: { twin: true }, eventId: 'twin' }),
      ]);
      expect(viaA.id).toBe(viaB.id);

      // The same Idempotency-Key posted to both APIs at once: the request runs once, the other gets its answer.
      const post = (url: string) =>
        fetch(`${url}/v1/applications`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': 'one-key' },
          body: JSON.stringify({ name: 'Once' }),
        });
      const answers = await Promise.all([post(apiA.url), post(apiB.url)]);
      expect(answers.map((r) => r.status)).toEqual([201, 201]);
      const [onceA, onceB] = (await Promise.all(answers.map((r) => r.json()))) as Array<{ id: string }>;
      expect(onceA?.id).toBe(onceB?.id);
      expect(answers.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(1);

      // The same Idempotency-Key on a send to both APIs at once: one message (the key is carried by the append).
      const sendKeyed = (url: string) =>
        fetch(`${url}/v1/applications/${app.id}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': 'one-send-key' },
          body: JSON.stringify({ eventType: 'multi.event', payload: { keyed: true } }),
        });
      const sent = await Promise.all([sendKeyed(apiA.url), sendKeyed(apiB.url)]);
      expect(sent.map((r) => r.status)).toEqual([202, 202]);
      const [sentA, sentB] = (await Promise.all(sent.map((r) => r.json()))) as Array<{ id: string }>;
      expect(sentA?.id).toBe(sentB?.id);
      expect(sent.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(1);

      // A rate limit holds across API processes: 3 portal tokens per application per hour, whichever API is asked.
      await a.portalTokens.create(app.id);
      await b.portalTokens.create(app.id);
      await a.portalTokens.create(app.id);
      await expect(b.portalTokens.create(app.id)).rejects.toMatchObject({ status: 429 });

      // 2,000 messages, alternately through each API; each send retried until answered (the eventId makes it safe).
      const messageIds = new Set<string>();
      let next = 0;
      let failedSends = 0;
      const sendOne = async (i: number): Promise<void> => {
        const sdk = i % 2 === 0 ? a : b;
        for (;;) {
          try {
            messageIds.add((await sdk.messages.send(app.id, { eventType: 'multi.event', payload: { i }, eventId: `multi-${i}` })).id);
            return;
          } catch {
            failedSends++;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      };
      phase('setup');
      const senders = Promise.all(
        Array.from({ length: SENDERS }, async () => {
          while (next < MESSAGES) await sendOne(next++);
        }),
      );

      // Midway: SIGKILL a dispatcher and the projections process that holds the lease.
      await eventually(async () => deliveries.size >= MESSAGES * 0.3, 30_000, 20);
      const killedAt = Date.now();
      await Promise.all([dispatcher1.kill('SIGKILL'), projections1.kill('SIGKILL')]);
      const takenOver = await eventually(
        async () => {
          const lease = await projectionLeaseHolder(ops);
          return lease?.owner.includes(`:${projections2.process.pid}:`) ? Date.now() - killedAt : undefined;
        },
        15_000,
        50,
      );
      await senders;
      phase('sent');
      expect(messageIds.size).toBe(MESSAGES);

      // Every message delivered, counted by webhook-id (the twin's and the keyed send's included).
      await eventually(async () => deliveries.size >= MESSAGES + 2, 45_000, 100);
      for (const id of messageIds) expect(deliveries.has(id)).toBe(true);
      expect(deliveries.has(viaA.id)).toBe(true);
      const duplicates = [...deliveries.values()].filter((n) => n > 1).length;
      phase('delivered');

      // The read models are exact: one delivery per message, all successful, as either API reads them.
      const outbound = await eventually(
        async () => {
          const { data } = await b.messages.listAllOutbound(app.id, {});
          return data.length === MESSAGES + 2 && data.every((o) => o.status === 'success') ? data : undefined;
        },
        20_000,
        250,
      );
      expect(new Set(outbound.map((o) => o.messageId)).size).toBe(MESSAGES + 2);
      expect((await a.applications.listAll()).data).toHaveLength(2);
      const { data: messages } = await a.messages.listAll(app.id, {});
      expect(messages).toHaveLength(MESSAGES + 2);

      // After the takeover, read-your-writes still holds across processes.
      const late = await b.endpoints.create(app.id, { url: `${receiver.url}?late` });
      expect((await a.endpoints.get(app.id, late.id)).id).toBe(late.id);

      console.log(
        `multi-process: ${MESSAGES} messages, standby took over ${takenOver} ms after the kill, ` +
          `${duplicates} delivered twice (attempts in flight at the kill), ${failedSends} sends retried; ${phases.join(', ')}`,
      );
      // Duplicates only for attempts in flight at the kill: at most the killed dispatcher's endpoint concurrency.
      expect(duplicates).toBeLessThanOrEqual(32);
    } finally {
      await ops.close();
      await receiver.close();
    }
  }, 120_000);
});
