export { Hookbase, type HookbaseOptions } from './client.js';
export {
  AuthenticationError,
  ConflictError,
  ForbiddenError,
  HookbaseApiError,
  HookbaseError,
  NetworkError,
  NotFoundError,
  RateLimitError,
  TimeoutError,
  ValidationError,
  type ApiErrorInit,
} from './errors.js';
export { PageIterator } from './pagination.js';
export { Applications } from './resources/applications.js';
export { Endpoints } from './resources/endpoints.js';
export { EventTypes } from './resources/eventTypes.js';
export { Destinations, Filters, Routes, Schemas, Sources, Transforms } from './resources/inboundConfig.js';
export { Dlq, InboundDeliveries, InboundEvents } from './resources/inboundTraffic.js';
export { Messages } from './resources/messages.js';
export { PortalTokens } from './resources/portalTokens.js';
export { routes, type HttpMethod, type OperationId, type Route } from './routes.js';
export type * from './types.js';
export type * from './inboundTypes.js';
export {
  createWebhook,
  WebhookVerificationError,
  type VerifyOptions,
  type Webhook,
  type WebhookHeaders,
  type WebhookPayload,
} from './webhook.js';
// The audit library (docs/audit.md): the log's hash chain, RFC 6962 Merkle trees and signed anchors; pure, for browsers too.
export * from './audit/index.js';
