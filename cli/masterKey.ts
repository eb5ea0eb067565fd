import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateMasterKey, parseMasterKey } from '../domain/secretBox';
import type { HookbaseConfig } from './config';

/**
 * Creates `file` with `content` unless it exists, race-free: written aside, then linked into place (a link fails
 * if the name exists). Of processes starting at once on one data dir exactly one creates it; true for that one.
 */
export const createOnce = (file: string, content: string): boolean => {
  const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  writeFileSync(aside, content, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(aside);
  }
};

/**
 * The master key from the environment, or (embedded store) generated once into the data dir (mode 0600), which
 * every process on that data dir then reads. Processes that share no data dir must be given it (config.ts).
 */
export const loadMasterKey = (config: Pick<HookbaseConfig, 'masterKey' | 'dataDir'>): Buffer => {
  if (config.masterKey) return parseMasterKey(config.masterKey);
  const file = join(config.dataDir, 'master.key');
  if (!existsSync(file)) createOnce(file, `${generateMasterKey()}\n`);
  return parseMasterKey(readFileSync(file, 'utf8').trim());
};
