import { inboundEventDecider } from '../../domain/inbound/decide';
import type { ReceiveInboundEvent, RejectInboundEvent } from '../../domain/inbound/decide';
import type { InboundEventReceived, InboundEventRejected } from '../../domain/inbound/inboundEvent';
import { derivedInboundEventId, newId } from '../../domain/ids';
import { openSecret } from '../../domain/secretBox';
import type { SourceProvider } from '../../domain/source/providers';
import { streams } from '../../domain/streams';
import { dedupKey, identifyEvent, payloadHash } from '../../inbound/eventIdentity';
import { ipAllowed } from '../../inbound/ipFilter';
import { destroyPayloadKey, storePayloadKey } from '../../inbound/payloadKeys';
import { verifyInbound } from '../../inbound/providers/index';
import type { InboundRequest } from '../../inbound/providers/index';
import { plainBody, sealedBody } from '../../inbound/storedBody';
import type { SourceDoc } from '../../projections/readModels';
import { handleCommand } from '../../store/commandHandler';
import { StreamNotFoundError, WrongExpectedVersionError } from '../../store/eventStore';
import type { ApiDeps } from '../deps';
import { noteAppended } from './common';
import { findSourceBySlug, orgSlugOf } from './inboundConfig';

/** One request to an ingest URL, as the HTTP layer read it: the raw bytes untouched. */
export type IngestRequest = Readonly<{
  orgSlug: string;
  sourceSlug: string;
  rawBody: Buffer;
  /** Lower-case names; a repeated header joined with ', '. */
  headers: Readonly<Record<string, string>>;
  ipAddress: string | null;
  /** The public URL the provider called, query included (Twilio signs it). */
  url: string;
}>;

export type IngestAnswer = Readonly<{ status: number; body: { [key: string]: string | boolean | null }; headers?: Readonly<Record<string, string>> }>;

/** Headers that are the request's transport, not the provider's: not kept with the event. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'authorization', 'cookie', 'te', 'trailer']);

/** Generations of a dedup key tried before giving up: one per window that passed since the key was first seen. */
const MAX_GENERATIONS = 64;

const keptHeaders = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));

