import type { JsonObject, JsonValue } from '../../domain/json';
import { collections } from '../../projections/readModels';
import type { DestinationDoc, FilterDoc, RouteDoc, SchemaDoc, SourceDoc, TransformDoc } from '../../projections/readModels';
import type { CollectionDef, Document } from '../../store/readStore';
import {
  createDestination, createFilter, createRoute, createSchema, createSource, createTransform, deleteDestination, deleteFilter, deleteRoute, deleteSchema,
  deleteSource, deleteTransform, ingestUrlOf, requireDestination, requireFilter, requireRoute, requireSchema, requireSource, requireTransform,
  rotateSourceSecret, testTransform, updateDestination, updateFilter, updateRoute, updateSchema, updateSource, updateTransform, validateAgainstSchema,
} from '../commands/inboundConfig';
import type { DestinationIn, RouteIn, SourceIn } from '../commands/inboundConfig';
import type { ApiDeps } from '../deps';
import { destinationOut, filterOut, inboundSchemas, routeOut, schemaOut, sourceOut, transformOut } from '../inboundShapes';
import { listPage, listQuerySchema, listResponseSchema } from '../pagination';
import type { ListQuery } from '../pagination';
import { defineRoute } from '../route';
import type { AnyRoute, Schema } from '../route';

// /v1 routes of the inbound configuration: thin, over api/commands/inboundConfig.ts (docs/inbound.md).

const name: Schema = { type: 'string', minLength: 1, maxLength: 256 };
const nullableText: Schema = { type: ['string', 'null'], maxLength: 2048 };
const strings: Schema = { type: 'array', items: { type: 'string' }, maxItems: 500 };
const headers: Schema = { type: 'object', additionalProperties: { type: 'string' } };
const nullableId: Schema = { type: ['string', 'null'], maxLength: 128 };

const sourceProps: Record<string, Schema> = {
  name, description: nullableText, slug: { type: 'string' }, provider: { type: 'string' }, verifySignature: { type: 'boolean' }, signingSecret: { type: ['string', 'null'] },
  verification: {
    type: 'object', additionalProperties: false,
    properties: { toleranceSeconds: { type: ['integer', 'null'] }, generic: { type: ['object', 'null'] }, publicKey: { type: ['string', 'null'] } },
  },
  dedupStrategy: { type: 'string' }, dedupWindow: { type: 'integer' }, dedupHeaderName: { type: ['string', 'null'] }, ipFilterMode: { type: 'string' },
  ipAllowlist: strings, ipDenylist: strings, rateLimit: { type: ['integer', 'null'] }, rateLimitWindow: { type: 'integer' }, transientMode: { type: 'boolean' }, isActive: { type: 'boolean' },
};
const destinationProps: Record<string, Schema> = {
  name, description: nullableText, slug: { type: 'string' }, type: { type: 'string' }, url: { type: 'string', maxLength: 2048 }, method: { type: 'string' }, headers,
  authType: { type: 'string' }, authConfig: { type: ['object', 'null'] }, timeoutMs: { type: 'integer' }, retryCount: { type: 'integer' }, retryInterval: { type: 'integer' },
  rateLimit: { type: ['integer', 'null'] }, rateLimitWindow: { type: 'integer' }, isActive: { type: 'boolean' },
};
const routeProps: Record<string, Schema> = {
  name, sourceId: { type: 'string' }, destinationId: { type: 'string' }, filterId: nullableId, filterConditions: { type: ['array', 'object', 'null'] },
  filterLogic: { type: ['string', 'null'] }, transformId: nullableId, schemaId: nullableId, priority: { type: 'integer' }, isActive: { type: 'boolean' },
  notifyOnFailure: { type: 'boolean' }, notifyOnSuccess: { type: 'boolean' }, notifyOnRecovery: { type: 'boolean' }, notifyEmails: { type: ['string', 'null'] },
  failureThreshold: { type: ['integer', 'null'] }, failoverDestinationIds: { type: ['array', 'null'], items: { type: 'string' }, maxItems: 5 },
  failoverAfterAttempts: { type: ['integer', 'null'] }, expectedResponse: { type: ['string', 'null'] },
};
const filterProps: Record<string, Schema> = { name, description: nullableText, conditions: { type: 'array' }, logic: { type: 'string' } };
const transformProps: Record<string, Schema> = { name, description: nullableText, transformType: { type: 'string' }, code: { type: 'string' } };
const schemaProps: Record<string, Schema> = { name, description: nullableText, jsonSchema: { type: 'object' } };

