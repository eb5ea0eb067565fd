import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, jsonLines, runCli, startCli } from '../cliRun';
import { eventually, startReceiver, startTestHookbase } from '../harness';
import type { Receiver, TestHookbase } from '../harness';

// `hookbase sources|destinations|routes|events|dlq` as child processes against a real server (issue 19, item 6).
describe('hookbase inbound commands', () => {
  let hb: TestHookbase;
  let receiver: Receiver;
  let env: Record<string, string>;
  beforeAll(async () => {
    hb = await startTestHookbase();
    receiver = await startReceiver();
    env = { HOOKBASE_URL: hb.url, HOOKBASE_API_KEY: hb.apiKey };
  });
  afterAll(async () => {
    await hb?.stop();
    await receiver?.close();
  });

  it('creates a source, a destination and a route; an ingested event is listed and shown with its delivery', async () => {
    const [source, destination] = await Promise.all([
      runCli(['sources', 'create', '--name', 'CLI source', '--provider', 'generic', '--json'], env),
      runCli(['destinations', 'create', '--name', 'CLI destination', '--to', receiver.url, '--json'], env),
    ]);
    expect([source.code, destination.code], source.stderr + destination.stderr).toEqual([0, 0]);
    const s = json<{ id: string; ingestUrl: string }>(source);
    const d = json<{ id: string }>(destination);
    const route = await runCli(['routes', 'create', '--name', 'CLI route', '--source', s.id, '--destination', d.id, '--filter', '[{"field":"kind","operator":"equals","value":"cli"}]', '--json'], env);
    expect(route.code, route.stderr).toBe(0);
    expect(json(route)).toMatchObject({ sourceId: s.id, destinationId: d.id, filterConditions: [{ field: 'kind', operator: 'equals', value: 'cli' }] });

    const res = await fetch(s.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"cli"}' });
    const { id } = (await res.json()) as { id: string };
    await receiver.waitFor(1);
    await eventually(async () => ((await hb.request('GET', `/v1/inbound-events/${id}`)).body as { deliveries: { status: string }[] }).deliveries[0]?.status === 'success');
    const [listed, shown, human, dlq] = await Promise.all([
      runCli(['events', 'list', '--source', s.id, '--json'], env),
      runCli(['events', 'get', id, '--json'], env),
      runCli(['sources', 'list'], env),
      runCli(['dlq', 'list', '--json'], env),
    ]);
    expect(json<{ data: { id: string; status: string }[] }>(listed).data).toMatchObject([{ id, status: 'routed' }]);
    expect(json(shown)).toMatchObject({ id, deliveries: [{ status: 'success', destinationId: d.id }] });
    expect(human.stdout).toMatch(/^ID\s+SLUG\s+PROVIDER/);
    expect(human.stdout).toContain(s.ingestUrl);
    expect(json(dlq)).toMatchObject({ data: [] });
    const missing = await runCli(['events', 'get', 'ibe_missing', '--json'], env);
    expect(missing.code).toBe(1);
    expect(json(missing)).toMatchObject({ status: 404, error: { code: 'inbound_event_not_found' } });
  });

  it('listen forwards a source\'s new events to a local URL', async () => {
    const local = await startReceiver();
    const source = json<{ id: string; slug: string; ingestUrl: string }>(await runCli(['sources', 'create', '--name', 'Listened', '--json'], env));
    const child = startCli(['listen', source.slug, '--forward', local.url, '--interval', '100', '--json'], env);
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    try {
      // Listening once it has read the list (it says so on stderr): an event sent after that is forwarded.
      await eventually(async () => err.includes('Listening to listened'), 15_000);
      const res = await fetch(source.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"dev":true}' });
      const { id } = (await res.json()) as { id: string };
      const [forwarded] = await local.waitFor(1, 15_000);
      expect(forwarded).toMatchObject({ body: '{"dev":true}', headers: { 'x-hookbase-event-id': id, 'content-type': 'application/json' } });
      await eventually(async () => out.includes(id));
      expect(jsonLines(out)).toEqual([{ eventId: id, status: 200, error: null }]);
    } finally {
      child.kill('SIGKILL');
      await local.close();
    }
  });

  it('listen forwards every event of a burst larger than a page (100) that arrives between two looks', async () => {
    const local = await startReceiver();
    const source = json<{ id: string; slug: string; ingestUrl: string }>(await runCli(['sources', 'create', '--name', 'Burst', '--json'], env));
    const child = startCli(['listen', source.slug, '--forward', local.url, '--interval', '3000', '--json'], env);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await eventually(async () => err.includes('Listening to burst'), 15_000);
      const BURST = 130;
      const ids: string[] = [];
      for (let i = 0; i < BURST; i += 10) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(10, BURST - i) }, async (_, j) => {
            const res = await fetch(source.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: i + j }) });
            expect(res.status).toBe(202);
            return ((await res.json()) as { id: string }).id;
          }),
        );
        ids.push(...batch);
      }
      const forwarded = await local.waitFor(BURST, 30_000);
      // Each once, and only these (the old listen read the newest 100 only: 30 were never forwarded).
      expect(new Set(forwarded.map((f) => String(f.headers['x-hookbase-event-id'])))).toEqual(new Set(ids));
      expect(forwarded).toHaveLength(BURST);
    } finally {
      child.kill('SIGKILL');
      await local.close();
    }
  }, 60_000);
});
