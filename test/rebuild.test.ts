import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';
import { appAnswers } from './readModelAnswers';

type Job = { jobId: string; names: string[]; state: string; position: string | null; headPosition: string | null; processedEvents: number; eventsPerSecond: number; etaSeconds: number | null; error: string | null };

/** Seconds of steady sends during the rebuild (issue 12: 20). */
const SEND_SECONDS = Number(process.env.HOOKBASE_REBUILD_TEST_SECONDS ?? 20);
const SENDS_PER_SECOND = 20;

// Issue 12 item 2: read models rebuilt from the start of $all while the API keeps serving, swapped in atomically.
describe('zero-downtime rebuild', () => {
  let hb: TestHookbase;
  let receiver: Receiver;
  let appId = '';

  beforeAll(async () => {
    hb = await startTestHookbase();
    receiver = await startReceiver();
    await hb.sdk.eventTypes.create({ name: 'rebuild.event' });
    appId = (await hb.sdk.applications.create({ name: 'Rebuilt' })).id;
    await hb.sdk.endpoints.create(appId, { url: receiver.url });
    for (let i = 0; i < 20; i++) await hb.sdk.messages.send(appId, { eventType: 'rebuild.event', payload: { before: i } });
    await eventually(async () => {
      const answers = await appAnswers(hb, appId);
      return answers.outbound.length === 20 && answers.outbound.every((o) => o.status === 'success');
    });
  });
  afterAll(async () => {
    await hb?.stop();
    await receiver?.close();
  });

  const job = async (jobId: string): Promise<Job> => {
    const res = await hb.request('GET', `/v1/admin/projections/rebuild/${jobId}`);
    expect(res.status).toBe(200);
    return res.body as Job;
  };

  const untilFinished = async (jobId: string, seen: Set<string>): Promise<Job> =>
    eventually(
      async () => {
        const j = await job(jobId);
        seen.add(j.state);
        return j.state === 'done' || j.state === 'failed' ? j : undefined;
      },
      60_000,
      100,
    );

  it(`rebuilds every read model under ${SEND_SECONDS} s of steady sends with no failed request, and the answers stay`, async () => {
    const before = await appAnswers(hb, appId);
    // A document no event explains: the rebuilt read models must not have it.
    const db = new Database(join(hb.dataDir, 'read-models.db'));
    db.pragma('busy_timeout = 5000');
    const copied = db.prepare('SELECT json(doc) AS doc FROM rm_messages WHERE id = ?').get(before.messages[0]?.id) as { doc: string };
    const planted = { ...(JSON.parse(copied.doc) as object), id: 'msg_planted_by_test' };
    db.prepare('INSERT INTO rm_messages (id, doc) VALUES (?, ?)').run(planted.id, JSON.stringify(planted));
    db.close();

    const failures: string[] = [];
    const sent: string[] = [];
    const inFlight: Promise<void>[] = [];
    const sendOne = async (n: number): Promise<void> => {
      const res = await hb.request('POST', `/v1/applications/${appId}/messages`, { eventType: 'rebuild.event', payload: { during: n } });
      if (res.status !== 202 && res.status !== 201) return void failures.push(`send ${n}: ${res.status} ${res.text}`);
      const id = (res.body as { id: string }).id;
      sent.push(id);
      // Read-your-writes through the swap.
      const read = await hb.request('GET', `/v1/applications/${appId}/messages/${id}`);
      if (read.status !== 200) failures.push(`read ${id}: ${read.status} ${read.text}`);
    };
    const started = Date.now();
    const total = SEND_SECONDS * SENDS_PER_SECOND;
    const sending = (async () => {
      for (let n = 0; n < total; n++) {
        const due = started + (n * 1000) / SENDS_PER_SECOND;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        inFlight.push(sendOne(n));
      }
      await Promise.all(inFlight);
    })();

    await new Promise((r) => setTimeout(r, 1_000));
    const requested = await hb.request('POST', '/v1/admin/projections/rebuild', {});
    expect(requested.status).toBe(202);
    const { jobId } = requested.body as { jobId: string };
    const second = await hb.request('POST', '/v1/admin/projections/rebuild', { names: ['messages'] });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: { code: 'rebuild_in_progress' } });
    const states = new Set<string>();
    const full = await untilFinished(jobId, states);
    expect(full).toMatchObject({ state: 'done', error: null });
    expect(full.names).toContain('messages');
    expect(full.processedEvents).toBeGreaterThan(60);
    expect(full.position).not.toBeNull();
    expect(BigInt(full.position!.split('/')[0] ?? '0')).toBeGreaterThan(0n);

    // The drift check under load: only the planted document is named, never a batch committed meanwhile.
    const underLoad = (await hb.request('POST', '/v1/admin/audit/verify', {})).body as { clean: boolean; differences: { id: string }[] };
    expect(underLoad).toMatchObject({ clean: true, differences: [] });

    // A second rebuild, of two projections only, while the sends go on.
    const subset = await hb.request('POST', '/v1/admin/projections/rebuild', { names: ['messages', 'outbound'] });
    expect(subset.status).toBe(202);
    const partial = await untilFinished((subset.body as { jobId: string }).jobId, states);
    expect(partial).toMatchObject({ state: 'done', names: ['messages', 'outbound'] });

    await sending;
    expect(failures).toEqual([]);
    expect(sent).toHaveLength(total);

    const after = await eventually(async () => {
      const answers = await appAnswers(hb, appId);
      return answers.outbound.length === 20 + total && answers.outbound.every((o) => o.status === 'success') ? answers : undefined;
    }, 60_000);
    expect(after.application).toEqual(before.application);
    expect(after.endpoints).toEqual(before.endpoints);
    const beforeIds = new Set(before.messages.map((m) => m.id));
    expect(after.messages.filter((m) => beforeIds.has(m.id))).toEqual(before.messages);
    expect(after.messages.map((m) => m.id)).not.toContain('msg_planted_by_test');
    expect(new Set(after.messages.filter((m) => !beforeIds.has(m.id)).map((m) => m.id))).toEqual(new Set(sent));
    const outboundBefore = new Set(before.outbound.map((o) => o.id));
    expect(after.outbound.filter((o) => outboundBefore.has(o.id))).toEqual(before.outbound);

    const verify = await hb.request('POST', '/v1/admin/audit/verify', {});
    expect(verify.body).toMatchObject({ clean: true, differences: [] });
    const status = (await hb.request('GET', '/v1/admin/projections')).body as { name: string }[];
    expect(status.map((s) => s.name)).toContain('messages');
  }, 120_000);

  it('refuses an unknown projection name, naming the field', async () => {
    const res = await hb.request('POST', '/v1/admin/projections/rebuild', { names: ['nope'] });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain('names');
    expect((await hb.request('GET', '/v1/admin/projections/rebuild/rbj_unknown')).status).toBe(404);
  });
});

