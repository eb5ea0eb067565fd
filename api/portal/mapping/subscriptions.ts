// The portal's subscription ↔ ours. An event type's id on this surface is its name.

/** `eventTypeId` as COMPAT.md names it; `eventType` and `eventTypeName` are taken too. */
export type PortalSubscriptionCreate = { endpointId: string; eventTypeId?: string; eventType?: string; eventTypeName?: string };

export const subscriptionCreateIn = (body: PortalSubscriptionCreate): { endpointId: string; eventType: string | undefined } => ({
  endpointId: body.endpointId,
  eventType: body.eventTypeId ?? body.eventType ?? body.eventTypeName,
});

/** The Node SDK's subscription fields (the /api answer adds the filter and the joined endpoint, application and event type). */
export { subscriptionCoreOut as subscriptionOut } from '../../compat/subscriptions.mapping';
