import { Hookbase } from '@hookbase/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { projectionLeaseHolder } from '../../projections/leadership';
import { eventually, startReceiver } from '../harness';
import { LAYOUTS, openLayout } from './layouts';
import type { Layout } from './layouts';

/** `promise`, or a rejection saying `what` after `ms` (the test's own timeout would skip the diagnostics below). */
const within = async <T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what())), ms)))]);
  } finally {
    clearTimeout(timer);
  }
};

/** Sized for CI (test/multiProcess.test.ts sends 2,000 on the embedded store): the run fits in about two minutes. */
const MESSAGES = 300;
const SENDERS = 32;

/**
 * Issue 16 item 3 on each production layout: 2 API, 2 dispatcher and 2 projections processes (`npm start` as child
 * processes) on the wire servers. MESSAGES go through both APIs to a real receiver; a dispatcher and the active
 * projections process are SIGKILLed midway. Every message arrives (counted by webhook-id: nothing lost), the
 * duplicates are counted and printed, the standby takes over, and what one API answered the other reads at once.
 */
for (const name of LAYOUTS) {
  describe(`several processes on the ${name} layout`, () => {
    let layout: Layout | undefined;
    afterAll(async () => {
      await layout?.stop();
    });

    it('delivers every message through a dispatcher and the active projections process SIGKILLed midway', async () => {
      layout = await openLayout(name, { HOOKBASE_RETRY_SCHEDULE: '100ms,200ms,500ms,1s,1s' });
      const started = layout;
      const deliveries = new Map<string, number>();
      let lastDeliveryAt = Date.now();
      const receiver = await startReceiver((hook, res) => {
        const id = String(hook.headers['webhook-id']);
        lastDeliveryAt = Date.now();
        deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
        res.end('ok');
      });
      const ops = await started.openOps();
      const t0 = Date.now();
      const phases: string[] = [];
      const phase = (what: string): void => {
        phases.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        console.log(`production multi-process [${name}]: ${phases.at(-1) ?? what}`);
      };
      try {
        // One projections process takes the lease (the first, unless a loaded machine starved its renewals); the other stands by.
        // Two at a time: each child boots tsx, which on a shared 2-core machine takes seconds.
        const [first, apiA] = await Promise.all([started.start('projections'), started.start('api')]);
        const [second, apiB] = await Promise.all([started.start('projections'), started.start('api')]);
        const [dispatcher1] = await Promise.all([started.start('dispatcher'), started.start('dispatcher')]);
        phase('started');
        const holder = (await projectionLeaseHolder(ops))?.owner ?? '';
        const [projections1, projections2] = holder.includes(`:${second.process.pid}:`) ? [second, first] : [first, second];
        expect(holder).toContain(`:${projections1.process.pid}:`);

        const a = new Hookbase({ apiKey: started.apiKey, baseUrl: apiA.url, retries: 0 });
        const b = new Hookbase({ apiKey: started.apiKey, baseUrl: apiB.url, retries: 0 });

        // Read-your-writes across APIs: what one answered, the other reads at once.
        const app = await a.applications.create({ name: 'Multi', uid: 'multi' });
        expect((await b.applications.get(app.id)).id).toBe(app.id);
        await b.eventTypes.create({ name: 'multi.event' });
        const endpoint = await b.endpoints.create(app.id, { url: receiver.url });
        expect((await a.endpoints.get(app.id, endpoint.id)).url).toBe(receiver.url);
        for (let i = 1; i <= 3; i++) {
          await a.applications.update(app.id, { name: `Multi ${i}` });
          expect((await b.applications.get(app.id)).name).toBe(`Multi ${i}`);
        }
        // The same eventId sent to both APIs at once: one message.
        const [viaA, viaB] = await Promise.all([
          a.messages.send(app.id, { eventType: 'multi.event', payload: { twin: true }, eventId: 'twin' }),
          b.messages.send(app.id, { eventType: 'multi.event', payload: { twin: true }, eventId: 'twin' }),
        ]);
        expect(viaA.id).toBe(viaB.id);
        phase('setup');

        const messageIds = new Set<string>();
        let next = 0;
        let failedSends = 0;
        let lastSendError = '';
        const sendOne = async (i: number): Promise<void> => {
          const sdk = i % 2 === 0 ? a : b;
          for (;;) {
            try {
              messageIds.add((await sdk.messages.send(app.id, { eventType: 'multi.event', payload: { i }, eventId: `multi-${i}` })).id);
              return;
            } catch (error) {
              failedSends++;
              lastSendError = error instanceof Error ? error.message : String(error);
              await new Promise((r) => setTimeout(r, 50));
            }
          }
        };
        const senders = Promise.all(
          Array.from({ length: SENDERS }, async () => {
            while (next < MESSAGES) await sendOne(next++);
          }),
        );

        // Midway: SIGKILL a dispatcher and the projections process that holds the lease.
        await eventually(async () => deliveries.size >= MESSAGES * 0.3, 45_000, 20);
        const killedAt = Date.now();
        await Promise.all([dispatcher1.kill('SIGKILL'), projections1.kill('SIGKILL')]);
        phase('killed');
        const takenOver = await eventually(
          async () => ((await projectionLeaseHolder(ops))?.owner.includes(`:${projections2.process.pid}:`) ? Date.now() - killedAt : undefined),
          15_000,
          50,
        );
        phase('taken over');
        await within(senders, 60_000, () => `the sends did not finish within 60 s of the takeover (${next} of ${MESSAGES} started, ${failedSends} failed, last: ${lastSendError})`);
        phase('sent');
        expect(messageIds.size).toBe(MESSAGES);

        // A due delivery the killed dispatcher had claimed (a first attempt handed to the due-queue when its endpoint
        // did not keep up, which a loaded machine makes likely) waits for that claim's lease to expire (60 s,
        // dispatcher/config.ts `leaseMs`) before another dispatcher takes it: that is the recovery time, so wait past it.
        await eventually(async () => deliveries.size >= MESSAGES + 1, 90_000, 100).catch(() => undefined);
        const lost = [...messageIds, viaA.id].filter((id) => !deliveries.has(id)).length;
        const duplicates = [...deliveries.values()].filter((n) => n > 1).length;
        phase(`delivered (the last one arrived at ${((lastDeliveryAt - t0) / 1000).toFixed(1)} s)`);
        console.log(
          `production multi-process [${name}]: ${MESSAGES + 1} messages, 2 kills (a dispatcher and the active projections process, SIGKILL), ` +
            `${lost} lost, ${duplicates} delivered twice, standby took over ${takenOver} ms after the kill, ${failedSends} sends retried; ${phases.join(', ')}`,
        );
        expect(lost).toBe(0);

        // The read models are exact, as either API reads them.
        const outbound = await eventually(
          async () => {
            const { data } = await b.messages.listAllOutbound(app.id, {});
            return data.length === MESSAGES + 1 && data.every((o) => o.status === 'success') ? data : undefined;
          },
          20_000,
          250,
        );
        expect(new Set(outbound.map((o) => o.messageId)).size).toBe(MESSAGES + 1);
        expect((await a.messages.listAll(app.id, {})).data).toHaveLength(MESSAGES + 1);

        // After the takeover, read-your-writes still holds across processes.
        const late = await b.endpoints.create(app.id, { url: `${receiver.url}?late` });
        expect((await a.endpoints.get(app.id, late.id)).id).toBe(late.id);
        // Duplicates only for attempts in flight at the kill: at most the killed dispatcher's endpoint concurrency.
        expect(duplicates).toBeLessThanOrEqual(32);
      } catch (error) {
        // What each process said last: the failure's story (the children are killed by afterAll).
        for (const child of started.children()) console.log(`--- ${child.url} (pid ${child.process.pid}):\n${child.output().split('\n').filter((l) => !l.includes('change stream')).slice(-12).join('\n')}`);
        throw error;
      } finally {
        await receiver.close();
      }
    }, 400_000);
  });
}
