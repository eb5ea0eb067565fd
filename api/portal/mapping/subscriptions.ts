import type { JsonObject } from '../../../domain/json';
import type { SubscriptionDoc } from '../../../projections/readModels';

// The portal's subscription ↔ ours. An event type's id on this surface is its name.

/** `eventTypeId` as COMPAT.md names it; `eventType` and `eventTypeName` are taken too. */
export type PortalSubscriptionCreate = { endpointId: string; eventTypeId?: string; eventType?: string; eventTypeName?: string };

export const subscriptionCreateIn = (body: PortalSubscriptionCreate): { endpointId: string; eventType: string | undefined } => ({
  endpointId: body.endpointId,
  eventType: body.eventTypeId ?? body.eventType ?? body.eventTypeName,
});

export const subscriptionOut = (s: SubscriptionDoc): JsonObject => ({
  id: s.id,
  endpointId: s.endpointId,
  eventTypeId: s.eventTypeName,
  eventTypeName: s.eventTypeName,
  isEnabled: s.isEnabled,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});
