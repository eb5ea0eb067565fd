import type { SubscriptionFilter } from '../../domain/endpoint/subscriptions';
import { validationError } from '../../domain/errors';
import type { JsonValue } from '../../domain/json';
import { jsonataEngine } from '../../inbound/jsonataTransform';
import type { CompiledTransform } from '../../inbound/transformTypes';
import { DEFAULT_TRANSFORM_LIMITS, TransformError } from '../../inbound/transformTypes';

// A subscription's filter (the official clients' `labelFilters`, `labelFilterMode`, `filterExpression`: the MCP
// server's src/tools/outbound.ts create/update_subscription), checked when it is set and decided at send time.
// The expression runs on the inbound routes' JSONata engine (inbound/jsonataTransform.ts), with its guardrails.

/** The official fields as a body may carry them; undefined: not sent, null: cleared. */
export type SubscriptionFilterBody = {
  labelFilters?: Record<string, string | string[]> | null;
  labelFilterMode?: 'all' | 'any' | null;
  filterExpression?: string | null;
};

export const MAX_LABEL_FILTERS = 50;
const MAX_EXPRESSION = 4096;
/** One expression's run at send time; a slower one does not match. */
const FILTER_LIMITS = { ...DEFAULT_TRANSFORM_LIMITS, timeoutMs: 100 };

const compiled = new Map<string, Promise<CompiledTransform>>();
const compileExpression = (expression: string): Promise<CompiledTransform> => {
  let found = compiled.get(expression);
  if (!found) {
    if (compiled.size >= 512) compiled.clear();
    found = jsonataEngine.compile(expression);
    compiled.set(expression, found);
    found.catch(() => compiled.delete(expression));
  }
  return found;
};

const requireLabels = (raw: Record<string, string | string[]>): Record<string, string | string[]> => {
  const keys = Object.keys(raw);
  if (keys.length > MAX_LABEL_FILTERS) throw validationError('labelFilters', 'max_properties', `labelFilters may name at most ${MAX_LABEL_FILTERS} labels.`);
  for (const key of keys) {
    const value = raw[key];
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0 || values.some((v) => typeof v !== 'string')) {
      throw validationError(`labelFilters.${key}`, 'type', `labelFilters.${key} must be a string or a non-empty list of strings.`);
    }
  }
  return raw;
};

/**
 * The filter a create (`current` null) or an update (`current` the subscription's) leaves: undefined when the body
 * changes nothing; null when no part remains. A broken expression is a 422 naming `filterExpression`.
 */
export const subscriptionFilterIn = async (body: SubscriptionFilterBody, current: SubscriptionFilter | null): Promise<SubscriptionFilter | null | undefined> => {
  if (body.labelFilters === undefined && body.labelFilterMode === undefined && body.filterExpression === undefined) return undefined;
  const labels = body.labelFilters === undefined ? current?.labels ?? null : body.labelFilters === null ? null : requireLabels(body.labelFilters);
  const labelMode = body.labelFilterMode ?? (body.labelFilterMode === null ? 'all' : current?.labelMode ?? 'all');
  const expression = body.filterExpression === undefined ? current?.expression ?? null : body.filterExpression === null || body.filterExpression.trim() === '' ? null : body.filterExpression;
  if (expression !== null) {
    if (expression.length > MAX_EXPRESSION) throw validationError('filterExpression', 'max_length', `filterExpression may be at most ${MAX_EXPRESSION} characters.`);
    try {
      await compileExpression(expression);
    } catch (error) {
      throw validationError('filterExpression', 'jsonata', error instanceof TransformError ? error.message : 'filterExpression is not a JSONata expression.');
    }
  }
  if (labels === null && expression === null) return null;
  return { labels, labelMode, expression };
};

const labelsMatch = (wanted: Record<string, string | string[]>, mode: 'all' | 'any', labels: Readonly<Record<string, string>>): boolean => {
  const results = Object.entries(wanted).map(([key, value]) => {
    const have = labels[key];
    return have !== undefined && (Array.isArray(value) ? value.includes(have) : value === have);
  });
  if (results.length === 0) return true;
  return mode === 'all' ? results.every(Boolean) : results.some(Boolean);
};

/** JSONata's own truth: false, null, 0, "", empty arrays and objects are false. */
const truthy = (value: JsonValue): boolean => {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
};

/**
 * Whether a send with this payload and these labels passes the filter. The expression reads the payload as its
 * root; one that fails or runs past its time limit does not match (the send is not delivered to this endpoint).
 */
export const passesFilter = async (filter: SubscriptionFilter | null | undefined, payload: JsonValue, labels: Readonly<Record<string, string>>): Promise<boolean> => {
  if (!filter) return true;
  if (filter.labels !== null && !labelsMatch(filter.labels, filter.labelMode, labels)) return false;
  if (filter.expression === null) return true;
  try {
    const run = await compileExpression(filter.expression);
    return truthy(await run.run(payload, { now: new Date(), limits: FILTER_LIMITS }));
  } catch {
    return false;
  }
};
