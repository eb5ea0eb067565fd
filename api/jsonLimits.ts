import type { ErrorDetail } from '../domain/errors';
import type { JsonValue } from '../domain/json';
import { HttpError } from './errors';

/**
 * How deep a request body may nest (objects and arrays; the body itself is level 1). JSON.parse copes with any
 * depth, but everything after it recurses (ajv, JSON.stringify when the event is stored and when the webhook is
 * signed): 5,000 levels overflowed the stack and answered 500. 64 leaves a payload 60 levels under `payload`.
 */
export const MAX_JSON_DEPTH = 64;

type Frame = Readonly<{ value: JsonValue; depth: number; parent: Frame | null; key: string | number | null }>;

/** `payload.items[3].price`, built only when there is an error to report (no path per value otherwise). */
const fieldPath = (frame: Frame | null, key: string | number | null): string => {
  const keys: (string | number)[] = key === null ? [] : [key];
  for (let f = frame; f !== null; f = f.parent) if (f.key !== null) keys.unshift(f.key);
  return keys.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || 'body';
};

/**
 * Checks a parsed body without recursion (an explicit stack, so the check itself cannot overflow):
 * 400 past MAX_JSON_DEPTH; 422 for a number JSON.parse turned into ±Infinity (`1e400`), which would be stored
 * and delivered as `null` — the relay delivers what it accepted or refuses it.
 */
export const checkJsonLimits = (body: JsonValue): void => {
  if (body === null || typeof body !== 'object') return checkNumber(body, null, null);
  const stack: Frame[] = [{ value: body, depth: 1, parent: null, key: null }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth > MAX_JSON_DEPTH) {
      const field = fieldPath(frame, null);
      throw new HttpError(400, 'json_too_deep', `The request body nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays (at ${field}).`, [
        { field, rule: 'max_depth', message: `Objects and arrays may nest at most ${MAX_JSON_DEPTH} levels deep.` },
      ]);
    }
    const value = frame.value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) visit(value[i]!, frame, i, stack);
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) visit(value[key]!, frame, key, stack);
    }
  }
};

const visit = (child: JsonValue, parent: Frame, key: string | number, stack: Frame[]): void => {
  if (child !== null && typeof child === 'object') stack.push({ value: child, depth: parent.depth + 1, parent, key });
  else checkNumber(child, parent, key);
};

const checkNumber = (value: JsonValue, parent: Frame | null, key: string | number | null): void => {
  if (typeof value !== 'number' || Number.isFinite(value)) return;
  const field = fieldPath(parent, key);
  const detail: ErrorDetail = {
    field,
    rule: 'finite_number',
    message: `${field} is a number out of the range of a double (about ±1.8e308); send it as a string to keep its digits.`,
  };
  throw new HttpError(422, 'validation_failed', detail.message, [detail]);
};
