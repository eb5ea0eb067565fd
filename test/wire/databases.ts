import { randomBytes } from 'node:crypto';
import { WIRE_MONGO_VARIABLE } from './globalSetup';

/** A URL to a fresh database on the run's MongoDB wire server (test/wire/globalSetup.ts); null outside vitest's run. */
export const wireMongoUrl = (prefix = 'hb'): string | null => {
  const template = process.env[WIRE_MONGO_VARIABLE];
  if (!template) return null;
  return template.replace('%7Bdb%7D', `${prefix}_${randomBytes(5).toString('hex')}`).replace('{db}', `${prefix}_${randomBytes(5).toString('hex')}`);
};
