import { inboundCategories, inboundStreams } from './inbound/streams.js';

// Stream names. Category prefixes let subscriptions filter `$all` by stream prefix.

export const streams = {
  application: (id: string) => `application-${id}`,
  applicationUid: (uid: string) => `application_uid-${uid}`,
  eventType: (name: string) => `eventtype-${name}`,
  endpoint: (id: string) => `endpoint-${id}`,
  message: (id: string) => `message-${id}`,
  outbound: (id: string) => `outbound-${id}`,
  apiKey: (id: string) => `apikey-${id}`,
  portalToken: (id: string) => `portaltoken-${id}`,
  /** The deployment's anchor key (one stream, one event: docs/audit.md). */
  auditKey: () => 'auditkey-deployment',
  /** The signed anchors, one chain per deployment (docs/audit.md). */
  auditAnchors: () => 'auditanchors-deployment',
  ...inboundStreams,
} as const;

export const categories = {
  application: 'application-',
  applicationUid: 'application_uid-',
  eventType: 'eventtype-',
  endpoint: 'endpoint-',
  message: 'message-',
  outbound: 'outbound-',
  apiKey: 'apikey-',
  portalToken: 'portaltoken-',
  auditKey: 'auditkey-',
  auditAnchors: 'auditanchors-',
  ...inboundCategories,
} as const;
