import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectErrorBody } from '../test/apiAssertions';
import type { Res } from '../test/apiAssertions';
import { startReceiver, startTestHookbase } from '../test/harness';
import type { Receiver, TestHookbase } from '../test/harness';

// Issue 17: a send answers once its event is durable, without waiting for the projections; a read of what it
// wrote waits instead — for the position its answer carries (Hookbase-Consistency-Token), or, for a message or
// delivery fetched by id that is not there yet, for the newest position this process appended.
// The API runs alone on a data dir whose projections process is stopped: nothing is projected until it restarts.

const TOKEN = 'hookbase-consistency-token';

let dataDir: string;
let apiKey: string;
let api: TestHookbase;
let projections: TestHookbase | null = null;
let receiver: Receiver;

const startProjections = async (): Promise<void> => {
  projections = await startTestHookbase({ roles: ['projections'], dataDir, apiKey });
};
const stopProjections = async (): Promise<void> => {
  await projections?.stop({ keepData: true });
  projections = null;
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hookbase-read-after-send-'));
  apiKey = `test_key_${randomBytes(16).toString('hex')}`;
  receiver = await startReceiver();
  await startProjections();
  api = await startTestHookbase({ roles: ['api'], dataDir, apiKey });
});

afterAll(async () => {
  await api?.stop({ keepData: true });
  await stopProjections();
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs `read` now and tells whether it has answered yet. */
const track = (read: () => Promise<Res>) => {
  const state = { done: false };
  const answer = read().finally(() => {
    state.done = true;
  });
  return { state, answer };
};

describe('read after send (projections stopped while sending)', () => {
  it('202 without waiting for the projections; reads by token or by id wait until the message is projected', async () => {
    // Set-up commands wait for their writes to be projected: the projections still run.
    const type = `order.created.${randomBytes(3).toString('hex')}`;
    expect((await api.request('POST', '/v1/event-types', { name: type })).status).toBe(201);
    const app = (await api.request('POST', '/v1/applications', { name: 'reads its sends' })).body as { id: string };
    const endpoint = await api.request('POST', `/v1/applications/${app.id}/endpoints`, { url: receiver.url });
    expect(endpoint.status, endpoint.text).toBe(201);
    const endpointId = (endpoint.body as { id: string }).id;

    await stopProjections();

    // Sends answer from the append (before this change each waited its 5 s bounded wait for the projections here).
    const started = Date.now();
    const sent = await api.request('POST', `/v1/applications/${app.id}/messages`, { eventType: type, payload: { n: 1 } });
    const compatSent = await api.request('POST', '/api/send-event', { applicationId: app.id, eventType: type, payload: { n: 2 } });
    const second = await api.request('POST', `/v1/applications/${app.id}/messages`, { eventType: type, payload: { n: 3 } });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(sent.status, sent.text).toBe(202);
    expect(compatSent.status, compatSent.text).toBe(202);
    expect(second.status, second.text).toBe(202);
    const message = sent.body as { id: string; outbound: { id: string; endpointId: string; status: string }[] };
    expect(message.outbound).toEqual([{ id: expect.stringMatching(/^out_/), endpointId, status: 'pending' }]);
    // The compat answer names the endpoints it fanned out to, from the append too.
    expect((compatSent.body as { data: unknown }).data).toMatchObject({ messagesQueued: 1, endpoints: [{ id: endpointId, url: receiver.url }] });
    const token = sent.headers.get(TOKEN);
    expect(token).toMatch(/^\d+\/\d+$/);
    expect(compatSent.headers.get(TOKEN)).toMatch(/^\d+\/\d+$/);

    // Reads wait: by the token (any API process), and on the process that sent, every read (a list, a message or a
    // delivery by id) waits for that process's newest append. Nothing is projected until the projections restart.
    const reads = {
      byToken: track(() => api.request('GET', `/v1/applications/${app.id}/messages`, undefined, { [TOKEN]: token ?? '' })),
      list: track(() => api.request('GET', `/v1/applications/${app.id}/messages`)),
      byId: track(() => api.request('GET', `/v1/applications/${app.id}/messages/${(second.body as { id: string }).id}`)),
      outboundById: track(() => api.request('GET', `/v1/applications/${app.id}/outbound/${message.outbound[0]?.id ?? ''}`)),
    };
    const issuedAt = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    expect(Object.values(reads).map((r) => r.state.done)).toEqual([false, false, false, false]);

    await startProjections();
    const restartedAfterMs = Date.now() - issuedAt;
    const answers = await Promise.all(Object.values(reads).map((r) => r.answer));
    const [list, unfiltered, one, delivery] = answers;
    const found = list?.status === 200 && (list.body as { data: { id: string }[] }).data.some((m) => m.id === message.id);
    const allFound =
      found &&
      (unfiltered?.body as { data: { id: string }[] }).data.some((m) => m.id === message.id) &&
      one?.status === 200 &&
      delivery?.status === 200;
    if (!allFound) {
      // Each wait is bounded (5 s): only a restart slower than that on a loaded machine lets a read answer first
      // (the token's read waits twice, for the token and for this process's own appends, so it may still find it).
      expect(restartedAfterMs, `a read answered without the message: ${list?.text} / ${unfiltered?.text} / ${one?.status} / ${delivery?.status}`).toBeGreaterThan(4_500);
    } else {
      expect((unfiltered?.body as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(expect.arrayContaining([message.id, (second.body as { id: string }).id]));
      expect(one?.status, one?.text).toBe(200);
      expect(one?.body).toMatchObject({ id: (second.body as { id: string }).id, payload: { n: 3 } });
      expect(delivery?.status, delivery?.text).toBe(200);
      expect(delivery?.body).toMatchObject({ id: message.outbound[0]?.id, messageId: message.id, endpointId });
    }
    // Once projected, the same reads answer at once.
    const again = await api.request('GET', `/v1/applications/${app.id}/messages/${message.id}`, undefined, { [TOKEN]: token ?? '' });
    expect(again.status, again.text).toBe(200);

    // A message that does not exist is still a 404, at once now that the projections caught up.
    expectErrorBody(await api.request('GET', `/v1/applications/${app.id}/messages/msg_00000000000000000000000000`), 404, 'message_not_found');
  });

  it('a token that is not one of ours is refused, naming the header', async () => {
    const res = await api.request('GET', '/v1/applications', undefined, { [TOKEN]: 'yesterday' });
    expectErrorBody(res, 422, 'validation_failed', { field: 'Hookbase-Consistency-Token', rule: 'consistency_token' });
  });
});