/** The payload as JSON when it is JSON (filters, schemas and transforms read it); undefined otherwise. */
export const parsedPayload = (rawBody: Uint8Array, contentType: string | null): unknown => {
  if (rawBody.length === 0) return undefined;
  const text = Buffer.from(rawBody).toString('utf8');
  const looksJson = contentType?.includes('json') === true || /^\s*[[{]/.test(text);
  if (!looksJson) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/** A refusal at the door: its record is the only thing appended (docs/inbound.md), then the answer. */
const refuse = async (
  deps: ApiDeps,
  source: SourceDoc,
  req: IngestRequest,
  status: number,
  reason: InboundEventRejected['data']['reason'],
  code: string,
  message: string,
): Promise<IngestAnswer> => {
  const inboundEventId = newId('ibe');
  const command: RejectInboundEvent = {
    type: 'RejectInboundEvent',
    data: { inboundEventId, sourceId: source.id, ipAddress: req.ipAddress, reason, code, message },
    metadata: { now: deps.now().toISOString() },
  };
  const { position } = await handleCommand(deps.events, streams.inbound(inboundEventId), inboundEventDecider, command, { expectedRevision: 'no_stream' });
  if (position) noteAppended(deps, position);
  return { status, body: { error: code, message, id: inboundEventId } };
};

/** When the receipt that holds a derived id arrived (null: no receipt there). */
const receivedAtOf = async (deps: ApiDeps, inboundEventId: string): Promise<number | null> => {
  try {
    for await (const recorded of deps.events.readStream(streams.inbound(inboundEventId))) {
      if (recorded.type === 'InboundEventReceived') return Date.parse(String((recorded.data as InboundEventReceived['data']).receivedAt));
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return null;
};

/**
 * POST /ingest/{orgSlug}/{sourceSlug}: the source's checks in order (active, IP lists, rate limit, signature), then
 * one durable append of the event (deduplicated: a derived id appended with "no stream"), then 202. Routing and
 * delivery happen after the answer (the dispatcher routes what is received): the ingest never waits on a destination.
 */
export const ingest = async (deps: ApiDeps, req: IngestRequest): Promise<IngestAnswer> => {
  if (req.orgSlug !== orgSlugOf(deps)) return { status: 404, body: { error: 'source_not_found', message: `No source ${req.sourceSlug} in organization ${req.orgSlug}.` } };
  const source = await findSourceBySlug(deps, req.sourceSlug);
  if (!source) return { status: 404, body: { error: 'source_not_found', message: `No source ${req.sourceSlug} in organization ${req.orgSlug}.` } };
  const now = deps.now();
  if (!source.isActive) return refuse(deps, source, req, 403, 'inactive', 'source_inactive', `Source ${source.slug} is inactive.`);
  if (!ipAllowed(source.ipFilterMode, source.ipAllowlist, source.ipDenylist, req.ipAddress)) {
    return refuse(deps, source, req, 403, 'ip_denied', 'ip_denied', `Requests from ${req.ipAddress ?? 'an unknown address'} are not accepted by source ${source.slug}.`);
  }
  if (source.rateLimit !== null) {
    // Not recorded in the log: a flood of refusals would be a flood of appends.
    const windowMs = source.rateLimitWindow * 1000;
    const d = await deps.rateLimiter.take('ingest', source.id, source.rateLimit, windowMs, now.getTime());
    if (!d.allowed) {
      const retryAfter = Math.max(1, d.resetAt - Math.floor(now.getTime() / 1000));
      return {
        status: 429,
        body: { error: 'rate_limited', message: `Source ${source.slug} accepts ${source.rateLimit} requests per ${source.rateLimitWindow} s; retry after ${retryAfter} s.` },
        headers: { 'Retry-After': String(retryAfter) },
      };
    }
  }
  const request: InboundRequest = { rawBody: req.rawBody, headers: req.headers, receivedAt: now, url: req.url };
  let signatureValid: boolean | null = null;
  if (source.verifySignature) {
    const secret = source.signingSecret === null ? null : openSecret(deps.masterKey, source.signingSecret);
    const verdict = verifyInbound(source.provider as SourceProvider, { secret, settings: source.verification }, request);
    if (!verdict.ok) return refuse(deps, source, req, 401, 'signature', verdict.code, verdict.message);
    signatureValid = true;
  }

  const contentType = req.headers['content-type'] ?? null;
  const payload = parsedPayload(req.rawBody, contentType);
  const identity = identifyEvent(source.provider as SourceProvider, request, payload);
  const key = dedupKey(source.dedupStrategy, source.dedupHeaderName, request, identity);
  const hash = payloadHash(req.rawBody);
  // A transient source's bytes enter the log sealed with a key of their own, kept in the operational store.
  const keyId = source.transientMode ? `pk_${newId('ibe')}` : null;
  const body = keyId === null ? plainBody(req.rawBody) : sealedBody(req.rawBody, await storePayloadKey(deps.ops, deps.masterKey, keyId, now));
  const base = (inboundEventId: string): ReceiveInboundEvent => ({
    type: 'ReceiveInboundEvent',
    data: {
      inboundEventId,
      sourceId: source.id,
      contentType,
      headers: keptHeaders(req.headers),
      body,
      payloadHash: hash,
      ipAddress: req.ipAddress,
      signatureValid,
      eventType: identity.eventType,
      dedupKey: key,
    },
    metadata: { now: now.toISOString() },
  });
  const accept = async (command: ReceiveInboundEvent): Promise<void> => {
    const { position } = await handleCommand(deps.events, streams.inbound(command.data.inboundEventId), inboundEventDecider, command, { expectedRevision: 'no_stream' });
    if (position) noteAppended(deps, position);
  };
  const accepted = (id: string): IngestAnswer => ({ status: 202, body: { id, status: 'accepted', duplicate: false } });
  if (key === null) {
    const id = newId('ibe');
    await accept(base(id));
    return accepted(id);
  }
  // Dedup: the id derives from (source, key, generation). A receipt of the same key within the window finds the
  // stream and is a duplicate; past the window, the next generation takes it. In the log: it holds across restarts.
  for (let generation = 0; generation < MAX_GENERATIONS; generation++) {
    const id = derivedInboundEventId(source.id, key, generation);
    try {
      await accept(base(id));
      return accepted(id);
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
    }
    const firstAt = await receivedAtOf(deps, id);
    if (firstAt !== null && now.getTime() - firstAt < source.dedupWindow * 1000) {
      if (keyId !== null) await destroyPayloadKey(deps.ops, keyId);
      return { status: 200, body: { id, status: 'duplicate', duplicate: true } };
    }
  }
  throw new Error(`dedup key of source ${source.id} was seen in more than ${MAX_GENERATIONS} windows`);
};
