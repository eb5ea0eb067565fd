import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { JsonObject } from '../domain/json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';
import { appAnswers } from './readModelAnswers';

type Verify = { clean: boolean; checkedDocuments: number; differences: { collection: string; id: string; field: string; expected: unknown; found: unknown }[] };
type ExportLine = { stream: string; revision: string; position: string; type: string; recordedAt: string; data: JsonObject; metadata: JsonObject };

// The auditor's tools: the drift check and the export of an application's history (issue 12 item 3).
describe('audit verify and export', () => {
  let hb: TestHookbase;
  let receiver: Receiver;
  let appId = '';
  let otherAppId = '';
  let endpointId = '';

  beforeAll(async () => {
    hb = await startTestHookbase();
    receiver = await startReceiver();
    await hb.sdk.eventTypes.create({ name: 'audit.event' });
    appId = (await hb.sdk.applications.create({ name: 'Audited' })).id;
    otherAppId = (await hb.sdk.applications.create({ name: 'Someone else' })).id;
    endpointId = (await hb.sdk.endpoints.create(appId, { url: receiver.url })).id;
    await hb.sdk.endpoints.create(otherAppId, { url: receiver.url });
    for (let i = 0; i < 5; i++) await hb.sdk.messages.send(appId, { eventType: 'audit.event', payload: { i } });
    await hb.sdk.messages.send(otherAppId, { eventType: 'audit.event', payload: { other: true } });
    await receiver.waitFor(6);
    // Every delivery recorded in the read models.
    await eventually(async () => (await appAnswers(hb, appId)).outbound.every((o) => o.status === 'success'));
  });
  afterAll(async () => {
    await hb?.stop();
    await receiver?.close();
  });

  it('exports the application history as JSON Lines in commit order, and the export replays to the same answers', async () => {
    const res = await fetch(`${hb.url}/v1/admin/audit/export/${appId}`, { headers: { authorization: `Bearer ${hb.apiKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as ExportLine);
    const positions = lines.map((l) => BigInt(l.position));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(positions).size).toBe(positions.length);
    expect(lines[0]).toMatchObject({ stream: `application-${appId}`, revision: '0', type: 'ApplicationCreated' });
    const types = new Set(lines.map((l) => l.type));
    for (const t of ['EndpointCreated', 'MessageSent', 'AttemptSucceeded']) expect(types).toContain(t);
    expect(lines.filter((l) => l.type === 'MessageSent')).toHaveLength(5);
    // Nothing of the other application.
    expect(text).not.toContain(otherAppId);
    expect((await hb.request('GET', '/v1/admin/audit/export/app_doesnotexist')).status).toBe(404);

    const replayed = await startTestHookbase({ roles: ['api', 'projections'] });
    try {
      for (const line of lines) {
        await replayed.events.appendToStream(line.stream, [{ type: line.type, data: line.data, metadata: line.metadata }], { expectedRevision: line.revision === '0' ? 'no_stream' : BigInt(line.revision) - 1n });
      }
      const expected = await appAnswers(hb, appId);
      const answers = await eventually(async () => {
        const got = await appAnswers(replayed, appId).catch(() => undefined);
        return got && got.outbound.length === expected.outbound.length && got.outbound.every((o) => o.status === 'success') ? got : undefined;
      });
      expect(answers.messages).toHaveLength(5);
      expect(answers).toEqual(expected);
    } finally {
      await replayed.stop();
    }
  });

  it('is clean on a healthy store, then names the document and field changed behind the projections', async () => {
    const healthy = await hb.request('POST', '/v1/admin/audit/verify', {});
    expect(healthy.status).toBe(200);
    const report = healthy.body as Verify;
    expect(report.differences).toEqual([]);
    expect(report.clean).toBe(true);
    // 2 applications, 2 endpoints, 6 messages, 6 deliveries, at least.
    expect(report.checkedDocuments).toBeGreaterThanOrEqual(16);

    const db = new Database(join(hb.dataDir, 'read-models.db'));
    db.pragma('busy_timeout = 5000');
    const before = db.prepare('SELECT json(doc) AS doc FROM rm_endpoints WHERE id = ?').get(endpointId) as { doc: string };
    const url = (JSON.parse(before.doc) as { url: string }).url;
    db.prepare("UPDATE rm_endpoints SET doc = json_set(doc, '$.url', 'https://drifted.example/hook') WHERE id = ?").run(endpointId);
    db.close();

    const drifted = (await hb.request('POST', '/v1/admin/audit/verify', {})).body as Verify;
    expect(drifted.clean).toBe(false);
    expect(drifted.differences).toEqual([{ collection: 'endpoints', id: endpointId, field: 'url', expected: url, found: 'https://drifted.example/hook' }]);
  });
});
