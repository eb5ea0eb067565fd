/**
 * A strict reader of Prometheus' text exposition format (0.0.4), for tests: every line must be a HELP, a TYPE or a
 * sample of a declared family; label values escaped; values numbers; a histogram's buckets cumulative, ending in
 * +Inf, equal to its _count. Throws naming the line otherwise. (prom-client writes the format but has no parser.)
 */
export type Sample = Readonly<{ name: string; labels: Readonly<Record<string, string>>; value: number }>;
export type Family = { name: string; help: string; type: string; samples: Sample[] };

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const HELP = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
const SUFFIXES: Readonly<Record<string, readonly string[]>> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

const number = (text: string, line: string): number => {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) throw new Error(`not a number in: ${line}`);
  return Number(text);
};

const labelsOf = (text: string | undefined, line: string): Record<string, string> => {
  const labels: Record<string, string> = {};
  let rest = text ?? '';
  while (rest.length > 0) {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`bad labels in: ${line}`);
    if (m[1]! in labels) throw new Error(`label ${m[1]} twice in: ${line}`);
    labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    rest = rest.slice(m[0].length);
  }
  return labels;
};

const checkHistogram = (family: Family): void => {
  const series = new Map<string, Sample[]>();
  for (const s of family.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, samples] of series) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const count = samples.find((s) => s.name.endsWith('_count'));
    if (buckets.length === 0 || !count || !samples.some((s) => s.name.endsWith('_sum'))) throw new Error(`${family.name} ${key}: buckets, _sum and _count expected`);
    const bounds = buckets.map((b) => number(b.labels.le ?? '', `${family.name} le`));
    for (let i = 1; i < buckets.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!) || buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${family.name} ${key}: buckets not cumulative`);
    }
    if (bounds.at(-1) !== Infinity || buckets.at(-1)!.value !== count.value) throw new Error(`${family.name} ${key}: +Inf bucket must equal _count`);
  }
};

export const parsePrometheusText = (text: string): Map<string, Family> => {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  let current: Family | null = null;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue; // the format ignores empty lines
    const help = HELP.exec(line);
    const type = TYPE.exec(line);
    if (help) {
      if (families.has(help[1]!)) throw new Error(`family ${help[1]} declared twice`);
      current = { name: help[1]!, help: help[2]!, type: 'untyped', samples: [] };
      families.set(current.name, current);
    } else if (type) {
      if (current === null || current.name !== type[1]) throw new Error(`TYPE without its HELP: ${line}`);
      current.type = type[2]!;
    } else {
      const m = SAMPLE.exec(line);
      const family: Family | null = current;
      if (!m || family === null) throw new Error(`not a sample of a declared family: ${line}`);
      const suffixes = SUFFIXES[family.type] ?? [''];
      if (!suffixes.some((suffix) => m[1] === family.name + suffix)) throw new Error(`${m[1]} is not a sample of ${family.name} (${family.type})`);
      family.samples.push({ name: m[1]!, labels: labelsOf(m[2], line), value: number(m[3]!, line) });
    }
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
};
