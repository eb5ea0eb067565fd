import type { JsonObject } from '../domain/json';
import type { AnyRoute } from './route';

const errorSchema: JsonObject = {
  type: 'object',
  required: ['error', 'requestId'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: { type: 'object' } } },
    },
    requestId: { type: 'string' },
  },
};

/** COMPAT.md's error body, answered on /api and /portal (api/errors.ts cloudErrorBody). */
const cloudErrorSchema: JsonObject = {
  type: 'object',
  required: ['error', 'message', 'code', 'details', 'requestId'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    code: { type: 'string' },
    details: {
      type: ['object', 'null'],
      properties: { fieldErrors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
    },
    validationErrors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
    requestId: { type: 'string' },
  },
};

/** /openapi.json, generated from the same route table and schemas that validate requests. */
export const openApiDocument = (routes: readonly AnyRoute[], version: string, serverUrl: string): JsonObject => {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const r of routes) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1] ?? '', in: 'path', required: true, schema: { type: 'string' } }));
    const queryProps = (r.query?.properties ?? {}) as JsonObject;
    const query = Object.entries(queryProps).map(([name, schema]) => ({ name, in: 'query', required: false, schema }));
    const op: JsonObject = {
      operationId: r.operationId,
      summary: r.summary,
      security: r.auth === 'public' ? [] : [{ bearer: [] }],
      parameters: [...params, ...query],
      responses: {
        [String(r.response.status)]: r.response.schema
          ? { description: r.response.description ?? 'OK', content: { 'application/json': { schema: r.response.schema } } }
          : { description: r.response.description ?? 'OK' },
        default: { description: 'Error', content: { 'application/json': { schema: /^\/(api|portal)\//.test(r.path) ? cloudErrorSchema : errorSchema } } },
      },
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: r.body } } };
    paths[r.path] = { ...(paths[r.path] ?? {}), [r.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Hookbase API', version },
    servers: [{ url: serverUrl }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
};
