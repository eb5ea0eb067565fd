import type { JsonObject } from '../../../domain/json';
import type { EndpointDoc } from '../../../projections/readModels';
import type { EndpointCounts } from '../../commands/endpointCounts';
import type { EndpointIn, EndpointPatch } from '../../commands/endpoints';

// The portal's endpoint (COMPAT.md, "The portal API") ↔ ours.

export type PortalEndpointCreate = { url: string; description?: string; eventTypes?: string[] };
export type PortalEndpointPatch = { url?: string; description?: string; isDisabled?: boolean };

export const endpointCreateIn = (body: PortalEndpointCreate): EndpointIn => ({
  url: body.url,
  ...(body.description === undefined ? {} : { description: body.description }),
  ...(body.eventTypes === undefined ? {} : { eventTypes: body.eventTypes }),
});

export const endpointPatchIn = (body: PortalEndpointPatch): EndpointPatch => ({
  ...(body.url === undefined ? {} : { url: body.url }),
  ...(body.description === undefined ? {} : { description: body.description }),
  ...(body.isDisabled === undefined ? {} : { disabled: body.isDisabled }),
});

/**
 * `isVerified`: the endpoint has answered a delivery with 2xx (a verify is one such delivery); `verifiedAt` is when
 * it last did.
 */
export const endpointOut = (e: EndpointDoc, counts: EndpointCounts): JsonObject => ({
  id: e.id,
  url: e.url,
  description: e.description,
  isDisabled: e.disabled,
  circuitState: e.circuit,
  totalMessages: counts.totalMessages,
  totalSuccesses: counts.totalSuccesses,
  totalFailures: counts.totalFailures,
  isVerified: counts.lastSuccessAt !== null,
  verifiedAt: counts.lastSuccessAt,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});
