import type { JsonValue } from '../../../domain/json';
import { validationError } from '../../../domain/errors';
import { requireEndpoint } from '../../commands/endpoints';
import { listSubscriptions, requireSubscription, setSubscriptionEnabled, subscribe, unsubscribe } from '../../commands/subscriptions';
import { defineRoute } from '../../route';
import { subscriptionCreateIn, subscriptionOut } from '../mapping/subscriptions';
import type { PortalSubscriptionCreate } from '../mapping/subscriptions';
import { tokenApplication } from '../principal';

const SUB = '/portal/subscriptions/{subscriptionId}';
const name = { type: 'string', minLength: 1, maxLength: 256 };

export const portalSubscriptionRoutes = [
  defineRoute<undefined, { endpointId?: string }>({
    operationId: 'portal.subscription.list',
    method: 'GET',
    path: '/portal/subscriptions',
    summary: "The application's subscriptions, or one endpoint's (unpaginated, newest first)",
    auth: 'portal',
    query: { type: 'object', properties: { endpointId: { type: 'string', minLength: 1 } } },
    response: { status: 200 },
    handle: async ({ deps, principal, query }) => {
      const applicationId = tokenApplication(principal);
      // Another application's endpoint is not found, rather than an empty list.
      if (query.endpointId !== undefined) await requireEndpoint(deps, applicationId, query.endpointId);
      const data: JsonValue[] = [];
      let cursor: string | undefined;
      do {
        const page = await listSubscriptions(deps, { applicationId, endpointId: query.endpointId }, { limit: 1000, cursor });
        data.push(...page.items.map(subscriptionOut));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return { status: 200, body: { data } };
    },
  }),
  defineRoute<PortalSubscriptionCreate>({
    operationId: 'portal.subscription.create',
    method: 'POST',
    path: '/portal/subscriptions',
    summary: 'Subscribe an endpoint to an event type (409 when it already is)',
    auth: 'portal',
    body: { type: 'object', required: ['endpointId'], properties: { endpointId: { type: 'string', minLength: 1 }, eventTypeId: name, eventType: name, eventTypeName: name } },
    response: { status: 201 },
    handle: async ({ deps, principal, body }) => {
      const { endpointId, eventType } = subscriptionCreateIn(body);
      if (eventType === undefined) throw validationError('eventTypeId', 'required', 'eventTypeId is required: the name of the event type.');
      const sub = await subscribe(deps, tokenApplication(principal), { endpointId, eventType }, 'eventTypeId');
      return { status: 201, body: { data: subscriptionOut(sub) } };
    },
  }),
  defineRoute({
    operationId: 'portal.subscription.get',
    method: 'GET',
    path: SUB,
    summary: 'One subscription',
    auth: 'portal',
    response: { status: 200 },
    handle: async ({ deps, principal, params }) => ({
      status: 200,
      body: { data: subscriptionOut(await requireSubscription(deps, tokenApplication(principal), params.subscriptionId ?? '')) },
    }),
  }),
  defineRoute<{ isEnabled: boolean }>({
    operationId: 'portal.subscription.update',
    method: 'PATCH',
    path: SUB,
    summary: 'Enable or disable a subscription',
    auth: 'portal',
    body: { type: 'object', required: ['isEnabled'], properties: { isEnabled: { type: 'boolean' } } },
    response: { status: 200 },
    handle: async ({ deps, principal, params, body }) => ({
      status: 200,
      body: { data: subscriptionOut(await setSubscriptionEnabled(deps, tokenApplication(principal), params.subscriptionId ?? '', body.isEnabled)) },
    }),
  }),
  defineRoute({
    operationId: 'portal.subscription.delete',
    method: 'DELETE',
    path: SUB,
    summary: 'Remove a subscription (an endpoint left with none receives every event type)',
    auth: 'portal',
    response: { status: 200 },
    handle: async ({ deps, principal, params }) => {
      await unsubscribe(deps, tokenApplication(principal), params.subscriptionId ?? '');
      return { status: 200, body: { success: true } };
    },
  }),
];
