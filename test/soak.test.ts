import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { SoakReport } from '../bench/soakChart';
import { spawnRecorded } from './wire/children';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `npm run soak`'s script, run as a user runs it but for a quarter of a minute: it stops by itself and its outputs parse. */
describe('npm run soak, short', () => {
  const out = mkdtempSync(join(tmpdir(), 'hookbase-soak-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('samples every 5 s for 0.25 min, delivers everything through a flaky receiver, writes JSON and an SVG chart', async () => {
    const started = Date.now();
    // In a process group of its own, recorded: what soak.ts starts ends with the run, however it ends.
    const soak = spawnRecorded(process.execPath, ['--import', 'tsx', 'bench/soak.ts', '--minutes', '0.25', '--rate', '20', '--sample-seconds', '5', '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    soak.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const guard = setTimeout(() => soak.kill('SIGKILL'), 150_000);
    const code = await new Promise<number | null>((resolve) => soak.once('exit', resolve));
    clearTimeout(guard);
    expect(code, stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(150_000);

    const report = JSON.parse(readFileSync(join(out, 'soak.json'), 'utf8')) as SoakReport;
    expect(report.settings).toMatchObject({ minutes: 0.25, rate: 20, peakRate: null, sampleSeconds: 5, receiverFailsOneIn: 5 });
    // Three samples in the 15 s, and one after the drain.
    expect(report.samples.length).toBeGreaterThanOrEqual(3);
    expect(report.samples.length).toBeLessThanOrEqual(5);
    for (const s of report.samples) {
      expect(s.rssMiB).toBeGreaterThan(10);
      expect(s.loopDelayP99Ms).toBeGreaterThanOrEqual(0);
    }
    expect(report.samples.some((s) => s.latencyP50Ms !== null && s.latencyP50Ms > 0)).toBe(true);
    // 20/s for 15 s; each one delivered despite one request in five failing.
    expect(report.totals.sent).toBeGreaterThan(250);
    expect(report.totals).toMatchObject({ refused: 0, undelivered: 0, delivered: report.totals.sent });
    expect(report.totals.receiverRequests).toBeGreaterThan(report.totals.sent);
    expect(report.machine.cpus).toBeGreaterThan(0);

    const svg = readFileSync(join(out, 'soak.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const title of ['Memory', 'Event-loop delay', 'Send → delivered latency']) expect(svg).toContain(title);
    // One line per series, each with a point per sample.
    const lines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => (m[1] ?? '').split(' ').filter(Boolean));
    expect(lines).toHaveLength(6);
    expect(lines[0]).toHaveLength(report.samples.length);
  }, 180_000);
});
