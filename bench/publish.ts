/**
 * What `npm run bench` publishes: each run's figures as JSON (`bench/results/<date>-<commit>.json`: the machine,
 * its load average before and after, every round) and a chart of the last runs' ratios against their targets
 * (`bench/results/chart.svg`), drawn here in plain SVG from those JSON files (no dependency).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../api/packageRoot';
import type { Row } from './stats';

// From the package's root: bundled (npm run bench), this module is a chunk in dist/, not in bench/.
export const RESULTS_DIR = `${join(packageRoot(import.meta.url), 'bench', 'results')}/`;

/** The issue's targets (issue 17), as ratios in one run. */
export const TARGETS = {
  /** End-to-end deliveries ÷ bare undici POSTs to the same receiver: at least. */
  e2eRatio: 0.3,
  /** Accepted sends ÷ a bare koa JSON route (64 clients): at least. */
  acceptRatio: 0.5,
  /** Send → delivered p99 at half the peak rate, ms: at most. */
  latencyP99Ms: 10,
  /** Rebuild ÷ a bare SQLite read of the same events: at least. */
  rebuildRatio: 0.3,
  /** RSS of Hookbase's process after 1,000,000 events, MiB (256 MB = 244.1 MiB): at most. */
  rssMiB: 256e6 / 2 ** 20,
} as const;

export type Machine = Readonly<{ cpuModel: string; cores: number; memoryBytes: number; node: string; platform: string; arch: string }>;

export type BenchRecord = {
  version: 1;
  /** ISO 8601, when the run started. */
  startedAt: string;
  commit: string;
  /** Uncommitted changes in the work tree when it ran. */
  dirty: boolean;
  quick: boolean;
  machine: Machine;
  loadAverage: { before: number[]; after: number[] | null };
  /** The ratios the chart draws (null when the run did not measure it). */
  figures: {
    e2eRatio: number | null;
    acceptRatio: number | null;
    latencyP99Ms: number | null;
    rebuildRatio: number | null;
    /** 2 API + 2 dispatcher processes on one store, end to end ÷ bare undici (null when not measured). */
    multiProcessE2eRatio: number | null;
    /**
     * Figure 5: RSS of a process running Hookbase alone (bench/memory.ts), MiB, settled after N events (N in
     * `rounds['5.memory.events']`); absent in runs before it was measured this way.
     */
    rssMiB?: number | null;
    /** Figure 9 (issue 19): inbound ingest accepted ÷ a bare koa route (64 clients); no target yet, not charted. */
    ingestAcceptRatio?: number | null;
    /** Figure 9: ingest → delivered p99 at half the peak end-to-end rate, ms; no target yet, not charted. */
    ingestLatencyP99Ms?: number | null;
  };
  /** Every round of every figure, per side (per second unless the name says otherwise). */
  rounds: Record<string, number[]>;
  /** The table the run printed, and its notes. */
  rows: Row[];
  notes: string[];
  totalMs: number | null;
};

export const machine = (): Machine => {
  const list = cpus();
  return { cpuModel: list[0]?.model.trim() ?? 'unknown', cores: list.length, memoryBytes: totalmem(), node: process.version, platform: process.platform, arch: process.arch };
};

/**
 * The commit of the work tree in `cwd` (short), and whether it had uncommitted changes. The bench's own outputs
 * (`bench/results/`: the chart an earlier run redrew) do not count: runs in a row measure the same code.
 */
export const currentCommit = (cwd = process.cwd()): { commit: string; dirty: boolean } => {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git('rev-parse', '--short=7', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)bench/results').length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
};

export const newRecord = (quick: boolean): BenchRecord => ({
  version: 1,
  startedAt: new Date().toISOString(),
  ...currentCommit(),
  quick,
  machine: machine(),
  loadAverage: { before: loadavg(), after: null },
  figures: { e2eRatio: null, acceptRatio: null, latencyP99Ms: null, rebuildRatio: null, multiProcessE2eRatio: null, ingestAcceptRatio: null, ingestLatencyP99Ms: null },
  rounds: {},
  rows: [],
  notes: [],
  totalMs: null,
});

const fileName = (r: BenchRecord): string => `${r.startedAt.slice(0, 19).replace(/:/g, '-')}-${r.commit}${r.dirty ? '-dirty' : ''}${r.quick ? '-quick' : ''}.json`;

