import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hookbase } from '@hookbase/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../cli/config';
import { startHookbase } from '../../cli/hookbase';
import type { RunningHookbase } from '../../cli/hookbase';
import { startReceiver } from '../harness';
import type { Receiver } from '../harness';

/**
 * Secrets at rest: after issuing an API key, portal tokens and endpoint signing secrets (created and rotated)
 * through the API and delivering with them, none of them appears in clear in any file of the data dir (both SQLite
 * databases with their WAL files) nor in any log line. API keys and portal tokens are stored as SHA-256 hashes and
 * looked up by that hash (an index lookup: the clear credential is never compared with anything, so there is no
 * comparison whose timing could leak it); signing secrets are encrypted with the master key.
 */
describe('secrets at rest', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-secrets-'));
  const apiKey = `hb_sk_${randomBytes(24).toString('base64url')}`;
  const logs: string[] = [];
  let hb: RunningHookbase;
  let receiver: Receiver;
  let failing: Receiver;
  const secrets: string[] = [];

  beforeAll(async () => {
    const config = loadConfig({ HOOKBASE_PORT: '0', HOOKBASE_DATA_DIR: dataDir, HOOKBASE_API_KEY: apiKey, HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'true', HOOKBASE_RETRY_SCHEDULE: '20ms,20ms,20ms,20ms,20ms,20ms' });
    hb = await startHookbase(config, { log: (line) => logs.push(line), dispatcher: { duePollMs: 50 } });
    receiver = await startReceiver();
    failing = await startReceiver((_req, res) => res.writeHead(500).end('no'));
    const sdk = new Hookbase({ apiKey, baseUrl: hb.url, retries: 0 });
    const app = await sdk.applications.create({ name: 'Secrets' });
    await sdk.eventTypes.create({ name: 'secret.probe' });
    const endpoint = await sdk.endpoints.create(app.id, { url: receiver.url });
    const rotated = await sdk.endpoints.rotateSecret(app.id, endpoint.id, { gracePeriodSeconds: 3600 });
    // One that fails every attempt: its circuit opens, which the dispatcher logs.
    const broken = await sdk.endpoints.create(app.id, { url: failing.url });
    const token = await sdk.portalTokens.create(app.id, {});
    const revoked = await sdk.portalTokens.create(app.id, {});
    await sdk.portalTokens.revoke(revoked.id);
    await sdk.messages.send(app.id, { eventType: 'secret.probe', payload: { n: 1 } });
    await receiver.waitFor(1);
    await failing.waitFor(5);
    // A request with a wrong key and one with a portal token on /v1: refusals must not log what was sent either.
    await fetch(`${hb.url}/v1/applications`, { headers: { authorization: `Bearer ${apiKey}x` } });
    await fetch(`${hb.url}/v1/applications`, { headers: { authorization: `Bearer ${token.token}` } });
    secrets.push(apiKey, token.token, revoked.token, endpoint.secret, rotated.secret, broken.secret);
    await new Promise((r) => setTimeout(r, 500)); // the dispatcher's outcome and the projections land
    await hb.close();
  });
  afterAll(async () => {
    await receiver.close();
    await failing.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every form a secret could be written in: the text, a signing key's base64 and its raw bytes. */
  const formsOf = (secret: string): Buffer[] => {
    const forms = [Buffer.from(secret)];
    if (secret.startsWith('whsec_')) {
      const b64 = secret.slice('whsec_'.length);
      forms.push(Buffer.from(b64), Buffer.from(b64, 'base64'));
    }
    return forms;
  };

  it('writes no secret in clear into events.db, read-models.db or their WAL files', () => {
    const files = readdirSync(dataDir).filter((f) => /\.db(-wal|-shm)?$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['events.db', 'read-models.db']));
    expect(secrets).toHaveLength(6);
    for (const file of files) {
      const bytes = readFileSync(join(dataDir, file));
      for (const secret of secrets) {
        for (const form of formsOf(secret)) expect(bytes.includes(form), `${file} holds ${secret.slice(0, 10)}… in clear`).toBe(false);
      }
    }
  });

  it('keeps API keys and portal tokens as their SHA-256 hashes (what lookups use)', () => {
    const all = Buffer.concat(readdirSync(dataDir).filter((f) => /\.db(-wal)?$/.test(f)).map((f) => readFileSync(join(dataDir, f))));
    for (const credential of [apiKey, secrets[1]!]) {
      expect(all.includes(Buffer.from(createHash('sha256').update(credential).digest('hex')))).toBe(true);
    }
  });

  it('logs no secret', () => {
    expect(logs.join('\n')).toContain('circuit of'); // the log was captured
    for (const line of logs) for (const secret of secrets) expect(line.includes(secret), line).toBe(false);
  });
});
