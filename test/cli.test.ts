import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';
import { json, jsonLines, runCli, startCli } from './cliRun';

// Issue 12 item 1: every client command of `hookbase` as a child process (the package's bin) against a real server.

let hb: TestHookbase;
let receiver: Receiver;
let env: Record<string, string>;
let outDir: string;

beforeAll(async () => {
  receiver = await startReceiver();
  hb = await startTestHookbase();
  env = { HOOKBASE_URL: hb.url, HOOKBASE_API_KEY: hb.apiKey };
  outDir = mkdtempSync(join(tmpdir(), 'hookbase-cli-'));
});

afterAll(async () => {
  await hb?.stop();
  await receiver?.close();
  rmSync(outDir, { recursive: true, force: true });
});

type Key = { id: string; name: string; key?: string; revoked?: boolean };
type App = { id: string; uid: string | null; name: string };
type Endpoint = { id: string; url: string; disabled: boolean; eventTypes: string[]; secret?: string };
type Delivery = { position: string; messageId: string; endpointId: string; eventType: string | null; status: string; responseStatus: number | null; attemptNumber: number };

describe('hookbase (client commands, as child processes)', () => {
  let app: App;
  let endpoint: Endpoint;
  let messageId: string;

  it('keys, apps and event-types: create, list, get, revoke; --json parses; HOOKBASE_URL/HOOKBASE_API_KEY or --url/--api-key', async () => {
    const [key, created, type] = await Promise.all([
      runCli(['keys', 'create', '--name', 'deploy bot', '--json'], env),
      runCli(['apps', 'create', '--name', 'Acme', '--uid', 'acme', '--json'], env),
      runCli(['event-types', 'create', 'invoice.paid', '--description', 'An invoice was paid', '--json'], env),
    ]);
    expect([key.code, created.code, type.code], key.stderr + created.stderr + type.stderr).toEqual([0, 0, 0]);
    const newKey = json<Key>(key);
    expect(newKey).toMatchObject({ id: expect.stringMatching(/^key_/), name: 'deploy bot', key: expect.stringMatching(/^hb_sk_/) });
    app = json<App>(created);
    expect(app).toMatchObject({ id: expect.stringMatching(/^app_/), uid: 'acme', name: 'Acme' });
    expect(json(type)).toMatchObject({ name: 'invoice.paid', description: 'An invoice was paid' });

    // The new key works from the flags alone (no environment); it lists every key but never a key's value.
    const flags = ['--url', hb.url, '--api-key', newKey.key ?? ''];
    const [keys, apps, got, types, humanKeys] = await Promise.all([
      runCli(['keys', 'list', '--json', ...flags]),
      runCli(['apps', 'list', '--json'], env),
      runCli(['apps', 'get', 'acme', '--json'], env),
      runCli(['event-types', 'list', '--json'], env),
      runCli(['keys', 'list'], env),
    ]);
    const keyList = json<{ data: Key[] }>(keys).data;
    expect(keyList.map((k) => k.name)).toEqual(expect.arrayContaining(['deploy bot']));
    expect(keyList.every((k) => k.key === undefined && !JSON.stringify(k).includes('hb_sk_'))).toBe(true);
    expect(json<{ data: App[] }>(apps).data.map((a) => a.id)).toContain(app.id);
    expect(json<App>(got).id).toBe(app.id);
    expect(json<{ data: { name: string }[] }>(types).data.map((t) => t.name)).toEqual(['invoice.paid']);
    expect(humanKeys.stdout).toMatch(/^ID\s+NAME\s+REVOKED\s+CREATEDAT\n/);
    expect(humanKeys.stdout).toContain('deploy bot');

    // Revoked: the key no longer works (a failed call exits 1, with the API's error as JSON).
    const revoked = await runCli(['keys', 'revoke', newKey.id, '--json'], env);
    expect(revoked.code).toBe(0);
    expect(json(revoked)).toEqual({ id: newKey.id, revoked: true });
    const refused = await eventually(async () => {
      const r = await runCli(['apps', 'list', '--json', ...flags]);
      return r.code === 1 ? r : undefined;
    }, 15_000);
    expect(json<{ status: number; error: { code: string } }>(refused)).toMatchObject({ status: 401, error: { code: 'unauthorized' } });
    expect(refused.stderr).toContain('hookbase: The API key is not valid.');
  });

  it('endpoints create/list/disable/enable/recover, send, tail, messages history', async () => {
    // tail from now, started before the send: it must show the attempt as it happens.
    const tail = startCli(['tail', '--app', 'acme', '--count', '1', '--json'], env);
    let tailOut = '';
    let tailErr = '';
    tail.stdout?.on('data', (d: Buffer) => (tailOut += d.toString()));
    tail.stderr?.on('data', (d: Buffer) => (tailErr += d.toString()));
    const tailExit = new Promise<number | null>((resolve) => tail.on('exit', (code) => resolve(code)));

    const created = await runCli(['endpoints', 'create', '--app', 'acme', '--endpoint-url', receiver.url, '--event-types', 'invoice.paid', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    endpoint = json<Endpoint>(created);
    expect(endpoint).toMatchObject({ url: receiver.url, eventTypes: ['invoice.paid'], disabled: false, secret: expect.stringMatching(/^whsec_/) });

    // tail says where it follows from once it knows the head of $all: only then is the send "as it happens".
    await eventually(async () => /^Following deliveries after position \d+\/\d+ of app_/m.test(tailErr), 20_000);
    const sent = await runCli(['send', '--app', 'acme', '--type', 'invoice.paid', '--payload', '{"invoice":"in_1","amount":4200}', '--event-id', 'evt-1', '--json'], env);
    expect(sent.code, sent.stderr).toBe(0);
    const message = json<{ id: string; eventType: string; payload: unknown; outbound: { endpointId: string }[] }>(sent);
    messageId = message.id;
    expect(message).toMatchObject({ eventType: 'invoice.paid', payload: { invoice: 'in_1', amount: 4200 }, outbound: [{ endpointId: endpoint.id }] });
    await receiver.waitFor(1);

    expect(await tailExit).toBe(0);
    const [shown] = jsonLines<Delivery>(tailOut);
    expect(shown).toMatchObject({ messageId, endpointId: endpoint.id, eventType: 'invoice.paid', status: 'success', responseStatus: 200, attemptNumber: 1 });

    const [history, humanHistory, list, disabled] = await Promise.all([
      runCli(['messages', 'history', messageId, '--app', 'acme', '--json'], env),
      runCli(['messages', 'history', messageId, '--app', app.id], env),
      runCli(['endpoints', 'list', '--app', 'acme', '--json'], env),
      runCli(['endpoints', 'disable', endpoint.id, '--app', 'acme', '--json'], env),
    ]);
    const timeline = json<{ data: { position: string; stream: string; type: string }[] }>(history).data;
    expect(timeline.map((e) => e.type)).toEqual(['MessageSent', 'AttemptSucceeded']);
    expect(timeline[1]?.position).toBe(shown?.position.split('/')[0]);
    expect(Number(timeline[0]?.position)).toBeLessThan(Number(timeline[1]?.position));
    // The human timeline: one line per event, its position first.
    const lines = humanHistory.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^\\s*${timeline[0]?.position}\\s.*message-${messageId}@0\\s+MessageSent`));
    expect(lines[1]).toMatch(/AttemptSucceeded .*responseStatus=200/);
    expect(json<{ data: Endpoint[] }>(list).data.map((e) => e.id)).toEqual([endpoint.id]);
    expect(json<Endpoint>(disabled).disabled).toBe(true);

    const [enabled, recovered] = await Promise.all([
      runCli(['endpoints', 'enable', endpoint.id, '--app', 'acme', '--json'], env),
      runCli(['endpoints', 'recover', endpoint.id, '--app', 'acme', '--since', new Date(Date.now() - 3_600_000).toISOString(), '--json'], env),
    ]);
    expect(json<Endpoint>(enabled).disabled).toBe(false);
    expect(json(recovered)).toEqual({ requeued: 0 }); // nothing failed to it
  });

  it('audit verify (clean, then naming the drifted field, exit 1), audit export (JSON Lines with positions)', async () => {
    const file = join(outDir, 'acme.jsonl');
    const [clean, exported, toFile] = await Promise.all([
      runCli(['audit', 'verify', '--json'], env),
      runCli(['audit', 'export', 'acme'], env),
      runCli(['audit', 'export', app.id, '--out', file, '--json'], env),
    ]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(json(clean)).toMatchObject({ clean: true, differences: [] });
    const events = jsonLines<{ stream: string; position: string; type: string }>(exported.stdout);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['ApplicationCreated', 'EndpointCreated', 'MessageSent', 'AttemptSucceeded']));
    const positions = events.map((e) => BigInt(e.position.split('/')[0] ?? ''));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(json(toFile)).toEqual({ file, lines: events.length });
    expect(readFileSync(file, 'utf8')).toBe(exported.stdout);

    const db = new Database(join(hb.dataDir, 'read-models.db'));
    db.pragma('busy_timeout = 5000');
    db.prepare("UPDATE rm_endpoints SET doc = json_set(doc, '$.url', 'https://drifted.example/hook') WHERE id = ?").run(endpoint.id);
    db.close();
    const [driftedJson, driftedHuman] = await Promise.all([runCli(['audit', 'verify', '--json'], env), runCli(['audit', 'verify'], env)]);
    expect(driftedJson.code).toBe(1);
    expect(json<{ clean: boolean; differences: unknown[] }>(driftedJson)).toMatchObject({
      clean: false,
      differences: [{ collection: 'endpoints', id: endpoint.id, field: 'url', expected: receiver.url, found: 'https://drifted.example/hook' }],
    });
    expect(driftedHuman.code).toBe(1);
    expect(driftedHuman.stdout).toMatch(new RegExp(`endpoints\\s+${endpoint.id}\\s+url\\s+${receiver.url.replace(/[/.]/g, '\\$&')}\\s+https://drifted.example/hook`));
  });

  it('projections status and rebuild (plain progress lines without a terminal; the drift is gone after it)', async () => {
    const status = await runCli(['projections', 'status', '--json'], env);
    const projections = json<{ name: string; lag: number; state: string }[]>(status);
    expect(projections.map((p) => p.name)).toEqual(expect.arrayContaining(['endpoints', 'messages', 'outbound']));

    const rebuilt = await runCli(['projections', 'rebuild', '--only', 'endpoints', '--json'], env, 60_000);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(json(rebuilt)).toMatchObject({ names: ['endpoints'], state: 'done', error: null });
    // Not a terminal: no bar (no carriage returns), a plain closing line.
    expect(rebuilt.stderr).not.toContain('\r');
    expect(rebuilt.stderr).toMatch(/^Rebuilt endpoints: \d+ events/m);
    const after = await runCli(['audit', 'verify', '--json'], env);
    expect(json(after)).toMatchObject({ clean: true });

    const unknown = await runCli(['projections', 'rebuild', '--only', 'nope', '--json'], env);
    expect(unknown.code).toBe(1);
    expect(json(unknown)).toMatchObject({ status: 422, error: { code: 'validation_failed' } });
  });

  it('usage mistakes exit 2 with the usage line; failed calls exit 1', async () => {
    const [unknownCommand, unknownFlag, extraArg, missing, badJson, badLimit, noKey, unreachable, notFound] = await Promise.all([
      runCli(['aps', 'list'], env),
      runCli(['apps', 'list', '--bogus'], env),
      runCli(['keys', 'list', 'extra'], env),
      runCli(['send', '--app', 'acme', '--type', 'invoice.paid'], env),
      runCli(['send', '--app', 'acme', '--type', 'invoice.paid', '--payload', '{nope', '--json'], env),
      runCli(['apps', 'list', '--limit', '0'], env),
      runCli(['apps', 'list', '--url', hb.url], { HOOKBASE_DATA_DIR: outDir }),
      runCli(['apps', 'list', '--json'], { ...env, HOOKBASE_URL: 'http://127.0.0.1:1' }),
      runCli(['apps', 'get', 'app_doesnotexist', '--json'], env),
    ]);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'aps'");
    expect(unknownCommand.stderr).toContain('Usage: hookbase [options] [command]');
    expect(unknownFlag).toMatchObject({ code: 2, stdout: '' });
    expect(unknownFlag.stderr).toContain("unknown option '--bogus'");
    expect(unknownFlag.stderr).toContain('Usage: hookbase apps list [options]');
    expect(extraArg.code).toBe(2);
    expect(extraArg.stderr).toContain('Usage: hookbase keys list [options]');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--payload <json>' not specified");
    expect(missing.stderr).toContain('Usage: hookbase send [options]');
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain('--payload must be JSON');
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('Usage: hookbase apps list [options]');
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('No API key: set HOOKBASE_API_KEY or pass --api-key.');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/hookbase: .*(127\.0\.0\.1:1|ECONNREFUSED|fetch failed|network)/i);
    expect(notFound.code).toBe(1);
    expect(json(notFound)).toMatchObject({ status: 404, error: { code: 'application_not_found' } });
  });
});
