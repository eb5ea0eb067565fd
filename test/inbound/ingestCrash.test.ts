import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startChildHookbase } from '../child';
import type { ChildHookbase } from '../child';
import { eventually, startReceiver } from '../harness';

// SIGKILL during ingest (issue 19): every event answered 2xx is in the log after a restart and is delivered; a
// payload_hash dedup still holds for them after the restart.
describe('inbound ingest and SIGKILL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-inbound-crash-'));
  const apiKey = `crash_key_${randomBytes(12).toString('hex')}`;
  const env = { HOOKBASE_DATA_DIR: dataDir, HOOKBASE_API_KEY: apiKey, HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'true' };
  let child: ChildHookbase | null = null;

  afterAll(async () => {
    await child?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(url, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('loses no event answered 2xx, delivers each once restarted, and still knows the duplicates', async () => {
    const receiver = await startReceiver();
    try {
      const port = await freePort();
      child = await startChildHookbase(env, port);
      const source = await call('POST', `${child.url}/v1/sources`, { name: 'Crash source', provider: 'generic', dedupStrategy: 'payload_hash' });
      const destination = await call('POST', `${child.url}/v1/destinations`, { name: 'Receiver', url: receiver.url, retryInterval: 1 });
      await call('POST', `${child.url}/v1/routes`, { name: 'All', sourceId: source.body.id, destinationId: destination.body.id });
      const ingestPath = new URL(String(source.body.ingestUrl)).pathname;

      // 120 posts, 8 at a time; the process is killed once 40 were answered.
      const answered = new Map<number, string>();
      let next = 0;
      const killed = (async () => {
        await eventually(async () => answered.size >= 40, 30_000, 5);
        await child!.kill('SIGKILL');
      })();
      const worker = async (): Promise<void> => {
        while (next < 120) {
          const n = next++;
          try {
            const res = await fetch(`${child!.url}${ingestPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
            if (res.status >= 200 && res.status < 300) answered.set(n, String(((await res.json()) as { id: string }).id));
          } catch {
            // the process died under this request: not answered, so not promised
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      await killed;
      expect(answered.size).toBeGreaterThanOrEqual(40);

      child = await startChildHookbase(env, port);
      for (const [n, id] of answered) {
        const event = await call('GET', `${child.url}/v1/inbound-events/${id}`);
        expect({ n, status: event.status }).toEqual({ n, status: 200 });
      }
      // Every answered event reaches the destination. A delivery the killed dispatcher had claimed is leased to it for
      // the dispatcher's 60 s lease (dispatcher/leases.ts, as for outbound retries): the wait goes past it.
      const delivered = await eventually(async () => {
        const seen = new Set(receiver.received.map((r) => (JSON.parse(r.body) as { n: number }).n));
        return [...answered.keys()].every((n) => seen.has(n)) ? seen : undefined;
      }, 80_000, 200);
      expect([...answered.keys()].filter((n) => !delivered.has(n))).toEqual([]);
      // Dedup by payload hash survived: the same bytes again are a duplicate of the event answered before the kill.
      const [n, id] = [...answered.entries()][0]!;
      const again = await fetch(`${child.url}${ingestPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
      expect({ status: again.status, body: (await again.json()) as unknown }).toEqual({ status: 200, body: { id, status: 'duplicate', duplicate: true } });
    } finally {
      await receiver.close();
    }
  }, 180_000);
});
