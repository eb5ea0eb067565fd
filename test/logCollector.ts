/**
 * Where the test Hookbases log: JSON lines (the real pino logger) in files under HOOKBASE_TEST_LOG_DIR, which
 * test/globalSetup.ts creates for the whole run and scans at its end for every credential the tests were issued.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Logger } from 'pino';
import { createLogger } from '../observability/logger';

export const LOG_DIR_VARIABLE = 'HOOKBASE_TEST_LOG_DIR';
const ISSUED_FILE = 'issued-credentials.txt';
/** What Hookbase issues (signing secrets, API keys, portal tokens, magic-link codes), wherever it appears. */
const ISSUED = /\b(?:whsec_|hb_sk_|whpt_|whr_)[A-Za-z0-9+/=_-]{8,}/g;

export const testLogDir = (): string => {
  const dir = process.env[LOG_DIR_VARIABLE] ?? join(tmpdir(), 'hookbase-test-logs');
  mkdirSync(dir, { recursive: true });
  return dir;
};

let files = 0;
/** A logger at debug level writing to a file of its own in the run's log dir; returns the file too. */
export const testLogger = (): { logger: Logger; file: string } => {
  const file = join(testLogDir(), `${process.pid}-${++files}.ndjson`);
  return { logger: createLogger({ level: 'debug', destination: pino.destination({ dest: file, sync: true }) }), file };
};

/** Where a child process's output goes (its JSON log lines are scanned; the start banner is not a log line). */
export const childLogFile = (pid: number): string => join(testLogDir(), `child-${pid}.ndjson`);

/** Notes credentials a test was given (API keys of any shape), so that the final scan looks for each. */
export const recordCredential = (...credentials: string[]): void => {
  if (credentials.length > 0) appendFileSync(join(testLogDir(), ISSUED_FILE), `${credentials.join('\n')}\n`);
};

/** Notes every credential Hookbase issued in a response's text (secrets, keys, portal tokens, magic-link codes). */
export const recordIssuedIn = (text: string): void => recordCredential(...(text.match(ISSUED) ?? []));

export type Leak = Readonly<{ file: string; line: number; credential: string }>;

/** Every JSON log line of `dir`'s files that holds a recorded credential or anything shaped like an issued one. */
export const findLeaks = (dir: string): { lines: number; credentials: number; leaks: Leak[] } => {
  const issuedFile = join(dir, ISSUED_FILE);
  const issued = [...new Set(existsSync(issuedFile) ? readFileSync(issuedFile, 'utf8').split('\n').filter(Boolean) : [])];
  const leaks: Leak[] = [];
  let lines = 0;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.ndjson'))) {
    readFileSync(join(dir, name), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        // Log lines only: a child's start banner shows a generated API key once, on purpose (README).
        if (!line.startsWith('{')) return;
        lines++;
        for (const credential of issued) if (line.includes(credential)) leaks.push({ file: name, line: i + 1, credential });
        for (const credential of line.match(ISSUED) ?? []) leaks.push({ file: name, line: i + 1, credential });
      });
  }
  return { lines, credentials: issued.length, leaks };
};