/** Writes the run's JSON, then the chart of the last runs; returns both paths. */
export const publish = (record: BenchRecord, dir = RESULTS_DIR, lastRuns = 10): { json: string; chart: string } => {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, fileName(record));
  writeFileSync(json, `${JSON.stringify(record, null, 2)}\n`);
  const chart = join(dir, 'chart.svg');
  writeFileSync(chart, renderChart(chartRuns(dir, lastRuns)));
  return { json, chart };
};

/** The runs the chart draws: the last full runs (a --quick run's figures are rougher), or quick ones if there is none. */
export const chartRuns = (dir: string, lastRuns: number): BenchRecord[] => {
  // A run of figure 6 alone (--only reads) has none of the charted ratios.
  const runs = loadRecords(dir, Number.MAX_SAFE_INTEGER).filter((r) => PANELS.some((p) => p.value(r) !== null));
  const full = runs.filter((r) => !r.quick);
  return (full.length > 0 ? full : runs).slice(-lastRuns);
};

/** The last `n` runs in `dir`, oldest first (by start time); files that are not a run's JSON are skipped. */
export const loadRecords = (dir: string, n: number): BenchRecord[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f): BenchRecord[] => {
      try {
        const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Partial<BenchRecord>;
        return r.version === 1 && typeof r.startedAt === 'string' && r.figures ? [r as BenchRecord] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0))
    .slice(-n);

// ---------------------------------------------------------------------------------------------------------------
// the chart: one panel per target, a point per run, the target as a dashed line, met in green and missed in red

type Panel = Readonly<{ title: string; value: (r: BenchRecord) => number | null; target: number; atLeast: boolean; unit: string }>;

export const PANELS: readonly Panel[] = [
  { title: 'end-to-end deliveries ÷ bare undici', value: (r) => r.figures.e2eRatio, target: TARGETS.e2eRatio, atLeast: true, unit: '×' },
  { title: 'sends accepted ÷ bare koa (64 clients)', value: (r) => r.figures.acceptRatio, target: TARGETS.acceptRatio, atLeast: true, unit: '×' },
  { title: 'send→delivered p99 at half peak', value: (r) => r.figures.latencyP99Ms, target: TARGETS.latencyP99Ms, atLeast: false, unit: ' ms' },
  { title: 'rebuild ÷ bare SQLite read', value: (r) => r.figures.rebuildRatio, target: TARGETS.rebuildRatio, atLeast: true, unit: '×' },
  { title: 'RSS after 1,000,000 events, settled', value: (r) => r.figures.rssMiB ?? null, target: TARGETS.rssMiB, atLeast: false, unit: ' MiB' },
];

const WIDTH = 920;
const PANEL_W = 430;
const PANEL_H = 190;
const MARGIN = { left: 56, top: 70, gapX: 40, gapY: 70 };
const PLOT = { left: 10, right: 16, top: 28, bottom: 34 };
const GREEN = '#1a7f37';
const RED = '#cf222e';

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

/** 1, 2 or 5 times a power of ten, at least `v`. */
const niceCeil = (v: number): number => {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * p >= v) ?? 10) * p;
};

const fmt = (v: number, unit: string): string => `${v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2)}${unit}`;

const runLabel = (r: BenchRecord): string => `${r.commit}${r.dirty ? '*' : ''}${r.quick ? ' q' : ''}`;