const body = (properties: Record<string, Schema>, required: string[] = []): Schema => ({ type: 'object', additionalProperties: false, required, properties });

type Resource<D extends Document, In> = {
  tag: string;
  path: string;
  param: string;
  def: CollectionDef;
  schema: Schema;
  props: Record<string, Schema>;
  required: string[];
  out: (deps: ApiDeps, doc: D) => JsonObject;
  create: (deps: ApiDeps, input: In) => Promise<JsonObject>;
  get: (deps: ApiDeps, id: string) => Promise<D>;
  update: (deps: ApiDeps, id: string, input: Partial<In>) => Promise<D>;
  remove: (deps: ApiDeps, id: string) => Promise<void>;
  listWhere?: (query: Record<string, string | undefined>) => Record<string, string> | undefined;
  listFilters?: Record<string, Schema>;
};

/** list, create, get, update, delete of one kind: the same five routes for each. */
const crud = <D extends Document, In>(r: Resource<D, In>): AnyRoute[] => {
  const one = `${r.path}/{${r.param}}`;
  return [
    defineRoute<undefined, ListQuery & Record<string, string | undefined>>({
      operationId: `v1.${r.tag}.list`, method: 'GET', path: r.path, summary: `List ${r.tag}s, newest first`, auth: 'admin',
      query: listQuerySchema(r.listFilters ?? {}),
      response: { status: 200, schema: listResponseSchema(r.schema) },
      handle: async ({ deps, query }) => {
        const where = r.listWhere?.(query);
        return { status: 200, body: await listPage(deps.reads.collection<D>(r.def), { ...(where ? { where } : {}), orderBy: { key: 'createdAt', direction: 'desc' } }, query, (d) => r.out(deps, d)) };
      },
    }),
    defineRoute<In>({
      operationId: `v1.${r.tag}.create`, method: 'POST', path: r.path, summary: `Create a ${r.tag}`, auth: 'admin',
      body: body(r.props, r.required), response: { status: 201, schema: r.schema },
      handle: async ({ deps, body: input }) => ({ status: 201, body: await r.create(deps, input) }),
    }),
    defineRoute({
      operationId: `v1.${r.tag}.get`, method: 'GET', path: one, summary: `Get a ${r.tag}`, auth: 'admin', response: { status: 200, schema: r.schema },
      handle: async ({ deps, params }) => ({ status: 200, body: r.out(deps, await r.get(deps, params[r.param] ?? '')) }),
    }),
    defineRoute<Partial<In>>({
      operationId: `v1.${r.tag}.update`, method: 'PATCH', path: one, summary: `Change a ${r.tag}`, auth: 'admin',
      body: body(r.props), response: { status: 200, schema: r.schema },
      handle: async ({ deps, params, body: input }) => ({ status: 200, body: r.out(deps, await r.update(deps, params[r.param] ?? '', input)) }),
    }),
    defineRoute({
      operationId: `v1.${r.tag}.delete`, method: 'DELETE', path: one, summary: `Delete a ${r.tag}`, auth: 'admin', response: { status: 204 },
      handle: async ({ deps, params }) => {
        await r.remove(deps, params[r.param] ?? '');
        return { status: 204 };
      },
    }),
  ];
};

const sourceJson = (deps: ApiDeps, s: SourceDoc): JsonObject => sourceOut(s, ingestUrlOf(deps, s.slug));

