/** Small numeric helpers and the result table of the benchmark. */

export type Summary = Readonly<{ n: number; mean: number; p50: number; p90: number; p99: number; max: number }>;

/** Nearest-rank percentile of an ascending array (p in 0..100); NaN when empty. */
export const percentile = (sorted: readonly number[], p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
};

export const summarize = (values: readonly number[]): Summary => {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    n: sorted.length,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
  };
};

export const perSecond = (count: number, elapsedMs: number): number => (elapsedMs > 0 ? (count * 1000) / elapsedMs : 0);

/** 1234.5 → "1,235"; 12.34 → "12.3"; 0.1234 → "0.123". */
export const num = (v: number | null | undefined): string => {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const abs = Math.abs(v);
  if (abs >= 100) return Math.round(v).toLocaleString('en-US');
  if (abs >= 10) return v.toFixed(1);
  return v.toFixed(abs >= 1 ? 2 : 3);
};

export const ms = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '—' : `${v.toFixed(v >= 100 ? 0 : 1)} ms`);
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export type Row = Readonly<{
  name: string;
  hookbase: string;
  baseline: string;
  ratio: string;
  target: string;
  /** true / false when the figure has a target, null when it has none. */
  ok: boolean | null;
}>;

/** Plain text, fixed-width columns: `name  hookbase  baseline  ratio  target  ok?`. */
export const renderTable = (rows: readonly Row[]): string => {
  const header = ['figure', 'hookbase', 'baseline', 'ratio', 'target', 'ok?'];
  const cells = rows.map((r) => [r.name, r.hookbase, r.baseline, r.ratio, r.target, r.ok === null ? '—' : r.ok ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) =>
    c
      .map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
};