// The rebuild runs where the projections lease is: an API-only process records the request in the operational store.
describe('a rebuild requested from an API-only process', () => {
  it('is run by the projections process on the same data dir, and its progress is read back from the API', async () => {
    const receiver = await startReceiver();
    const projections = await startTestHookbase({ roles: ['projections', 'dispatcher'] });
    const api = await startTestHookbase({ roles: ['api'], dataDir: projections.dataDir, apiKey: projections.apiKey });
    try {
      await api.sdk.eventTypes.create({ name: 'split.event' });
      const appId = (await api.sdk.applications.create({ name: 'Split' })).id;
      await api.sdk.endpoints.create(appId, { url: receiver.url });
      for (let i = 0; i < 10; i++) await api.sdk.messages.send(appId, { eventType: 'split.event', payload: { i } });
      // A message answers with its deliveries' status: compare once they all ended.
      const before = await eventually(async () => {
        const answers = await appAnswers(api, appId);
        // The messages list is read before the outbound list: both must show every delivery ended.
        const messagesEnded = answers.messages.every((m) => (m.outbound as { status: string }[] | undefined)?.every((o) => o.status === 'success') ?? false);
        return answers.outbound.length === 10 && answers.outbound.every((o) => o.status === 'success') && messagesEnded ? answers : undefined;
      });
      expect((await api.request('GET', '/v1/admin/projections')).status).toBe(404);
      const requested = await api.request('POST', '/v1/admin/projections/rebuild', { names: ['messages'] });
      expect(requested.status).toBe(202);
      const jobId = (requested.body as { jobId: string }).jobId;
      const done = await eventually(async () => {
        const j = (await api.request('GET', `/v1/admin/projections/rebuild/${jobId}`)).body as Job;
        return j.state === 'done' || j.state === 'failed' ? j : undefined;
      }, 30_000);
      expect(done).toMatchObject({ state: 'done', names: ['messages'], error: null });
      const sent = await api.sdk.messages.send(appId, { eventType: 'split.event', payload: { after: true } });
      expect((await api.request('GET', `/v1/applications/${appId}/messages/${sent.id}`)).status).toBe(200);
      const after = await appAnswers(api, appId);
      expect(after.messages.filter((m) => m.id !== sent.id)).toEqual(before.messages);
      expect(after.outbound.filter((o) => o.messageId !== sent.id)).toEqual(before.outbound);
      expect((await api.request('POST', '/v1/admin/audit/verify', {})).body).toMatchObject({ clean: true });
    } finally {
      await api.stop({ keepData: true });
      await projections.stop();
      await receiver.close();
    }
  }, 60_000);
});
