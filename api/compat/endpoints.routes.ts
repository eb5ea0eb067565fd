import { notFound } from '../../domain/errors';
import { openSecret } from '../../domain/secretBox';
import { streams } from '../../domain/streams';
import { endpointDecider } from '../../domain/endpoint/decide';
import { handleCommand } from '../../store/commandHandler';
import { collections } from '../../projections/readModels';
import type { EndpointDoc } from '../../projections/readModels';
import { metadataOf, readYourWrites, requireApplication } from '../commands/common';
import { createEndpoint, deleteEndpoint, rotateSecret, setEndpointEnabled, updateEndpoint } from '../commands/endpoints';
import { testEndpointAndWait } from '../commands/endpointTest';
import type { ApiDeps } from '../deps';
import { defineRoute } from '../route';
import {
  endpointBodySchema,
  endpointCreateIn,
  endpointListItemSchema,
  endpointOut,
  endpointPatchIn,
  endpointSchema,
  endpointWithSecretSchema,
  secretPrefixOf,
} from './endpoints.mapping';
import type { CompatEndpointBody } from './endpoints.mapping';
import { endpointTotals } from './stats';
import { subscriptionCountOfEndpoint } from './subscriptions.query';
import { splitFilters } from '../pagination';
import { boolFilter, compatList, compatListQuery, dataSchema, given, listSchema, one } from './wire';
import type { CompatListQuery } from './wire';

const BASE = '/api/webhook-endpoints';

export const requireEndpointById = async (deps: ApiDeps, endpointId: string): Promise<EndpointDoc> => {
  const doc = await deps.reads.collection<EndpointDoc>(collections.endpoints).get(endpointId);
  if (!doc) throw notFound('endpoint', endpointId);
  return doc;
};

export const shapeEndpoint = async (deps: ApiDeps, e: EndpointDoc, withCount = false) =>
  endpointOut(e, {
    secretPrefix: secretPrefixOf(openSecret(deps.masterKey, e.secret)),
    totals: await endpointTotals(deps, e.id),
    ...(withCount ? { subscriptionCount: await subscriptionCountOfEndpoint(deps, e) } : {}),
  });

type EndpointQuery = CompatListQuery & { applicationId?: string; isDisabled?: boolean; circuitState?: string };

const successSchema = { type: 'object', required: ['success'], properties: { success: { type: 'boolean' } } };

