import { createHash } from 'node:crypto';
import type { SourceProvider } from '../domain/source/providers';
import type { DedupStrategy } from '../domain/source/source';
import type { InboundRequest } from './providers/verification';
import { header } from './providers/verification';

/** What an inbound event is and its provider's own id for it (for `event_id` dedup), where the provider says. */
export type EventIdentity = Readonly<{ eventType: string | null; eventId: string | null }>;

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null);

const field = (value: unknown, ...path: string[]): unknown => {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
};

const joined = (a: string | null, b: string | null): string | null => (a === null ? null : b === null ? a : `${a}.${b}`);

/**
 * Where each provider puts the event's type and id (from its docs): Stripe `type`/`id`; GitHub `X-GitHub-Event`
 * (with the payload's `action`) and `X-GitHub-Delivery`; Shopify `X-Shopify-Topic` and `X-Shopify-Webhook-Id`;
 * Slack `event.type` (or `type`) and `event_id`; Twilio's `I-Twilio-Idempotency-Token`; Svix `type` and
 * `webhook-id`; Paddle `event_type`/`event_id`; Linear `type`.`action` and `Linear-Delivery`; SendGrid a batch
 * (`event` when every item agrees, no single id); Mailgun `event-data.event` and the signature token.
 * `payload` is the parsed body (undefined when it is not JSON; form bodies are read from the request).
 */
export const identifyEvent = (provider: SourceProvider, request: InboundRequest, payload: unknown): EventIdentity => {
  switch (provider) {
    case 'stripe':
      return { eventType: text(field(payload, 'type')), eventId: text(field(payload, 'id')) };
    case 'github':
      return { eventType: joined(header(request, 'x-github-event'), text(field(payload, 'action'))), eventId: header(request, 'x-github-delivery') };
    case 'shopify':
      return { eventType: header(request, 'x-shopify-topic'), eventId: header(request, 'x-shopify-webhook-id') ?? header(request, 'x-shopify-event-id') };
    case 'slack':
      return { eventType: text(field(payload, 'event', 'type')) ?? text(field(payload, 'type')), eventId: text(field(payload, 'event_id')) };
    case 'twilio':
      return { eventType: null, eventId: header(request, 'i-twilio-idempotency-token') };
    case 'svix':
      return { eventType: text(field(payload, 'type')), eventId: header(request, 'webhook-id') ?? header(request, 'svix-id') };
    case 'paddle':
      return { eventType: text(field(payload, 'event_type')), eventId: text(field(payload, 'event_id')) };
    case 'linear':
      return { eventType: joined(text(field(payload, 'type')), text(field(payload, 'action'))), eventId: header(request, 'linear-delivery') };
    case 'sendgrid': {
      const kinds = Array.isArray(payload) ? new Set(payload.map((item) => text(field(item, 'event')))) : new Set<string | null>();
      const only = kinds.size === 1 ? [...kinds][0]! : null;
      return { eventType: only, eventId: null };
    }
    case 'mailgun': {
      const token = text(field(payload, 'signature', 'token')) ?? (payload === undefined ? new URLSearchParams(Buffer.from(request.rawBody).toString('utf8')).get('token') : null);
      return { eventType: text(field(payload, 'event-data', 'event')), eventId: token };
    }
    case 'generic':
    case 'custom':
      return {
        eventType: text(field(payload, 'type')) ?? text(field(payload, 'event_type')) ?? text(field(payload, 'event')),
        eventId: text(field(payload, 'id')) ?? text(field(payload, 'event_id')),
      };
    default: {
      const never: never = provider;
      return never;
    }
  }
};

export const payloadHash = (rawBody: Uint8Array): string => createHash('sha256').update(rawBody).digest('hex');

/**
 * The key a source deduplicates on, or null when this request carries none (then it is not deduplicated):
 * `header` its named header, `payload_hash` the SHA-256 of the raw bytes, `event_id` the provider's id.
 */
export const dedupKey = (
  strategy: DedupStrategy,
  dedupHeaderName: string | null,
  request: InboundRequest,
  identity: EventIdentity,
): string | null => {
  switch (strategy) {
    case 'none':
      return null;
    case 'header':
      return dedupHeaderName === null ? null : header(request, dedupHeaderName);
    case 'payload_hash':
      return payloadHash(request.rawBody);
    case 'event_id':
      return identity.eventId;
    default: {
      const never: never = strategy;
      return never;
    }
  }
};
