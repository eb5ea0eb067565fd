/**
 * Figure 6 of `npm run bench`: what fsyncing each group commit costs. The same sends and end-to-end rounds as
 * figures 1 and 2, alternating between the Hookbase under test (the default, HOOKBASE_EVENTS_SYNC=full) and a second
 * one in the same process with HOOKBASE_EVENTS_SYNC=normal, so that both meet the same machine at the same moment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DispatcherConfig } from '../dispatcher/config';
import type { BenchHookbase } from './hookbase';
import { createApplication, createEndpoint, ensureEventType, startBenchHookbase } from './hookbase';
import type { CommandName, Commands, Target } from './protocol';
import type { Row } from './stats';
import { ms, num, perSecond } from './stats';

export type DurabilityOptions = Readonly<{
  call: <K extends CommandName>(cmd: K, args: Commands[K]['args']) => Promise<Commands[K]['result']>;
  /** The Hookbase of figures 1-5 (default durability: FULL). */
  full: BenchHookbase;
  dispatcher: Partial<DispatcherConfig>;
  receiverUrl: string;
  sendBody: string;
  clients: number;
  rounds: number;
  roundMs: number;
  e2eCount: number;
  e2eTimeoutMs: number;
  log: (line: string) => void;
}>;

export type Side = Readonly<{ hb: BenchHookbase; accept: Target; e2e: Target }>;

/** What a figure comparing two Hookbases needs (figures 6 and 8). */
export type ComparisonOptions = Omit<DurabilityOptions, 'full'>;

export const prepare = async (hb: BenchHookbase, o: ComparisonOptions): Promise<Side> => {
  await ensureEventType(hb);
  const acceptApp = await createApplication(hb, 'bench durability accept');
  const e2eApp = await createApplication(hb, 'bench durability e2e');
  await createEndpoint(hb, e2eApp, o.receiverUrl);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${hb.apiKey}` };
  return {
    hb,
    accept: { origin: hb.url, path: `/v1/applications/${acceptApp}/messages`, headers, body: o.sendBody },
    e2e: { origin: hb.url, path: `/v1/applications/${e2eApp}/messages`, headers, body: o.sendBody },
  };
};

/** The same sends and end-to-end rounds on each side in turn, `o.rounds` times: rates per round, per side. */
export const alternateRounds = async <N extends string>(o: ComparisonOptions, sides: Readonly<Record<N, Side>>): Promise<[Record<N, number[]>, Record<N, number[]>]> => {
  const names = Object.keys(sides) as N[];
  const accept = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<N, number[]>;
  const e2e = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<N, number[]>;
  for (let r = 0; r < o.rounds; r++) {
    for (const name of names) {
      const side = sides[name];
      const a = await o.call('accept', { target: side.accept, concurrency: o.clients, warmupMs: r === 0 ? 500 : 0, durationMs: o.roundMs, maxRequests: 200_000 });
      accept[name].push(perSecond(a.ok, a.elapsedMs));
      const e = await o.call('e2e', { target: side.e2e, count: o.e2eCount, concurrency: o.clients, timeoutMs: o.e2eTimeoutMs });
      e2e[name].push(e.deliveredMs !== null ? perSecond(o.e2eCount, e.deliveredMs) : Number.NaN);
    }
  }
  return [accept, e2e];
};

export const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
export const times = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '—');

export const measureDurability = async (o: DurabilityOptions): Promise<{ rows: Row[]; notes: string[] }> => {
  const dir = mkdtempSync(join(tmpdir(), 'hookbase-bench-normal-'));
  const normalHb = await startBenchHookbase(dir, o.dispatcher, undefined, undefined, { HOOKBASE_EVENTS_SYNC: 'normal' });
  try {
    const full = await prepare(o.full, o);
    const normal = await prepare(normalHb, o);
    o.log(`6. durability: FULL (default) vs NORMAL, ${o.rounds} alternating rounds of ${o.roundMs / 1000} s of sends and ${o.e2eCount} messages end to end`);
    const [accept, e2e] = await alternateRounds(o, { full, normal });
    const [af, an, ef, en] = [median(accept.full), median(accept.normal), median(e2e.full), median(e2e.normal)];
    const rows: Row[] = [
      { name: '6. sends accepted /s: events FULL (default) vs NORMAL', hookbase: num(af), baseline: num(an), ratio: times(af / an), target: '—', ok: null },
      { name: `6. deliveries /s end to end (${o.e2eCount}): FULL vs NORMAL`, hookbase: num(ef), baseline: num(en), ratio: times(ef / en), target: '—', ok: null },
    ];
    const list = (v: number[]) => v.map(num).join(', ');
    const notes = [
      `6. durability: rounds /s — sends FULL ${list(accept.full)}, NORMAL ${list(accept.normal)}; end to end FULL ${list(e2e.full)}, NORMAL ${list(e2e.normal)} (medians in the table; "baseline" is NORMAL)`,
      `6. durability: FULL fsyncs the event store's WAL at each group commit (a 202 survives power loss); NORMAL only at checkpoints (every ${ms(250)}), surviving a killed process but not an OS crash`,
    ];
    return { rows, notes };
  } finally {
    await normalHb.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
