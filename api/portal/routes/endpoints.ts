import { collections } from '../../../projections/readModels';
import type { EndpointDoc } from '../../../projections/readModels';
import type { JsonValue } from '../../../domain/json';
import { validationError } from '../../../domain/errors';
import { endpointCounts } from '../../commands/endpointCounts';
import { replayFailedDeliveries } from '../../commands/endpointReplay';
import { testEndpointAndWait } from '../../commands/endpointTest';
import { createEndpoint, deleteEndpoint, requireEndpoint, rotateSecret, updateEndpoint } from '../../commands/endpoints';
import type { ApiDeps } from '../../deps';
import { defineRoute } from '../../route';
import type { Schema } from '../../route';
import { endpointCreateIn, endpointOut, endpointPatchIn } from '../mapping/endpoints';
import type { PortalEndpointCreate, PortalEndpointPatch } from '../mapping/endpoints';
import { testResultOut } from '../mapping/messages';
import { tokenApplication } from '../principal';

// Unknown body keys are ignored on this surface (COMPAT.md): no additionalProperties: false.
const EP = '/portal/endpoints/{endpointId}';
const str = (max: number): Schema => ({ type: 'string', maxLength: max });
const eventTypes: Schema = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 }, maxItems: 1000 };

const withCounts = async (deps: ApiDeps, e: EndpointDoc): Promise<JsonValue> => endpointOut(e, await endpointCounts(deps, e.id));

