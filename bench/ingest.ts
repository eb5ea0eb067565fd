/**
 * Figure 9 of `npm run bench` (issue 19): inbound webhooks.
 * - 9a. ingest accepted /s: `POST /ingest/{org}/{source}` of a generic source without signature verification and
 *   without routes (nothing to deliver, as figure 1's application has no endpoint) against a bare koa route that
 *   reads and parses the same body and answers 202, alternating rounds, medians; the same load generator and clients
 *   as figure 1.
 * - 9b. ingest→delivered p99: a second source with one route to an HTTP destination on the bench receiver, open loop
 *   at half the peak end-to-end rate of figure 2 (the rate figure 3 sends at, so the two p99s compare), latency =
 *   receiver arrival (by `x-hookbase-event-id`) − ingest request start. The path is ingest → durable append → 202,
 *   then the dispatcher's inbound feed (dispatcher/inboundFeed.ts) routes it and claims its delivery as soon as the
 *   log has them. It starts once 9a's events are routed (to no route), as figure 3 starts once figure 2 is delivered.
 */
import type { BenchHookbase } from './hookbase';
import type { LoadGen } from './loadgenClient';
import type { Commands, Target } from './protocol';
import type { Row } from './stats';
import { ms, num, perSecond } from './stats';

export type IngestSettings = Readonly<{
  clients: number;
  rounds: number;
  roundMs: number;
  warmupMs: number;
  maxRequests: number;
  latencyMs: number;
  drainMs: number;
}>;

export type IngestFigure = Readonly<{
  rows: Row[];
  notes: string[];
  rounds: Record<string, number[]>;
  /** Hookbase ingest accepted ÷ koa (null when a round failed). */
  acceptRatio: number | null;
  /** Ingest → delivered p99, ms (null when an event went missing or failed). */
  latencyP99Ms: number | null;
}>;

/** A webhook-sized provider payload (a Stripe-like event). */
const INGEST_BODY = JSON.stringify({
  id: 'evt_bench',
  type: 'invoice.paid',
  data: { object: { id: 'in_bench', amount_paid: 4200, currency: 'eur', customer: 'cus_bench', lines: [{ id: 'il_1', amount: 4200 }] } },
});

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? 0 : s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

/** A generic source without signature verification or rate limit: its id and its ingest path. */
const createSource = async (hb: BenchHookbase, name: string): Promise<{ id: string; path: string }> => {
  const slug = `${name}-${Date.now().toString(36)}`;
  const source = await hb.call<{ id: string; ingestUrl: string }>('POST', '/v1/sources', { name, slug, provider: 'generic', verifySignature: false });
  return { id: source.id, path: new URL(source.ingestUrl).pathname };
};

