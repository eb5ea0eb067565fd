import { collections } from '../../projections/readModels';
import type { EndpointDoc } from '../../projections/readModels';
import { requireApplication } from '../commands/common';
import { endpointStats, recoverEndpoint, testEndpoint } from '../commands/endpointOps';
import { createEndpoint, deleteEndpoint, requireEndpoint, rotateSecret, setEndpointEnabled, setSubscriptions, updateEndpoint } from '../commands/endpoints';
import type { EndpointIn, EndpointPatch } from '../commands/endpoints';
import { listPage, listQuerySchema, listResponseSchema } from '../pagination';
import type { ListQuery } from '../pagination';
import { defineRoute } from '../route';
import type { Schema } from '../route';
import { endpointOut, outboundOut, schemas, withSecret } from '../shapes';

const EP = '/v1/applications/{appId}/endpoints/{endpointId}';
const eventTypes = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 }, maxItems: 1000 };
const settings: Record<string, Schema> = {
  url: { type: 'string', minLength: 1, maxLength: 2048 },
  description: { type: 'string', maxLength: 4096 },
  eventTypes,
  headers: { type: 'object', additionalProperties: { type: 'string', maxLength: 4096 }, maxProperties: 50 },
  rateLimitPerSecond: { type: ['integer', 'null'] },
  timeoutSeconds: { type: 'integer' },
  retryDelays: { type: ['array', 'null'], items: { type: 'integer' } },
  disabled: { type: 'boolean' },
  metadata: { type: 'object' },
};

const app = async (deps: Parameters<typeof requireApplication>[0], appId: string | undefined) => requireApplication(deps, appId ?? '');