export const inboundConfigRoutes: AnyRoute[] = [
  ...crud<SourceDoc, SourceIn>({
    tag: 'source', path: '/v1/sources', param: 'sourceId', def: collections.sources, schema: inboundSchemas.Source, props: sourceProps, required: ['name'],
    out: sourceJson,
    // The signing secret is answered once, here (and on rotation).
    create: async (deps, input) => {
      const { source, signingSecret } = await createSource(deps, input);
      return { ...sourceJson(deps, source), signingSecret };
    },
    get: requireSource, update: updateSource, remove: deleteSource,
  }),
  defineRoute<{ signingSecret?: string }>({
    operationId: 'v1.source.rotateSecret', method: 'POST', path: '/v1/sources/{sourceId}/rotate-secret', summary: 'Give a source a new signing secret (answered once)', auth: 'admin',
    body: body({ signingSecret: { type: 'string' } }), response: { status: 200, schema: inboundSchemas.Source },
    handle: async ({ deps, params, body: input }) => {
      const { source, signingSecret } = await rotateSourceSecret(deps, params.sourceId ?? '', input?.signingSecret ?? null);
      return { status: 200, body: { ...sourceJson(deps, source), signingSecret } };
    },
  }),
  ...crud<DestinationDoc, DestinationIn>({
    tag: 'destination', path: '/v1/destinations', param: 'destinationId', def: collections.destinations, schema: inboundSchemas.Destination, props: destinationProps,
    required: ['name', 'url'], out: (_deps, d) => destinationOut(d),
    create: async (deps, input) => destinationOut(await createDestination(deps, input)), get: requireDestination, update: updateDestination, remove: deleteDestination,
  }),
  ...crud<RouteDoc, RouteIn>({
    tag: 'route', path: '/v1/routes', param: 'routeId', def: collections.routes, schema: inboundSchemas.Route, props: routeProps, required: ['name', 'sourceId', 'destinationId'],
    out: (_deps, r) => routeOut(r), create: async (deps, input) => routeOut(await createRoute(deps, input)), get: requireRoute, update: updateRoute, remove: deleteRoute,
    listFilters: { sourceId: { type: 'string' }, destinationId: { type: 'string' } },
    listWhere: (q): Record<string, string> | undefined => (q.sourceId ? { sourceId: q.sourceId } : q.destinationId ? { destinationId: q.destinationId } : undefined),
  }),
  ...crud<FilterDoc, { name: string }>({
    tag: 'filter', path: '/v1/filters', param: 'filterId', def: collections.filters, schema: inboundSchemas.Filter, props: filterProps, required: ['name', 'conditions'],
    out: (_deps, f) => filterOut(f), create: async (deps, input) => filterOut(await createFilter(deps, input)), get: requireFilter, update: updateFilter, remove: deleteFilter,
  }),
  ...crud<TransformDoc, { name: string; transformType?: string; code?: string }>({
    tag: 'transform', path: '/v1/transforms', param: 'transformId', def: collections.transforms, schema: inboundSchemas.Transform, props: transformProps,
    required: ['name', 'transformType', 'code'], out: (_deps, t) => transformOut(t), create: async (deps, input) => transformOut(await createTransform(deps, input)),
    get: requireTransform, update: updateTransform, remove: deleteTransform,
  }),
  defineRoute<{ transformType: string; code: string; payload: JsonValue }>({
    operationId: 'v1.transform.test', method: 'POST', path: '/v1/transforms/test', summary: 'Run transform code on a payload (nothing saved)', auth: 'admin',
    body: body({ transformType: { type: 'string' }, code: { type: 'string', maxLength: 65536 }, payload: {} }, ['transformType', 'code', 'payload']),
    response: { status: 200 },
    handle: async ({ deps, body: input }) => ({ status: 200, body: await testTransform(input.transformType, input.code, input.payload, deps.now()) }),
  }),
  defineRoute<{ payload: JsonValue }>({
    operationId: 'v1.transform.testSaved', method: 'POST', path: '/v1/transforms/{transformId}/test', summary: 'Run a saved transform on a payload', auth: 'admin',
    body: body({ payload: {} }, ['payload']), response: { status: 200 },
    handle: async ({ deps, params, body: input }) => {
      const t = await requireTransform(deps, params.transformId ?? '');
      return { status: 200, body: await testTransform(t.transformType, t.code, input.payload, deps.now()) };
    },
  }),
  ...crud<SchemaDoc, { name: string; jsonSchema?: unknown }>({
    tag: 'schema', path: '/v1/schemas', param: 'schemaId', def: collections.schemas, schema: inboundSchemas.Schema, props: schemaProps, required: ['name', 'jsonSchema'],
    out: (_deps, s) => schemaOut(s), create: async (deps, input) => schemaOut(await createSchema(deps, input)), get: requireSchema, update: updateSchema, remove: deleteSchema,
  }),
  defineRoute<{ payload: JsonValue }>({
    operationId: 'v1.schema.validate', method: 'POST', path: '/v1/schemas/{schemaId}/validate', summary: 'Validate a payload against a schema (ajv)', auth: 'admin',
    body: body({ payload: {} }, ['payload']), response: { status: 200 },
    handle: async ({ deps, params, body: input }) => ({ status: 200, body: await validateAgainstSchema(deps, params.schemaId ?? '', input.payload) }),
  }),
];
