/** The soak run's report and its chart: three stacked panels (memory, event-loop delay, latency) in plain SVG. */

export type SoakSample = Readonly<{
  /** Seconds since the steady phase began. */
  t: number;
  rssMiB: number;
  heapUsedMiB: number;
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Send → first successful delivery of the messages delivered in this window; null when none was. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  deliveredInWindow: number;
  sent: number;
  delivered: number;
  /** Sent and not yet delivered. */
  backlog: number;
}>;

export type SoakReport = Readonly<{
  startedAt: string;
  machine: Readonly<{ hostname: string; cpus: number; cpuModel: string; memoryGiB: number; loadAvgAtEnd: number[]; node: string }>;
  settings: Readonly<{ minutes: number; rate: number; peakRate: number | null; sampleSeconds: number; receiverFailsOneIn: number }>;
  totals: Readonly<{ sent: number; refused: number; skipped: number; delivered: number; undelivered: number; receiverRequests: number }>;
  samples: readonly SoakSample[];
}>;

type Series = Readonly<{ label: string; color: string; values: readonly (number | null)[] }>;

const WIDTH = 900;
const PANEL_HEIGHT = 180;
const LEFT = 70;
const RIGHT = 20;
const TOP = 50;
const GAP = 50;

const escapeXml = (s: string): string => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten. */
const niceMax = (v: number): number => {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * p >= v) ?? 10) * p;
};

const panel = (title: string, unit: string, ts: readonly number[], series: readonly Series[], top: number): string => {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const yMax = niceMax(Math.max(0, ...all));
  const tMax = Math.max(1, ...ts);
  const plotW = WIDTH - LEFT - RIGHT;
  const x = (t: number) => LEFT + (t / tMax) * plotW;
  const y = (v: number) => top + PANEL_HEIGHT - (v / yMax) * PANEL_HEIGHT;
  const parts: string[] = [`<text x="${LEFT}" y="${top - 8}" font-weight="bold">${escapeXml(title)}</text>`];
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end">${Number(v.toPrecision(3))} ${unit}</text>`);
  }
  parts.push(`<text x="${WIDTH - RIGHT}" y="${top + PANEL_HEIGHT + 16}" text-anchor="end">${tMax} s</text>`);
  parts.push(`<text x="${LEFT}" y="${top + PANEL_HEIGHT + 16}">0 s</text>`);
  series.forEach((s, i) => {
    const points = ts.flatMap((t, j) => {
      const v = s.values[j];
      return v === null || v === undefined || !Number.isFinite(v) ? [] : [`${x(t).toFixed(1)},${y(v).toFixed(1)}`];
    });
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.join(' ')}"/>`);
    parts.push(`<text x="${LEFT + 200 + i * 160}" y="${top - 8}" fill="${s.color}">■ ${escapeXml(s.label)}</text>`);
  });
  return parts.join('\n');
};

export const renderSoakSvg = (r: SoakReport): string => {
  const ts = r.samples.map((s) => s.t);
  const height = TOP + 3 * PANEL_HEIGHT + 3 * GAP;
  const m = r.machine;
  const subtitle = `${r.settings.minutes} min at ${r.settings.rate} msg/s${r.settings.peakRate === null ? '' : ` (peak ${Math.round(r.settings.peakRate)}/s)`}, receiver fails 1 in ${r.settings.receiverFailsOneIn}; ${r.totals.delivered} delivered, ${r.totals.undelivered} undelivered; ${m.cpus} × ${m.cpuModel}, Node ${m.node}, shared machine`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${LEFT}" y="18" font-size="14" font-weight="bold">Hookbase soak (${escapeXml(r.startedAt)})</text>`,
    `<text x="${LEFT}" y="34">${escapeXml(subtitle)}</text>`,
    panel('Memory', 'MiB', ts, [
      { label: 'RSS', color: '#1f77b4', values: r.samples.map((s) => s.rssMiB) },
      { label: 'heap used', color: '#2ca02c', values: r.samples.map((s) => s.heapUsedMiB) },
    ], TOP + 10),
    panel('Event-loop delay', 'ms', ts, [
      { label: 'p50', color: '#2ca02c', values: r.samples.map((s) => s.loopDelayP50Ms) },
      { label: 'p99', color: '#ff7f0e', values: r.samples.map((s) => s.loopDelayP99Ms) },
    ], TOP + 10 + PANEL_HEIGHT + GAP),
    panel('Send → delivered latency', 'ms', ts, [
      { label: 'p50', color: '#2ca02c', values: r.samples.map((s) => s.latencyP50Ms) },
      { label: 'p99', color: '#d62728', values: r.samples.map((s) => s.latencyP99Ms) },
    ], TOP + 10 + 2 * (PANEL_HEIGHT + GAP)),
    '</svg>',
    '',
  ].join('\n');
};
