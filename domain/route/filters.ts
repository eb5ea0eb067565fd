import { validationError } from '../errors';
import type { JsonValue } from '../json';
import { compileLinearRegex } from './linearRegex';

/** The official clients' operators (MCP server src/tools/routes.ts and filters.ts, Node SDK FilterCondition). */
export const FILTER_OPERATORS = [
  'equals',
  'not_equals',
  'contains',
  'starts_with',
  'ends_with',
  'exists',
  'not_exists',
  'greater_than',
  'less_than',
  'regex',
] as const;

export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/**
 * `field`: a dotted path (`data.object.amount`, `items.0.id` or `items[0].id`) into the payload, optionally behind
 * `body.`, `payload.` or `$.`; `headers.<name>` reads a request header (any case).
 */
export type FilterCondition = { field: string; operator: FilterOperator; value: JsonValue };

export type FilterLogic = 'and' | 'or';

export type FilterDefinition = { conditions: FilterCondition[]; logic: FilterLogic };

export const MAX_CONDITIONS = 50;
const VALUELESS: ReadonlySet<FilterOperator> = new Set(['exists', 'not_exists']);

const isOperator = (value: unknown): value is FilterOperator => typeof value === 'string' && (FILTER_OPERATORS as readonly string[]).includes(value);

/** The clients send `AND`/`OR` (MCP) or `and`/`or`; absent means and. */
export const requireFilterLogic = (field: string, raw: unknown): FilterLogic => {
  if (raw === undefined || raw === null) return 'and';
  const lower = typeof raw === 'string' ? raw.toLowerCase() : '';
  if (lower === 'and' || lower === 'or') return lower;
  throw validationError(field, 'enum', `${field} must be "and" or "or".`);
};

const requireCondition = (field: string, raw: unknown): FilterCondition => {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw validationError(field, 'type', `${field} must be an object with field, operator and value.`);
  const { field: path, operator, value } = raw as Record<string, unknown>;
  if (typeof path !== 'string' || path.trim() === '' || path.length > 256) {
    throw validationError(`${field}.field`, 'required', `${field}.field must be a dotted path of 1-256 characters.`);
  }
  if (!isOperator(operator)) throw validationError(`${field}.operator`, 'enum', `${field}.operator must be one of ${FILTER_OPERATORS.join(', ')}.`);
  if (!VALUELESS.has(operator) && (value === undefined || value === null)) {
    throw validationError(`${field}.value`, 'required', `${field}.value is required with the operator ${operator}.`);
  }
  if (operator === 'regex') {
    if (typeof value !== 'string') throw validationError(`${field}.value`, 'type', `${field}.value must be a pattern (a string) with the operator regex.`);
    const compiled = compileLinearRegex(value);
    if (!compiled.ok) throw validationError(`${field}.value`, 'regex', `${field}.value: ${compiled.reason}.`);
  }
  return { field: path.trim(), operator, value: (value ?? null) as JsonValue };
};

export const requireFilterConditions = (field: string, raw: unknown): FilterCondition[] => {
  if (!Array.isArray(raw)) throw validationError(field, 'type', `${field} must be a list of conditions.`);
  if (raw.length > MAX_CONDITIONS) throw validationError(field, 'max_items', `${field} may hold at most ${MAX_CONDITIONS} conditions.`);
  return raw.map((condition, i) => requireCondition(`${field}[${i}]`, condition));
};

/**
 * A route's inline filter as either client sends it: the Node SDK's `filterConditions: [...]` with `filterLogic`,
 * or the MCP server's `filterConditions: {logic, conditions}`. Null: no inline filter.
 */
export const requireInlineFilter = (conditionsRaw: unknown, logicRaw: unknown): FilterDefinition | null => {
  if (conditionsRaw === undefined || conditionsRaw === null) return null;
  if (!Array.isArray(conditionsRaw) && typeof conditionsRaw === 'object') {
    const { logic, conditions } = conditionsRaw as Record<string, unknown>;
    return { conditions: requireFilterConditions('filterConditions.conditions', conditions), logic: requireFilterLogic('filterConditions.logic', logic ?? logicRaw) };
  }
  return { conditions: requireFilterConditions('filterConditions', conditionsRaw), logic: requireFilterLogic('filterLogic', logicRaw) };
};
