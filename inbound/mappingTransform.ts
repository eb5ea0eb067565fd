import type { JsonObject, JsonValue } from '../domain/json';
import type { CompiledTransform, TransformEngine } from './transformTypes';
import { TransformError } from './transformTypes';

/** The official SDK's `FieldMapping` (src/types/index.ts): where a value comes from, where it goes, what it becomes. */
export type FieldMapping = { source: string; target: string; type: 'string' | 'number' | 'boolean' | 'timestamp' | 'json'; default?: string };

const TYPES: ReadonlySet<string> = new Set(['string', 'number', 'boolean', 'timestamp', 'json']);
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_MAPPINGS = 500;

const pathOf = (where: string, raw: unknown, allowRoot: boolean): string[] => {
  if (typeof raw !== 'string' || raw.length > 256) throw new TransformError('invalid_code', `${where} must be a dotted path of at most 256 characters`);
  const text = raw.startsWith('$.') ? raw.slice(2) : raw === '$' ? '' : raw;
  const keys = text
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((k) => k !== '');
  if (keys.length === 0 && !allowRoot) throw new TransformError('invalid_code', `${where} must name a field`);
  const bad = keys.find((k) => FORBIDDEN_KEYS.has(k));
  if (bad !== undefined) throw new TransformError('invalid_code', `${where} must not use the key ${bad}`);
  return keys;
};

type Rule = { index: number; source: string[]; sourceText: string; target: string[]; type: FieldMapping['type']; fallback: string | null };

/**
 * The code of a mapping transform is JSON: the official `FieldMapping` list (`[{source, target, type, default}]`),
 * or the short form `{"target.path": "source.path"}` (type json). Sources and targets are dotted paths
 * (`$.` allowed in front, `[0]` or `.0` for array items).
 */
const parseRules = (code: string): Rule[] => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(code);
  } catch {
    throw new TransformError('invalid_code', 'A mapping transform is JSON: a list of {source, target, type, default} or an object {target: source}');
  }
  if (parsed === null || typeof parsed !== 'object') {
    throw new TransformError('invalid_code', 'A mapping transform is JSON: a list of {source, target, type, default} or an object {target: source}');
  }
  const list: unknown[] = Array.isArray(parsed) ? parsed : Object.entries(parsed).map(([target, source]) => ({ source, target, type: 'json' }));
  if (list.length > MAX_MAPPINGS) throw new TransformError('invalid_code', `A mapping transform may hold at most ${MAX_MAPPINGS} mappings`);
  return list.map((raw, index) => {
    const where = `mapping[${index}]`;
    if (raw === null || typeof raw !== 'object') throw new TransformError('invalid_code', `${where} must be an object with source and target`);
    const { source, target, type = 'json', default: fallback } = raw as Record<string, unknown>;
    if (typeof type !== 'string' || !TYPES.has(type)) throw new TransformError('invalid_code', `${where}.type must be one of string, number, boolean, timestamp, json`);
    if (fallback !== undefined && typeof fallback !== 'string') throw new TransformError('invalid_code', `${where}.default must be a string`);
    return {
      index,
      source: pathOf(`${where}.source`, source, true),
      sourceText: String(source),
      target: pathOf(`${where}.target`, target, false),
      type: type as FieldMapping['type'],
      fallback: fallback ?? null,
    };
  });
};

const MISSING = Symbol('missing');

const read = (value: JsonValue, keys: readonly string[]): JsonValue | typeof MISSING => {
  let current: JsonValue | undefined = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return MISSING;
    current = Array.isArray(current) ? (/^\d+$/.test(key) ? current[Number(key)] : undefined) : Object.hasOwn(current, key) ? current[key] : undefined;
    if (current === undefined) return MISSING;
  }
  return current;
};

const write = (target: JsonObject, keys: readonly string[], value: JsonValue): void => {
  let node = target;
  keys.slice(0, -1).forEach((key) => {
    const next = node[key];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as JsonObject;
  });
  node[keys[keys.length - 1]!] = value;
};

const toTimestamp = (value: JsonValue): string | null => {
  // Numbers below 10^12 are Unix seconds, above are milliseconds (the way providers send them).
  const millis = typeof value === 'number' ? (Math.abs(value) < 1e12 ? value * 1000 : value) : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(millis) ? new Date(millis).toISOString() : null;
};

const convert = (rule: Rule, value: JsonValue): JsonValue => {
  const fail = (what: string): never => {
    throw new TransformError('failed', `mapping[${rule.index}]: the value at ${rule.sourceText} is not ${what}`);
  };
  switch (rule.type) {
    case 'json':
      return value;
    case 'string':
      return typeof value === 'string' ? value : value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
      return Number.isFinite(n) ? n : fail('a number');
    }
    case 'boolean':
      return value === true || value === 'true' ? true : value === false || value === 'false' ? false : fail('a boolean');
    case 'timestamp':
      return toTimestamp(value) ?? fail('a time');
    default: {
      const never: never = rule.type;
      return never;
    }
  }
};

export const mappingEngine: TransformEngine = {
  type: 'mapping',
  compile: async (code: string): Promise<CompiledTransform> => {
    const rules = parseRules(code);
    return {
      run: async (input, { now, limits }) => {
        const deadline = performance.now() + limits.timeoutMs;
        const output: JsonObject = {};
        for (const rule of rules) {
          if (performance.now() > deadline) throw new TransformError('timeout', `The transform ran for more than ${limits.timeoutMs} ms`);
          const found = read(input, rule.source);
          if (found !== MISSING) write(output, rule.target, convert(rule, found));
          else if (rule.fallback === 'now()') write(output, rule.target, rule.type === 'timestamp' ? now.toISOString() : convert(rule, now.toISOString()));
          else if (rule.fallback !== null) write(output, rule.target, convert(rule, rule.fallback));
        }
        return output;
      },
    };
  },
};
