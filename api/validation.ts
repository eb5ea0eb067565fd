import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ErrorDetail } from '../domain/errors';
import type { JsonValue } from '../domain/json';
import { HttpError } from './errors';
import type { Schema } from './route';

// ajv-formats is CommonJS; its default export arrives as the module object under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as typeof addFormatsModule;

export const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false });
addFormats(ajv);

/** Query strings arrive as text: a separate instance coerces "10" to 10 and "true" to true. */
const queryAjv = new Ajv({ allErrors: true, strict: false, coerceTypes: true });
addFormats(queryAjv);

const cache = new WeakMap<Schema, ValidateFunction>();
const queryCache = new WeakMap<Schema, ValidateFunction>();

const fieldOf = (e: ErrorObject, root: string): string => {
  const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required') path.push(String(e.params.missingProperty));
  if (e.keyword === 'additionalProperties') path.push(String(e.params.additionalProperty));
  return path.length === 0 ? root : path.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
};

const messageOf = (e: ErrorObject, field: string): string => {
  switch (e.keyword) {
    case 'required':
      return `${field} is required.`;
    case 'additionalProperties':
      return `${field} is not a known field.`;
    case 'type':
      return `${field} must be ${String(e.params.type)}.`;
    case 'enum':
      return `${field} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}.`;
    default:
      return `${field} ${e.message ?? 'is invalid'}.`;
  }
};

export const toDetails = (errors: readonly ErrorObject[] | null | undefined, root: string): ErrorDetail[] =>
  (errors ?? []).map((e) => {
    const field = fieldOf(e, root);
    return { field, rule: e.keyword, message: messageOf(e, field) };
  });

const compile = (schema: Schema, query: boolean): ValidateFunction => {
  const map = query ? queryCache : cache;
  let fn = map.get(schema);
  if (!fn) {
    fn = (query ? queryAjv : ajv).compile(schema);
    map.set(schema, fn);
  }
  return fn;
};

/** Checks a request body against its schema: 422 naming each field and rule. */
export const validateBody = <T>(schema: Schema, body: JsonValue | undefined): T => {
  const value = body ?? {};
  const validate = compile(schema, false);
  if (!validate(value)) {
    const details = toDetails(validate.errors, 'body');
    throw new HttpError(422, 'validation_failed', details.map((d) => d.message).join(' '), details);
  }
  return value as T;
};

/** Query values are coerced to the schema's types (limit=10 → 10); bad values give 422 as well. */
export const validateQuery = <T>(schema: Schema, query: Record<string, string | string[] | undefined>): T => {
  const value: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) value[k] = Array.isArray(v) ? v[v.length - 1] : v;
  const validate = compile(schema, true);
  if (!validate(value)) {
    const details = toDetails(validate.errors, 'query');
    throw new HttpError(422, 'validation_failed', details.map((d) => d.message).join(' '), details);
  }
  return value as T;
};

/** An event type's own schema, checked when it is defined: a schema that does not compile is refused. */
export const compilePayloadSchema = (schema: Schema, field = 'schema'): ValidateFunction => {
  try {
    return ajv.compile(schema);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'invalid schema';
    throw new HttpError(422, 'validation_failed', `${field} is not a valid JSON Schema: ${reason}`, [
      { field, rule: 'json_schema', message: `${field} is not a valid JSON Schema: ${reason}` },
    ]);
  }
};
