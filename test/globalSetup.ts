import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLeaks, LOG_DIR_VARIABLE } from './logCollector';

/**
 * One log dir for the whole run (the test Hookbases write their JSON logs there, test/harness.ts); at the end,
 * every line is searched for every credential the tests were issued: one found fails the run.
 */
export default function setup(): () => void {
  // HOOKBASE_TEST_LOG_DIR set by hand: the logs stay there to be read.
  const kept = process.env[LOG_DIR_VARIABLE];
  const dir = kept ?? mkdtempSync(join(tmpdir(), 'hookbase-test-logs-'));
  mkdirSync(dir, { recursive: true });
  process.env[LOG_DIR_VARIABLE] = dir;
  return () => {
    const { lines, credentials, leaks } = findLeaks(dir);
    if (leaks.length > 0) {
      const shown = leaks.slice(0, 10).map((l) => `${l.file}:${l.line} holds ${l.credential.slice(0, 10)}…`).join('\n');
      throw new Error(`${leaks.length} credential(s) found in the test logs (kept in ${dir}):\n${shown}`);
    }
    console.log(`log scan: ${lines} log lines, ${credentials} issued credentials, no leak`);
    if (!kept) rmSync(dir, { recursive: true, force: true });
  };
}
