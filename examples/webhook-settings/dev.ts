// `npm start` here (or `npm run example` at the repository root): one command for the whole example. Without
// HOOKBASE_URL it starts a Hookbase from this repository on 127.0.0.1:8080 with its data in a temp dir.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { seedDemo } from './seed';
import { startExample } from './server';

const local = async (): Promise<{ url: string; apiKey: string }> => {
  const { loadConfig } = await import('../../cli/config');
  const { startHookbase } = await import('../../cli/hookbase');
  const apiKey = `example_${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    HOOKBASE_PORT: process.env.HOOKBASE_PORT ?? '8080',
    HOOKBASE_DATA_DIR: mkdtempSync(join(tmpdir(), 'hookbase-example-')),
    HOOKBASE_API_KEY: apiKey,
    HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'true',
  });
  const hookbase = await startHookbase(config, { log: () => {} });
  console.log(`Hookbase on ${hookbase.url} (API key ${apiKey})`);
  return { url: hookbase.url, apiKey };
};

const hookbase = process.env.HOOKBASE_URL && process.env.HOOKBASE_API_KEY ? { url: process.env.HOOKBASE_URL, apiKey: process.env.HOOKBASE_API_KEY } : await local();
const appId = process.env.HOOKBASE_APP_ID ?? (await seedDemo(hookbase.url, hookbase.apiKey));
const example = await startExample({ hookbaseUrl: hookbase.url, apiKey: hookbase.apiKey, appId, port: Number(process.env.PORT ?? 5173) });
console.log(`Webhook settings example: open ${example.url}`);
