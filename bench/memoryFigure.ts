/**
 * Figure 5, memory: `npm run bench:memory` (bench/memory.ts) in a process of its own, so that the RSS measured is
 * Hookbase's alone, run as `npm run bench:memory` runs it, not the bench's process with its baselines, receiver and
 * load generator's client in it. Its tables (each thread's V8 heap at each moment) go to a file; the figures come
 * back through `--json`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MemoryResult } from './memory';

export type MemoryFigure = Readonly<{ result: MemoryResult | null; outputFile: string; error: string | null }>;

export const measureMemory = async (events: number, timeoutMs: number): Promise<MemoryFigure> => {
  const dir = mkdtempSync(join(tmpdir(), 'hookbase-bench-memory-figure-'));
  const jsonFile = join(dir, 'result.json');
  const outputFile = join(tmpdir(), `hookbase-bench-memory-${process.pid}.txt`);
  const child = spawn('npm', ['run', '--silent', 'bench:memory', '--', '--events', String(events), '--json', jsonFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  writeFileSync(outputFile, Buffer.concat(output));
  try {
    if (code !== 0) return { result: null, outputFile, error: `bench:memory exited with ${code ?? 'a signal (timed out?)'}` };
    return { result: JSON.parse(readFileSync(jsonFile, 'utf8')) as MemoryResult, outputFile, error: null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
