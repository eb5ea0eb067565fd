import type { JsonValue } from '../domain/json';
import type { FilterCondition, FilterDefinition } from '../domain/route/filters';
import { MAX_REGEX_INPUT, compileLinearRegex } from '../domain/route/linearRegex';

/** What a filter reads: the parsed payload (undefined when the body is not JSON) and the request headers. */
export type FilterSubject = Readonly<{
  payload: unknown;
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}>;

/** The official `FilterTestResult`: whether the filter matches, and each condition's own outcome, in order. */
export type FilterOutcome = { matches: boolean; results: { passed: boolean }[]; logic: 'and' | 'or' };

const MISSING = Symbol('missing');
type Resolved = unknown | typeof MISSING;

/** `a.b[0].c` → ['a', 'b', '0', 'c']. */
const segments = (path: string): string[] =>
  path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((s) => s !== '');

const walk = (value: unknown, path: readonly string[]): Resolved => {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return MISSING;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(key)) return MISSING;
      current = current[Number(key)];
    } else {
      if (!Object.hasOwn(current, key)) return MISSING;
      current = (current as Record<string, unknown>)[key];
    }
    if (current === undefined) return MISSING;
  }
  return current;
};

const headerValue = (headers: FilterSubject['headers'], name: string): Resolved => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return typeof value === 'string' ? value : value.join(', ');
  }
  return MISSING;
};

/** Where a condition's field points: `headers.x` a header, `body.`/`payload.`/`$.` or nothing the payload. */
export const resolveField = (subject: FilterSubject, field: string): Resolved => {
  if (field.startsWith('headers.')) return headerValue(subject.headers, field.slice('headers.'.length));
  for (const prefix of ['$.', 'body.', 'payload.']) {
    if (field.startsWith(prefix)) return walk(subject.payload, segments(field.slice(prefix.length)));
  }
  if (field === '$' || field === 'body' || field === 'payload') return subject.payload === undefined ? MISSING : subject.payload;
  return walk(subject.payload, segments(field));
};

/** Canonical text of a JSON value (sorted keys), for equality of objects and arrays. */
const canonical = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
};

const isScalar = (value: unknown): value is string | number | boolean | null =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** The clients send values as strings (the MCP server's schema says so): a scalar equals the text of another. */
const scalarText = (value: string | number | boolean | null): string => (typeof value === 'string' ? value : String(value));

export const valuesEqual = (actual: unknown, expected: JsonValue): boolean => {
  if (isScalar(actual) && isScalar(expected)) return actual === expected || scalarText(actual) === scalarText(expected);
  return canonical(actual) === canonical(expected);
};

const NUMERIC = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const asNumber = (value: unknown): number | null => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return null;
};

/** Numbers (or numeric text) compare as numbers; two other strings compare as text (ISO times order as text). */
const compare = (actual: unknown, expected: JsonValue): number | null => {
  const a = asNumber(actual);
  const b = asNumber(expected);
  if (a !== null && b !== null) return a - b;
  if (typeof actual === 'string' && typeof expected === 'string') return actual < expected ? -1 : actual > expected ? 1 : 0;
  return null;
};

// Compiled patterns, kept for reuse (a route's filter runs for every event); bounded so odd patterns cannot grow it.
const compiledPatterns = new Map<string, RegExp | null>();
const patternFor = (pattern: string): RegExp | null => {
  const cached = compiledPatterns.get(pattern);
  if (cached !== undefined) return cached;
  const compiled = compileLinearRegex(pattern);
  if (compiledPatterns.size >= 512) compiledPatterns.clear();
  compiledPatterns.set(pattern, compiled.ok ? compiled.regex : null);
  return compiled.ok ? compiled.regex : null;
};

const textOf = (value: unknown): string | null => (isScalar(value) && value !== null ? scalarText(value) : null);

export const evaluateCondition = (condition: FilterCondition, subject: FilterSubject): boolean => {
  const actual = resolveField(subject, condition.field);
  const expected = condition.value;
  switch (condition.operator) {
    case 'exists':
      return actual !== MISSING;
    case 'not_exists':
      return actual === MISSING;
    case 'equals':
      return actual !== MISSING && valuesEqual(actual, expected);
    case 'not_equals':
      return !(actual !== MISSING && valuesEqual(actual, expected));
    case 'contains': {
      if (Array.isArray(actual)) return actual.some((item) => valuesEqual(item, expected));
      const text = textOf(actual);
      const needle = isScalar(expected) && expected !== null ? scalarText(expected) : null;
      return text !== null && needle !== null && text.includes(needle);
    }
    case 'starts_with':
    case 'ends_with': {
      const text = textOf(actual);
      const affix = isScalar(expected) && expected !== null ? scalarText(expected) : null;
      if (text === null || affix === null) return false;
      return condition.operator === 'starts_with' ? text.startsWith(affix) : text.endsWith(affix);
    }
    case 'greater_than':
    case 'less_than': {
      if (actual === MISSING) return false;
      const order = compare(actual, expected);
      if (order === null) return false;
      return condition.operator === 'greater_than' ? order > 0 : order < 0;
    }
    case 'regex': {
      const text = textOf(actual);
      if (text === null || text.length > MAX_REGEX_INPUT || typeof expected !== 'string') return false;
      return patternFor(expected)?.test(text) ?? false;
    }
    default: {
      const never: never = condition.operator;
      return never;
    }
  }
};

/**
 * Every condition is evaluated (the official test answer lists each one's outcome); `and` needs all to pass,
 * `or` one. An empty filter matches everything.
 */
export const evaluateFilter = (filter: FilterDefinition, subject: FilterSubject): FilterOutcome => {
  const results = filter.conditions.map((condition) => ({ passed: evaluateCondition(condition, subject) }));
  const matches = results.length === 0 || (filter.logic === 'and' ? results.every((r) => r.passed) : results.some((r) => r.passed));
  return { matches, results, logic: filter.logic };
};
