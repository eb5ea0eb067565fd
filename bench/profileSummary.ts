/**
 * `npx tsx bench/profileSummary.ts <dir or .cpuprofile files>`: where each profiled thread's CPU went, from the
 * V8 CPU profiles `node --cpu-prof` writes (one per thread). Per profile: busy time (samples that were not idle),
 * self time by package or source file, and inclusive time of our own functions (a function counted once per
 * sample however deep it recurs). Proportions only: absolute times depend on the machine's load.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Which package or file a frame belongs to: `pino`, `better-sqlite3`, `node:http`, `api/app.ts`, … */
export const ownerOf = (frame: CallFrame): string => {
  if (SPECIAL.has(frame.functionName) && frame.url === '') return frame.functionName;
  const url = frame.url;
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules?.[1]) return inModules[1];
  if (url.startsWith('node:')) return url.startsWith('node:internal/') ? `node:internal/${url.split('/')[1] ?? ''}` : url;
  const ours = /\/(api|store|projections|dispatcher|domain|cli|observability|bench)\/(.+?)(\?.*)?$/.exec(url);
  if (ours) return `${ours[1]}/${ours[2]}`;
  return url === '' ? '(native)' : url;
};

export type ThreadSummary = Readonly<{
  file: string;
  wallMs: number;
  busyMs: number;
  bySelf: readonly (readonly [string, number])[];
  ourInclusive: readonly (readonly [string, number])[];
}>;

export const summarize = (file: string, profile: CpuProfile): ThreadSummary => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) return;
    const owner = ownerOf(node.callFrame);
    self.set(owner, (self.get(owner) ?? 0) + dt);
    if (owner === '(idle)') return;
    busy += dt;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame) break;
      const o = ownerOf(frame);
      if (!/^(api|store|projections|dispatcher|domain|cli|observability)\//.test(o)) continue;
      const name = `${o}:${frame.functionName || '(anonymous)'}:${frame.lineNumber + 1}`;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
    }
  });
  const top = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  return { file, wallMs: (profile.endTime - profile.startTime) / 1000, busyMs: busy, bySelf: top(self, 25), ourInclusive: top(inclusive, 30) };
};

const pctOf = (v: number, total: number): string => `${((v / total) * 100).toFixed(1)}%`;

const main = (): void => {
  const args = process.argv.slice(2);
  const files = args.flatMap((a) => (statSync(a).isDirectory() ? readdirSync(a).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(a, f)) : [a]));
  for (const file of files.sort()) {
    const s = summarize(basename(file), JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    console.log(`\n== ${s.file}: wall ${(s.wallMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s`);
    console.log('  self time by package / file (share of busy):');
    for (const [k, v] of s.bySelf) if (k !== '(idle)') console.log(`    ${pctOf(v, s.busyMs).padStart(6)}  ${k}`);
    console.log('  inclusive time of our functions (share of busy):');
    for (const [k, v] of s.ourInclusive) console.log(`    ${pctOf(v, s.busyMs).padStart(6)}  ${k}`);
  }
};

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) main();
