import type { JsonValue } from '../../../domain/json';
import { collections } from '../../../projections/readModels';
import type { EventTypeDoc, SubscriptionDoc } from '../../../projections/readModels';
import { PING_EVENT_TYPE } from '../../commands/endpointOps';
import { defineRoute } from '../../route';
import { eventTypeOut } from '../mapping/eventTypes';
import { tokenApplication } from '../principal';

export const portalEventTypeRoutes = [
  defineRoute({
    operationId: 'portal.eventType.list',
    method: 'GET',
    path: '/portal/event-types',
    summary: "Every live event type (but the test ping's); subscriptionCount counts the token's application's subscriptions to it",
    auth: 'portal',
    response: { status: 200 },
    handle: async ({ deps, principal }) => {
      const applicationId = tokenApplication(principal);
      const types = deps.reads.collection<EventTypeDoc>(collections.eventTypes);
      const subs = deps.reads.collection<SubscriptionDoc>(collections.subscriptions);
      const data: JsonValue[] = [];
      let cursor: string | undefined;
      do {
        const page = await types.find({ where: { archived: false }, orderBy: { key: 'createdAt', direction: 'asc' }, limit: 500, cursor });
        for (const t of page.items) {
          // The type of "test endpoint" messages is ours, not one a customer subscribes to.
          if (t.name === PING_EVENT_TYPE) continue;
          data.push(eventTypeOut(t, await subs.count({ applicationId, eventTypeName: t.name })));
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return { status: 200, body: { data } };
    },
  }),
];
