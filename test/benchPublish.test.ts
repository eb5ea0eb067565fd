import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chartRuns, currentCommit, loadRecords, newRecord, PANELS, publish, renderChart, TARGETS } from '../bench/publish';

// The bench's published figures: a JSON file per run and the SVG chart drawn from the last runs' files
// (fixtures: three runs, one of them --quick, and a JSON file that is not a run).
const FIXTURES = new URL('../bench/fixtures/results/', import.meta.url).pathname;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookbase-bench-results-'));
  cpSync(FIXTURES, dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const count = (svg: string, pattern: RegExp): number => svg.match(pattern)?.length ?? 0;

describe('bench results', () => {
  it('reads the runs oldest first, skipping what is not a run, keeping the last n', () => {
    expect(loadRecords(dir, 10).map((r) => r.commit)).toEqual(['aaaaaaa', 'ccccccc', 'bbbbbbb']);
    expect(loadRecords(dir, 2).map((r) => r.commit)).toEqual(['ccccccc', 'bbbbbbb']);
  });

  it('draws one panel per target, a point per measured run, green when met and red when missed', () => {
    const svg = renderChart(loadRecords(dir, 10));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // Well formed as far as its elements go: every group and text closed.
    expect(count(svg, /<g[ >]/g)).toBe(count(svg, /<\/g>/g));
    expect(count(svg, /<text[ >]/g)).toBe(count(svg, /<\/text>/g));
    expect(count(svg, /class="panel"/g)).toBe(PANELS.length);
    expect(count(svg, /class="target"/g)).toBe(PANELS.length);
    // e2e 0.081 / 0.25 / 0.31 against 0.30; accept 0.165 / 0.5 / 0.52 against 0.5; p99 34.6 / 12 / 9.5 ms against 10;
    // rebuild 0.073 / 0.3 / none against 0.3; RSS none (a run from before figure 5 was measured so) / 301.2 / 231.7 MiB
    // against 244.1 MiB (256 MB).
    expect(count(svg, /class="run met"/g)).toBe(1 + 2 + 1 + 1 + 1);
    expect(count(svg, /class="run missed"/g)).toBe(2 + 1 + 2 + 1 + 1);
    expect(count(svg, /class="missing"/g)).toBe(1 + 1);
    expect(svg).toContain('target ≥ 0.30×');
    expect(svg).toContain('target ≤ 10 ms');
    expect(svg).toContain('target ≤ 244 MiB');
    expect(TARGETS).toEqual({ e2eRatio: 0.3, acceptRatio: 0.5, latencyP99Ms: 10, rebuildRatio: 0.3, rssMiB: 256e6 / 2 ** 20 });
    // The latest run's commit and machine, escaped.
    expect(svg).toContain('commit bbbbbbb');
    expect(svg).toContain('2 × AMD EPYC &amp; Co 7B13, 24 GiB, node v20.18.0');
    expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
    expect(svg).toContain('ccccccc q');
  });

  it('publishes a run: its JSON beside the others, and the chart redrawn with it', () => {
    const record = newRecord(false);
    record.figures.e2eRatio = 0.42;
    record.rounds['e2e.hookbase'] = [4100, 4200, 4300];
    const { json, chart } = publish(record, dir, 10);
    expect(json.startsWith(dir)).toBe(true);
    expect(json).toMatch(/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-[0-9a-f]{7}(-dirty)?\.json$|unknown/);
    const written = JSON.parse(readFileSync(json, 'utf8')) as typeof record;
    expect(written).toEqual(record);
    expect(written.machine.cores).toBeGreaterThan(0);
    expect(written.loadAverage.before).toHaveLength(3);
    const svg = readFileSync(chart, 'utf8');
    expect(svg).toContain('0.42×');
    expect(svg).toContain(`commit ${record.commit}`);
    expect(loadRecords(dir, 10)).toHaveLength(4);
    // The chart draws the full runs only (three of the four): the --quick fixture is left out.
    expect(chartRuns(dir, 10).map((r) => r.commit)).toEqual(['aaaaaaa', 'bbbbbbb', record.commit]);
    expect(svg).not.toContain('ccccccc');
    expect(count(svg, /class="run (met|missed)"/g) + count(svg, /class="missing"/g)).toBe(3 * PANELS.length);
  });
});

describe('the commit a run measured', () => {
  it('is dirty for a changed source, not for the chart an earlier run redrew', () => {
    const repo = mkdtempSync(join(tmpdir(), 'hookbase-bench-commit-'));
    try {
      const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { cwd: repo, encoding: 'utf8' });
      git('init', '-q');
      mkdirSync(join(repo, 'bench/results'), { recursive: true });
      writeFileSync(join(repo, 'bench/results/chart.svg'), '<svg/>');
      writeFileSync(join(repo, 'server.ts'), 'export {};');
      git('add', '.');
      git('commit', '-q', '-m', 'first');
      const head = git('rev-parse', '--short=7', 'HEAD').trim();
      expect(currentCommit(repo)).toEqual({ commit: head, dirty: false });
      // What a run writes: the chart redrawn, its JSON beside it.
      writeFileSync(join(repo, 'bench/results/chart.svg'), '<svg><g/></svg>');
      writeFileSync(join(repo, 'bench/results/run.json'), '{}');
      expect(currentCommit(repo)).toEqual({ commit: head, dirty: false });
      writeFileSync(join(repo, 'server.ts'), 'export const changed = true;');
      expect(currentCommit(repo)).toEqual({ commit: head, dirty: true });
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