export const renderChart = (records: readonly BenchRecord[]): string => {
  const rows = Math.ceil(PANELS.length / 2);
  const height = MARGIN.top + rows * PANEL_H + (rows - 1) * MARGIN.gapY + 40;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`);
  const last = records[records.length - 1];
  out.push(`<text x="${MARGIN.left}" y="24" font-size="15" font-weight="bold">Hookbase npm run bench: figures of the last ${records.length} run(s) against their targets</text>`);
  out.push(
    `<text x="${MARGIN.left}" y="44" fill="#555">${
      last
        ? escapeXml(`latest: ${last.startedAt.slice(0, 16).replace('T', ' ')} UTC, commit ${last.commit}${last.dirty ? ' (uncommitted changes)' : ''}${last.quick ? ', --quick' : ''}; ${last.machine.cores} × ${last.machine.cpuModel}, ${(last.machine.memoryBytes / 2 ** 30).toFixed(0)} GiB, node ${last.machine.node}; load average ${last.loadAverage.before[0]?.toFixed(1) ?? '?'} before, ${last.loadAverage.after?.[0]?.toFixed(1) ?? '?'} after`)
        : 'no runs yet'
    }</text>`,
  );
  out.push(`<text x="${MARGIN.left}" y="58" fill="#555">${escapeXml('green: target met, red: missed; dashed line: the target; * uncommitted changes, q --quick')}</text>`);
  PANELS.forEach((panel, i) => {
    const px = MARGIN.left + (i % 2) * (PANEL_W + MARGIN.gapX);
    const py = MARGIN.top + Math.floor(i / 2) * (PANEL_H + MARGIN.gapY);
    out.push(renderPanel(panel, records, px, py));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
};

const renderPanel = (panel: Panel, records: readonly BenchRecord[], px: number, py: number): string => {
  const x0 = px + PLOT.left;
  const x1 = px + PANEL_W - PLOT.right;
  const y0 = py + PANEL_H - PLOT.bottom;
  const y1 = py + PLOT.top;
  const values = records.map(panel.value);
  const max = niceCeil(Math.max(panel.target * 1.25, ...values.filter((v): v is number => v !== null && Number.isFinite(v))));
  const y = (v: number): number => y0 - (Math.min(v, max) / max) * (y0 - y1);
  const step = (x1 - x0) / Math.max(1, records.length);
  const x = (k: number): number => x0 + step * (k + 0.5);
  const parts: string[] = [];
  parts.push(`<g class="panel">`);
  parts.push(`<text x="${px}" y="${py + 12}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`);
  parts.push(`<text x="${px + PANEL_W}" y="${py + 12}" text-anchor="end" fill="#555">${escapeXml(`target ${panel.atLeast ? '≥' : '≤'} ${fmt(panel.target, panel.unit)}`)}</text>`);
  parts.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="#f6f8fa" stroke="#d0d7de"/>`);
  for (const tick of [0, max / 2, max]) {
    parts.push(`<text x="${x0 - 4}" y="${y(tick) + 4}" text-anchor="end" fill="#555">${escapeXml(fmt(tick, panel.unit))}</text>`);
  }
  parts.push(`<line class="target" x1="${x0}" x2="${x1}" y1="${y(panel.target)}" y2="${y(panel.target)}" stroke="#57606a" stroke-dasharray="5 4"/>`);
  const points: string[] = [];
  const marks: string[] = [];
  values.forEach((v, k) => {
    const r = records[k] as BenchRecord;
    marks.push(`<text x="${x(k)}" y="${y0 + 14}" text-anchor="middle" fill="#555" font-size="9">${escapeXml(runLabel(r))}</text>`);
    if (v === null || !Number.isFinite(v)) {
      marks.push(`<text class="missing" x="${x(k)}" y="${y0 - 6}" text-anchor="middle" fill="#8c959f">—</text>`);
      return;
    }
    const met = panel.atLeast ? v >= panel.target : v <= panel.target;
    points.push(`${x(k).toFixed(1)},${y(v).toFixed(1)}`);
    marks.push(`<circle class="run ${met ? 'met' : 'missed'}" cx="${x(k).toFixed(1)}" cy="${y(v).toFixed(1)}" r="4" fill="${met ? GREEN : RED}"><title>${escapeXml(`${runLabel(r)} ${r.startedAt}: ${fmt(v, panel.unit)}`)}</title></circle>`);
    marks.push(`<text x="${x(k)}" y="${y(v) - 8}" text-anchor="middle" fill="${met ? GREEN : RED}" font-size="10">${escapeXml(fmt(v, panel.unit))}</text>`);
  });
  // The line joining the runs under their marks.
  if (points.length > 1) parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="#8c959f"/>`);
  parts.push(...marks, '</g>');
  return parts.join('\n');
};

/** `npx tsx bench/publish.ts [dir]`: redraws the chart from the JSON files already there. */
if (process.argv[1]?.endsWith('publish.ts')) {
  const dir = process.argv[2] ?? RESULTS_DIR;
  writeFileSync(join(dir, 'chart.svg'), renderChart(chartRuns(dir, 10)));
  console.log(`wrote ${join(dir, 'chart.svg')}`);
}
