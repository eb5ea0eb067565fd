// Inbound stream names, apart from the inbound events' types so `domain/streams.ts` (which the SDK compiles in)
// imports nothing else.

export const inboundStreams = {
  source: (id: string) => `source-${id}`,
  sourceSlug: (slug: string) => `source_slug-${slug}`,
  destination: (id: string) => `destination-${id}`,
  route: (id: string) => `route-${id}`,
  filter: (id: string) => `filter-${id}`,
  transform: (id: string) => `transform-${id}`,
  schema: (id: string) => `schema-${id}`,
  inbound: (id: string) => `inbound-${id}`,
  inboundDelivery: (id: string) => `inbound_delivery-${id}`,
} as const;

export const inboundCategories = {
  source: 'source-',
  sourceSlug: 'source_slug-',
  destination: 'destination-',
  route: 'route-',
  filter: 'filter-',
  transform: 'transform-',
  schema: 'schema-',
  inbound: 'inbound-',
  inboundDelivery: 'inbound_delivery-',
} as const;