/** Waits until no event of the source is left unrouted (the dispatcher's `inbound_unrouted` work list is done with it). */
const waitRouted = async (hb: BenchHookbase, sourceId: string, timeoutMs: number): Promise<{ done: boolean; afterMs: number }> => {
  const started = performance.now();
  for (;;) {
    const page = await hb.call<{ data: unknown[] }>('GET', `/v1/inbound-events?sourceId=${sourceId}&status=received&limit=1`);
    const afterMs = performance.now() - started;
    if (page.data.length === 0) return { done: true, afterMs };
    if (afterMs > timeoutMs) return { done: false, afterMs };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

export const measureIngest = async (
  lg: LoadGen, hb: BenchHookbase, koaOrigin: string, receiverUrl: string, halfRate: number, s: IngestSettings, log: (line: string) => void,
): Promise<IngestFigure> => {
  const rows: Row[] = [];
  const notes: string[] = [];
  const rounds: Record<string, number[]> = {};
  const headers = { 'content-type': 'application/json' };

  // 9a. accepted per second, no routes.
  const { id: acceptSourceId, path: acceptPath } = await createSource(hb, 'bench-accept');
  const hbTarget: Target = { origin: hb.url, path: acceptPath, headers, body: INGEST_BODY };
  const koaTarget: Target = { origin: koaOrigin, path: '/ingest/hookbase/bench', headers, body: INGEST_BODY };
  log(`9. ingest: bare koa route vs Hookbase POST /ingest/{org}/{source} (no route), ${s.clients} clients, ${s.rounds} alternating rounds of ${s.roundMs / 1000} s each`);
  type Accept = Commands['accept']['result'];
  const koaRounds: Accept[] = [];
  const hbRounds: Accept[] = [];
  for (let r = 0; r < s.rounds; r++) {
    const args = { concurrency: s.clients, warmupMs: r === 0 ? s.warmupMs : 0, durationMs: s.roundMs, maxRequests: s.maxRequests };
    koaRounds.push(await lg.call('accept', { target: koaTarget, ...args }));
    hbRounds.push(await lg.call('accept', { target: hbTarget, ...args }));
  }
  const rateOf = (a: Accept): number => perSecond(a.ok, a.elapsedMs);
  const koaRate = median(koaRounds.map(rateOf));
  const hbRate = median(hbRounds.map(rateOf));
  const failed = hbRounds.find((a) => a.failed > 0);
  const acceptRatio = koaRate > 0 ? hbRate / koaRate : 0;
  log(`9. ingest: Hookbase ${num(hbRate)}/s, koa ${num(koaRate)}/s (${acceptRatio.toFixed(2)}×)${failed ? ', with failures' : ''}`);
  rows.push({ name: `9. ingest accepted /s (${s.clients} clients)`, hookbase: num(hbRate), baseline: num(koaRate), ratio: `${acceptRatio.toFixed(2)}×`, target: '—', ok: failed ? false : null });
  rounds['9.ingest.accept.hookbase'] = hbRounds.map(rateOf);
  rounds['9.ingest.accept.koa'] = koaRounds.map(rateOf);
  notes.push(`9. ingest: rounds /s — Hookbase ${hbRounds.map((a) => num(rateOf(a))).join(', ')}; koa ${koaRounds.map((a) => num(rateOf(a))).join(', ')} (medians in the table)`);
  if (failed) notes.push(`9. ingest: Hookbase had failures ${JSON.stringify(failed.statuses)}, first: ${failed.firstError}`);

  // 9a's events are routed (to no route) after they were accepted: 9b starts once they are, as figure 3 starts once
  // figure 2's deliveries are done, so that it measures its own webhooks and not a backlog of 9a's.
  const accepted = hbRounds.reduce((sum, a) => sum + a.ok, 0);
  const routed = await waitRouted(hb, acceptSourceId, s.drainMs);
  notes.push(`9. ingest: the ${num(accepted)} accepted events were all routed ${ms(routed.afterMs)} after the last round${routed.done ? '' : ' (NOT all: gave up)'}`);

  // 9b. ingest → delivered at half the peak end-to-end rate.
  const { id: sourceId, path: routedPath } = await createSource(hb, 'bench-routed');
  const destination = await hb.call<{ id: string }>('POST', '/v1/destinations', { name: 'bench receiver', type: 'http', url: receiverUrl });
  await hb.call('POST', '/v1/routes', { name: 'bench', sourceId, destinationId: destination.id });
  const rate = Math.max(1, Math.round(halfRate));
  log(`9. ingest→delivered: ${rate} webhooks/s (half of figure 2's peak) for ${s.latencyMs / 1000} s, open loop`);
  const L = await lg.call('latency', { target: { origin: hb.url, path: routedPath, headers, body: INGEST_BODY }, ratePerSecond: rate, durationMs: s.latencyMs, drainTimeoutMs: s.drainMs });
  log(`9. ingest→delivered: p50 ${ms(L.latencyMs.p50)}, p99 ${ms(L.latencyMs.p99)}; ${L.delivered} of ${L.ok} accepted delivered, ${L.missing} missing`);
  const ok = L.missing === 0 && L.failed === 0 && L.delivered > 0;
  rows.push({ name: `9. ingest→delivered p50 @ ${rate}/s`, hookbase: ms(L.latencyMs.p50), baseline: '—', ratio: '—', target: '—', ok: null });
  rows.push({ name: `9. ingest→delivered p99 @ ${rate}/s`, hookbase: ms(L.latencyMs.p99), baseline: '—', ratio: '—', target: '—', ok: ok ? null : false });
  rounds['9.ingest.latency.ratePerSecond'] = [rate];
  rounds['9.ingest.latency.ingestToDeliveredMs.p50.p99.max'] = [L.latencyMs.p50, L.latencyMs.p99, L.latencyMs.max];
  rounds['9.ingest.latency.ingestToAnswerMs.p50.p99'] = [L.answerMs.p50, L.answerMs.p99];
  notes.push(
    `9. ingest→delivered: ${L.issued} sent, ${L.ok} accepted, ${L.delivered} delivered, ${L.missing} missing; ingest→202 p50 ${ms(L.answerMs.p50)} p99 ${ms(L.answerMs.p99)}; ` +
      `202→delivered p50 ${ms(L.afterAnswerMs.p50)} p99 ${ms(L.afterAnswerMs.p99)}; max ${ms(L.latencyMs.max)}`,
  );
  if (L.failed > 0) notes.push(`9. ingest→delivered: ${L.failed} webhooks failed: ${L.firstError}`);
  return { rows, notes, rounds, acceptRatio: failed ? null : acceptRatio, latencyP99Ms: ok ? L.latencyMs.p99 : null };
};