const allEndpoints = async (deps: ApiDeps, applicationId: string): Promise<EndpointDoc[]> => {
  const endpoints = deps.reads.collection<EndpointDoc>(collections.endpoints);
  const out: EndpointDoc[] = [];
  let cursor: string | undefined;
  do {
    const page = await endpoints.find({ where: { applicationId }, orderBy: { key: 'createdAt', direction: 'desc' }, limit: 500, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
};

export const portalEndpointRoutes = [
  defineRoute({
    operationId: 'portal.endpoint.list',
    method: 'GET',
    path: '/portal/endpoints',
    summary: "The token's application's endpoints, newest first (unpaginated)",
    auth: 'portal',
    response: { status: 200 },
    handle: async ({ deps, principal }) => {
      const data: JsonValue[] = [];
      for (const e of await allEndpoints(deps, tokenApplication(principal))) data.push(await withCounts(deps, e));
      return { status: 200, body: { data } };
    },
  }),
  defineRoute<PortalEndpointCreate>({
    operationId: 'portal.endpoint.create',
    method: 'POST',
    path: '/portal/endpoints',
    summary: 'Register an endpoint; the answer holds its signing secret, this once',
    auth: 'portal',
    body: { type: 'object', required: ['url'], properties: { url: { type: 'string', minLength: 1, maxLength: 2048 }, description: str(4096), eventTypes } },
    response: { status: 201 },
    handle: async ({ deps, principal, body }) => {
      const { endpoint, secret } = await createEndpoint(deps, tokenApplication(principal), endpointCreateIn(body));
      return { status: 201, body: { data: { ...(endpointOut(endpoint, { totalMessages: 0, totalSuccesses: 0, totalFailures: 0, lastSuccessAt: null })), secret } } };
    },
  }),
  defineRoute({
    operationId: 'portal.endpoint.get',
    method: 'GET',
    path: EP,
    summary: 'One endpoint of the application',
    auth: 'portal',
    response: { status: 200 },
    handle: async ({ deps, principal, params }) => ({
      status: 200,
      body: { data: await withCounts(deps, await requireEndpoint(deps, tokenApplication(principal), params.endpointId ?? '')) },
    }),
  }),
  defineRoute<PortalEndpointPatch>({
    operationId: 'portal.endpoint.update',
    method: 'PATCH',
    path: EP,
    summary: 'Change the url or description; isDisabled disables or enables it',
    auth: 'portal',
    body: { type: 'object', properties: { url: { type: 'string', minLength: 1, maxLength: 2048 }, description: str(4096), isDisabled: { type: 'boolean' } } },
    response: { status: 200 },
    handle: async ({ deps, principal, params, body }) => {
      const endpoint = await updateEndpoint(deps, tokenApplication(principal), params.endpointId ?? '', endpointPatchIn(body));
      return { status: 200, body: { data: await withCounts(deps, endpoint) } };
    },
  }),
  defineRoute({
    operationId: 'portal.endpoint.delete',
    method: 'DELETE',
    path: EP,
    summary: 'Delete an endpoint',
    auth: 'portal',
    response: { status: 200 },
    handle: async ({ deps, principal, params }) => {
      await deleteEndpoint(deps, tokenApplication(principal), params.endpointId ?? '');
      return { status: 200, body: { success: true } };
    },
  }),
  defineRoute<{ gracePeriodSeconds?: number }>({
    operationId: 'portal.endpoint.rotateSecret',
    method: 'POST',
    path: `${EP}/rotate-secret`,
    summary: 'A new signing secret (the previous one keeps signing for gracePeriodSeconds, default 24 h)',
    auth: 'portal',
    body: { type: 'object', properties: { gracePeriodSeconds: { type: 'integer', minimum: 0, maximum: 604800 } } },
    response: { status: 200 },
    handle: async ({ deps, principal, params, body }) => {
      const { secret } = await rotateSecret(deps, tokenApplication(principal), params.endpointId ?? '', body.gracePeriodSeconds ?? 86_400);
      return { status: 200, body: { data: { secret } } };
    },
  }),
  defineRoute<{ eventType?: string }>({
    operationId: 'portal.endpoint.test',
    method: 'POST',
    path: `${EP}/test`,
    summary: 'Send a signed test message to this endpoint and answer its first attempt (unwrapped; 200 even when it fails)',
    auth: 'portal',
    body: { type: 'object', properties: { eventType: { type: 'string', minLength: 1, maxLength: 256 } } },
    response: { status: 200 },
    handle: async ({ deps, principal, params, body }) => ({
      status: 200,
      body: testResultOut(await testEndpointAndWait(deps, tokenApplication(principal), params.endpointId ?? '', body.eventType)),
    }),
  }),
  defineRoute({
    operationId: 'portal.endpoint.verify',
    method: 'POST',
    path: `${EP}/verify`,
    summary: 'One signed test request: verified when it is answered 2xx',
    auth: 'portal',
    response: { status: 200 },
    handle: async ({ deps, principal, params }) => {
      const result = testResultOut(await testEndpointAndWait(deps, tokenApplication(principal), params.endpointId ?? ''));
      const delivery = result.delivery as { errorMessage: string | null };
      return { status: 200, body: { data: { verified: result.success === true, error: result.success === true ? null : delivery.errorMessage } } };
    },
  }),
  defineRoute<{ since?: string; includeUnattempted?: boolean }, { since?: string; includeUnattempted?: boolean }>({
    operationId: 'portal.endpoint.replayFailed',
    method: 'POST',
    path: `${EP}/replay-failed`,
    summary: 'An attempt now for every failed or exhausted delivery of the endpoint created since `since` (ISO)',
    auth: 'portal',
    query: { type: 'object', properties: { since: { type: 'string', format: 'date-time' }, includeUnattempted: { type: 'boolean' } } },
    body: { type: 'object', properties: { since: { type: 'string', format: 'date-time' }, includeUnattempted: { type: 'boolean' } } },
    response: { status: 200 },
    handle: async ({ deps, principal, params, query, body }) => {
      const since = query.since ?? body.since;
      if (since === undefined) throw validationError('since', 'required', 'since is required: the ISO time from which failed deliveries are replayed.');
      const ids = await replayFailedDeliveries(
        deps,
        tokenApplication(principal),
        params.endpointId ?? '',
        new Date(since).toISOString(),
        query.includeUnattempted ?? body.includeUnattempted ?? false,
      );
      return { status: 200, body: { data: { replayed: ids.length, newMessageIds: ids } } };
    },
  }),
];
