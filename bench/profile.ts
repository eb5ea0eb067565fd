/**
 * Load for a CPU profile, not a benchmark: `node --cpu-prof --cpu-prof-dir .prof --import tsx bench/profile.ts
 * [--messages N] [--accept N]` runs Hookbase in this process (the API on the main thread, the projections, the
 * dispatcher and the WAL checkpoints on worker threads: each thread writes its own .cpuprofile) under the bench's
 * load generator (a child process, 64 clients): a warm-up, then N sends to an application with one endpoint (each
 * delivered to the bench receiver), then `--accept` sends to one without endpoints. It prints what it did and how
 * long it took; `npx tsx bench/profileSummary.ts .prof` tells where each thread's CPU went. Profiles stay out of
 * git (`.prof/` is ignored). On a shared machine only the proportions mean something.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchLogFile, createApplication, createEndpoint, ensureEventType, sendTarget, startBenchHookbase } from './hookbase';
import { startLoadGen } from './loadgenClient';
import { ms, num, perSecond } from './stats';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '20000' }, accept: { type: 'string', default: '20000' } } });
const messages = Number(values.messages);
const acceptCount = Number(values.accept);
const CLIENTS = 64;

const main = async (): Promise<void> => {
  console.log(`profile load: ${messages} messages end to end, ${acceptCount} sends without endpoints; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const lg = startLoadGen();
  const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-profile-'));
  try {
    const receiver = await lg.call('receiver:start', {});
    const hb = await startBenchHookbase(dataDir);
    try {
      await ensureEventType(hb);
      const e2eApp = await createApplication(hb, 'profile e2e');
      await createEndpoint(hb, e2eApp, receiver.url);
      const acceptApp = await createApplication(hb, 'profile accept');
      const e2e = sendTarget(hb, e2eApp);
      const accept = sendTarget(hb, acceptApp);
      await lg.call('e2e', { target: e2e, count: 3_000, concurrency: CLIENTS, timeoutMs: 60_000 });
      if (messages > 0) {
        const r = await lg.call('e2e', { target: e2e, count: messages, concurrency: CLIENTS, timeoutMs: 300_000 });
        console.log(
          `end to end: ${r.ok} accepted in ${ms(r.acceptedMs)} (${num(perSecond(r.ok, r.acceptedMs))}/s, answer p50 ${ms(r.answerMs.p50)}), ${r.distinct} delivered after ${ms(r.deliveredMs)} (${num(perSecond(r.distinct, r.deliveredMs ?? Number.NaN))}/s)`,
        );
      }
      if (acceptCount > 0) {
        const r = await lg.call('accept', { target: accept, concurrency: CLIENTS, warmupMs: 0, durationMs: 600_000, maxRequests: acceptCount });
        console.log(`accept: ${r.ok} in ${ms(r.elapsedMs)} (${num(perSecond(r.ok, r.elapsedMs))}/s, answer p50 ${ms(r.answerMs.p50)} p99 ${ms(r.answerMs.p99)}); ${r.failed} failed ${r.firstError ?? ''}`);
      }
      console.log(`server log: ${benchLogFile()}`);
    } finally {
      await hb.close();
    }
  } finally {
    await lg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