export const endpointRoutes = [
  defineRoute<EndpointIn>({
    operationId: 'v1.endpoint.create',
    method: 'POST',
    path: '/v1/applications/{appId}/endpoints',
    summary: 'Register an endpoint; the answer holds its signing secret, shown only here and on rotation',
    auth: 'admin',
    body: { type: 'object', additionalProperties: false, required: ['url'], properties: settings },
    response: { status: 201, schema: withSecret(schemas.Endpoint) },
    handle: async ({ deps, params, body }) => {
      const { endpoint, secret } = await createEndpoint(deps, params.appId ?? '', body);
      return { status: 201, body: { ...endpointOut(endpoint), secret } };
    },
  }),
  defineRoute<undefined, ListQuery>({
    operationId: 'v1.endpoint.list',
    method: 'GET',
    path: '/v1/applications/{appId}/endpoints',
    summary: "List an application's endpoints, newest first",
    auth: 'admin',
    query: listQuerySchema(),
    response: { status: 200, schema: listResponseSchema(schemas.Endpoint) },
    handle: async ({ deps, params, query }) => {
      const { id } = await app(deps, params.appId);
      const endpoints = deps.reads.collection<EndpointDoc>(collections.endpoints);
      return { status: 200, body: await listPage(endpoints, { where: { applicationId: id }, orderBy: { key: 'createdAt', direction: 'desc' } }, query, endpointOut) };
    },
  }),
  defineRoute({
    operationId: 'v1.endpoint.get',
    method: 'GET',
    path: EP,
    summary: 'Get an endpoint',
    auth: 'admin',
    response: { status: 200, schema: schemas.Endpoint },
    handle: async ({ deps, params }) => ({ status: 200, body: endpointOut(await requireEndpoint(deps, (await app(deps, params.appId)).id, params.endpointId ?? '')) }),
  }),
  defineRoute<EndpointPatch>({
    operationId: 'v1.endpoint.update',
    method: 'PATCH',
    path: EP,
    summary: 'Change an endpoint',
    auth: 'admin',
    body: { type: 'object', additionalProperties: false, properties: settings },
    response: { status: 200, schema: schemas.Endpoint },
    handle: async ({ deps, params, body }) => ({ status: 200, body: endpointOut(await updateEndpoint(deps, params.appId ?? '', params.endpointId ?? '', body)) }),
  }),
  defineRoute({
    operationId: 'v1.endpoint.delete',
    method: 'DELETE',
    path: EP,
    summary: 'Delete an endpoint',
    auth: 'admin',
    response: { status: 204 },
    handle: async ({ deps, params }) => {
      await deleteEndpoint(deps, params.appId ?? '', params.endpointId ?? '');
      return { status: 204 };
    },
  }),
  defineRoute<{ eventTypes: string[] }>({
    operationId: 'v1.endpoint.setSubscriptions',
    method: 'PUT',
    path: `${EP}/subscriptions`,
    summary: 'Replace the event types an endpoint receives (empty = all)',
    auth: 'admin',
    body: { type: 'object', additionalProperties: false, required: ['eventTypes'], properties: { eventTypes } },
    response: { status: 200, schema: schemas.Endpoint },
    handle: async ({ deps, params, body }) => ({ status: 200, body: endpointOut(await setSubscriptions(deps, params.appId ?? '', params.endpointId ?? '', body.eventTypes)) }),
  }),
  defineRoute<{ gracePeriodSeconds?: number }>({
    operationId: 'v1.endpoint.rotateSecret',
    method: 'POST',
    path: `${EP}/rotate-secret`,
    summary: 'Rotate the signing secret; until the grace period ends every delivery carries both signatures',
    auth: 'admin',
    body: { type: 'object', additionalProperties: false, properties: { gracePeriodSeconds: { type: 'integer', minimum: 0, maximum: 604800 } } },
    response: { status: 200, schema: { type: 'object', required: ['secret', 'previousSecretExpiresAt'], properties: { secret: { type: 'string' }, previousSecretExpiresAt: { type: 'string' } } } },
    handle: async ({ deps, params, body }) => ({ status: 200, body: await rotateSecret(deps, params.appId ?? '', params.endpointId ?? '', body.gracePeriodSeconds ?? 86_400) }),
  }),
  ...(['enable', 'disable'] as const).map((action) =>
    defineRoute({
      operationId: `v1.endpoint.${action}`,
      method: 'POST',
      path: `${EP}/${action}`,
      summary: action === 'enable' ? 'Enable an endpoint (closes its circuit)' : 'Disable an endpoint: it receives nothing until enabled',
      auth: 'admin',
      response: { status: 200, schema: schemas.Endpoint },
      handle: async ({ deps, params }) => ({ status: 200, body: endpointOut(await setEndpointEnabled(deps, params.appId ?? '', params.endpointId ?? '', action === 'enable')) }),
    }),
  ),
  defineRoute<{ eventType?: string }>({
    operationId: 'v1.endpoint.test',
    method: 'POST',
    path: `${EP}/test`,
    summary: 'Send a real signed message to this endpoint only (default event type hookbase.ping)',
    auth: 'admin',
    body: { type: 'object', additionalProperties: false, properties: { eventType: { type: 'string' } } },
    response: { status: 202, schema: schemas.OutboundMessage },
    handle: async ({ deps, params, body }) => ({ status: 202, body: outboundOut(await testEndpoint(deps, params.appId ?? '', params.endpointId ?? '', body.eventType)) }),
  }),
  defineRoute<{ since: string; until?: string }>({
    operationId: 'v1.endpoint.recover',
    method: 'POST',
    path: `${EP}/recover`,
    summary: "Re-queue the endpoint's failed and exhausted deliveries created in [since, until]",
    auth: 'admin',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['since'],
      properties: { since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' } },
    },
    response: { status: 202, schema: { type: 'object', required: ['requeued'], properties: { requeued: { type: 'integer' } } } },
    handle: async ({ deps, params, body }) => {
      const since = new Date(body.since).toISOString();
      const until = body.until === undefined ? undefined : new Date(body.until).toISOString();
      return { status: 202, body: { requeued: await recoverEndpoint(deps, params.appId ?? '', params.endpointId ?? '', since, until) } };
    },
  }),
  defineRoute({
    operationId: 'v1.endpoint.getStats',
    method: 'GET',
    path: `${EP}/stats`,
    summary: 'Delivery statistics of an endpoint',
    auth: 'admin',
    response: { status: 200 },
    handle: async ({ deps, params }) => ({ status: 200, body: await endpointStats(deps, params.appId ?? '', params.endpointId ?? '') }),
  }),
];