export const endpointRoutes = [
  defineRoute<undefined, EndpointQuery>({
    operationId: 'api.endpoint.list',
    method: 'GET',
    path: BASE,
    summary: 'List endpoints, newest first (items add subscriptionCount)',
    auth: 'admin',
    query: compatListQuery({ applicationId: { type: 'string' }, isDisabled: boolFilter, circuitState: { enum: ['closed', 'open', 'half_open'] } }),
    response: { status: 200, schema: listSchema(endpointListItemSchema) },
    handle: async ({ deps, query }) => {
      const applicationId = query.applicationId === undefined ? undefined : (await requireApplication(deps, query.applicationId)).id;
      const filters = given({ applicationId, disabled: query.isDisabled, circuit: query.circuitState });
      const { where, rest } = splitFilters(collections.endpoints, filters, 'createdAt');
      const endpoints = deps.reads.collection<EndpointDoc>(collections.endpoints);
      const options = { where, orderBy: { key: 'createdAt', direction: 'desc' as const } };
      return { status: 200, body: await compatList(endpoints, options, query, (e) => shapeEndpoint(deps, e, true), rest) };
    },
  }),
  defineRoute<CompatEndpointBody>({
    operationId: 'api.endpoint.create',
    method: 'POST',
    path: BASE,
    summary: 'Create an endpoint; the answer holds its signing secret, this once',
    auth: 'admin',
    body: { ...endpointBodySchema, required: ['applicationId', 'url'] },
    response: { status: 201, schema: dataSchema(endpointWithSecretSchema) },
    handle: async ({ deps, body }) => {
      const { applicationId, input } = endpointCreateIn(body);
      const { endpoint, secret } = await createEndpoint(deps, applicationId, input);
      return { status: 201, body: one({ ...(await shapeEndpoint(deps, endpoint)), secret }) };
    },
  }),
  defineRoute({
    operationId: 'api.endpoint.get',
    method: 'GET',
    path: `${BASE}/{endpointId}`,
    summary: 'Get an endpoint',
    auth: 'admin',
    response: { status: 200, schema: dataSchema(endpointSchema) },
    handle: async ({ deps, params }) => ({ status: 200, body: one(await shapeEndpoint(deps, await requireEndpointById(deps, params.endpointId ?? ''))) }),
  }),
  defineRoute<CompatEndpointBody>({
    operationId: 'api.endpoint.update',
    method: 'PATCH',
    path: `${BASE}/{endpointId}`,
    summary: 'Change an endpoint; isDisabled (with disabledReason) disables or enables it',
    auth: 'admin',
    body: endpointBodySchema,
    response: { status: 200, schema: dataSchema(endpointSchema) },
    handle: async ({ deps, params, body }) => {
      const ep = await requireEndpointById(deps, params.endpointId ?? '');
      const { patch, disable } = endpointPatchIn(body);
      let doc = Object.keys(patch).length > 0 ? await updateEndpoint(deps, ep.applicationId, ep.id, patch) : ep;
      if (disable?.disabled === false && doc.disabled) doc = await setEndpointEnabled(deps, ep.applicationId, ep.id, true);
      if (disable?.disabled === true && !doc.disabled) {
        const { position } = await handleCommand(deps.events, streams.endpoint(ep.id), endpointDecider, {
          type: 'DisableEndpoint',
          data: { endpointId: ep.id, reason: disable.reason ?? 'Disabled by a user.' },
          metadata: metadataOf(deps),
        });
        await readYourWrites(deps, position);
        doc = await requireEndpointById(deps, ep.id);
      }
      return { status: 200, body: one(await shapeEndpoint(deps, doc)) };
    },
  }),
  defineRoute({
    operationId: 'api.endpoint.delete',
    method: 'DELETE',
    path: `${BASE}/{endpointId}`,
    summary: 'Delete an endpoint; its pending retries stop',
    auth: 'admin',
    response: { status: 200, schema: successSchema },
    handle: async ({ deps, params }) => {
      const ep = await requireEndpointById(deps, params.endpointId ?? '');
      await deleteEndpoint(deps, ep.applicationId, ep.id);
      return { status: 200, body: { success: true } };
    },
  }),
  defineRoute<{ gracePeriodSeconds?: number; gracePeriod?: number }>({
    operationId: 'api.endpoint.rotateSecret',
    method: 'POST',
    path: `${BASE}/{endpointId}/rotate-secret`,
    summary: 'A new signing secret; the previous one stays valid for the grace period (default 24 h). Unwrapped answer',
    auth: 'admin',
    body: { type: 'object', properties: { gracePeriodSeconds: { type: 'integer', minimum: 0 }, gracePeriod: { type: 'integer', minimum: 0 } } },
    response: {
      status: 200,
      schema: {
        type: 'object',
        required: ['secret', 'previousSecretExpiresAt', 'secretVersion'],
        properties: { secret: { type: 'string' }, previousSecretExpiresAt: { type: 'string' }, secretVersion: { type: 'integer' } },
      },
    },
    handle: async ({ deps, params, body }) => {
      const ep = await requireEndpointById(deps, params.endpointId ?? '');
      const rotated = await rotateSecret(deps, ep.applicationId, ep.id, body.gracePeriodSeconds ?? body.gracePeriod ?? 86_400);
      const doc = await requireEndpointById(deps, ep.id);
      return { status: 200, body: { ...rotated, secretVersion: 1 + doc.previousSecrets.length } };
    },
  }),
  defineRoute({
    operationId: 'api.endpoint.resetCircuit',
    method: 'POST',
    path: `${BASE}/{endpointId}/reset-circuit`,
    summary: "Close the endpoint's circuit: {data: endpoint, success, circuitState}",
    auth: 'admin',
    response: { status: 200, schema: { ...dataSchema(endpointSchema), required: ['data', 'success', 'circuitState'] } },
    handle: async ({ deps, params }) => {
      const ep = await requireEndpointById(deps, params.endpointId ?? '');
      const { position } = await handleCommand(deps.events, streams.endpoint(ep.id), endpointDecider, {
        type: 'CloseCircuit',
        data: { endpointId: ep.id },
        metadata: metadataOf(deps),
      });
      await readYourWrites(deps, position);
      const endpoint = await shapeEndpoint(deps, await requireEndpointById(deps, ep.id));
      // The MCP server reads `circuitState` at the top of the answer (its src/tools/outbound.ts reset_endpoint_circuit).
      return { status: 200, body: { ...one(endpoint), success: true, circuitState: endpoint.circuitState ?? 'closed' } };
    },
  }),
  defineRoute<{ eventType?: string }>({
    operationId: 'api.endpoint.test',
    method: 'POST',
    path: `${BASE}/{endpointId}/test`,
    summary: 'Send one signed test message and report its first attempt (200 even when the receiver fails). Unwrapped answer',
    auth: 'admin',
    body: { type: 'object', properties: { eventType: { type: 'string', minLength: 1 } } },
    response: { status: 200, schema: testResultSchema() },
    handle: async ({ deps, params, body }) => {
      const ep = await requireEndpointById(deps, params.endpointId ?? '');
      const { message, outbound, attempt, signature } = await testEndpointAndWait(deps, ep.applicationId, ep.id, body.eventType);
      const success = outbound.status === 'success';
      return {
        status: 200,
        body: {
          success,
          testEvent: { id: message.id, type: message.eventType, timestamp: message.timestamp },
          delivery: {
            status: attempt === null ? 'pending' : success ? 'success' : 'failed',
            responseStatus: attempt?.responseStatus ?? null,
            responseTimeMs: attempt?.latencyMs ?? null,
            responseBody: attempt?.responseBody ?? null,
            errorMessage: attempt?.error ?? (attempt === null ? 'No attempt finished in time.' : null),
          },
          signature: { header: 'webhook-signature', value: signature.value, timestamp: signature.timestamp },
        },
      };
    },
  }),
  defineRoute({
    operationId: 'api.endpoint.verify',
    method: 'POST',
    path: `${BASE}/{endpointId}/verify`,
    summary: 'Verify the endpoint: one signed test request must be answered with a 2xx',
    auth: 'admin',
    response: {
      status: 200,
      schema: dataSchema({ type: 'object', required: ['verified', 'error'], properties: { verified: { type: 'boolean' }, error: { type: ['string', 'null'] } } }),
    },
    handle: async ({ deps, params }) => {
      const ep = await requireEndpointById(deps, params.endpointId ?? '');
      const { outbound, attempt } = await testEndpointAndWait(deps, ep.applicationId, ep.id);
      const verified = outbound.status === 'success';
      const error = verified ? null : (attempt?.error ?? 'No attempt finished in time.');
      return { status: 200, body: one({ verified, error }) };
    },
  }),
];

function testResultSchema() {
  const nStr = { type: ['string', 'null'] };
  return {
    type: 'object',
    required: ['success', 'testEvent', 'delivery', 'signature'],
    properties: {
      success: { type: 'boolean' },
      testEvent: { type: 'object', required: ['id', 'type', 'timestamp'], properties: { id: { type: 'string' }, type: { type: 'string' }, timestamp: { type: 'string' } } },
      delivery: {
        type: 'object',
        required: ['status', 'responseStatus', 'responseTimeMs', 'responseBody', 'errorMessage'],
        properties: { status: { type: 'string' }, responseStatus: { type: ['integer', 'null'] }, responseTimeMs: { type: ['number', 'null'] }, responseBody: nStr, errorMessage: nStr },
      },
      signature: { type: 'object', required: ['header', 'value', 'timestamp'], properties: { header: { type: 'string' }, value: { type: 'string' }, timestamp: { type: 'integer' } } },
    },
  };
}
