/**
 * A rebuild under the profiler, not a benchmark: `node --import tsx bench/rebuildProfile.ts [--messages N]
 * [--dir DIR] [--rounds R] [--plain] [--fresh]` fills a data dir (or reuses DIR, kept) with N sends end to end (one
 * endpoint on the bench receiver) through a real Hookbase, then rebuilds the read models R times with the V8 profiler
 * on, and writes `.prof/rebuild-<round>.cpuprofile` (out of git) with the rate of each round against a bare SQLite
 * read of the same events. A round is the operator's rebuild (bench/operatorRebuild.ts: the job the admin route
 * requests, replayed into the shadow collections and swapped in), or with `--fresh` a fresh ProjectionRunner from the
 * start on reset read models. `npx tsx bench/profileSummary.ts .prof` tells where the CPU went.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { allProjections, ProjectionRunner, resetProjections } from '../projections';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { bareSqliteRead } from './baselines';
import { eventsDbPath, withDeliveringHookbase } from './hookbase';
import { startLoadGen } from './loadgenClient';
import { runOperatorRebuild } from './operatorRebuild';
import { ms, num, perSecond } from './stats';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '20000' }, dir: { type: 'string' }, rounds: { type: 'string', default: '2' }, plain: { type: 'boolean', default: false }, fresh: { type: 'boolean', default: false } } });
const fill = async (dataDir: string, messages: number): Promise<void> => {
  const lg = startLoadGen();
  try {
    await withDeliveringHookbase(lg, dataDir, 'rebuild profile', async (_hb, target) => {
      const r = await lg.call('e2e', { target, count: messages, concurrency: 64, timeoutMs: 600_000 });
      console.log(`filled: ${r.ok} sent, ${r.distinct} delivered`);
    });
  } finally {
    await lg.stop();
  }
};

const main = async (): Promise<void> => {
  const dataDir = values.dir ?? mkdtempSync(join(tmpdir(), 'hookbase-rebuild-profile-'));
  if (!values.dir) await fill(dataDir, Number(values.messages));
  console.log(`data dir ${dataDir}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  mkdirSync('.prof', { recursive: true });
  const session = new Session();
  session.connect();
  for (let round = 1; round <= Number(values.rounds); round++) {
    const read = bareSqliteRead(eventsDbPath(dataDir), 2);
    if (!values.fresh) {
      if (!values.plain) {
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      const rebuilt = await runOperatorRebuild(dataDir);
      if (!values.plain) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(join('.prof', `rebuild-${round}.cpuprofile`), JSON.stringify(profile));
      }
      const elapsed = rebuilt.rebuildMs;
      console.log(
        `round ${round}: operator's rebuild of ${rebuilt.job.processedEvents} events (of ${read.events}) in ${ms(elapsed)} (${num(perSecond(read.events, elapsed))}/s; ${ms(rebuilt.wallMs)} from the request, CPU ${ms(rebuilt.cpuMs)}); bare read ${num(perSecond(read.events, read.elapsedMs))}/s; ratio ${(read.elapsedMs / elapsed).toFixed(3)}`,
      );
      continue;
    }
    const events = SqliteEventStore.open(eventsDbPath(dataDir));
    const reads = SqliteReadStore.open(join(dataDir, 'read-models.db'));
    const head = await events.headPosition();
    await resetProjections(reads, allProjections);
    const runner = new ProjectionRunner(events, reads, allProjections);
    if (!values.plain) {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const started = performance.now();
    await runner.start();
    const done = await runner.waitFor(head, 600_000);
    const elapsed = performance.now() - started;
    if (!values.plain) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(join('.prof', `rebuild-${round}.cpuprofile`), JSON.stringify(profile));
    }
    await runner.stop();
    await events.close();
    await reads.close();
    console.log(
      `round ${round}: ${done ? '' : 'TIMED OUT '}${read.events} events rebuilt in ${ms(elapsed)} (${num(perSecond(read.events, elapsed))}/s); bare read ${num(perSecond(read.events, read.elapsedMs))}/s; ratio ${(read.elapsedMs / elapsed).toFixed(3)}`,
    );
  }
  session.disconnect();
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
