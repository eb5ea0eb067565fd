import type { ValidateFunction } from 'ajv';
import { endpointWants } from '../../domain/endpoint/endpoint';
import { conflict, notFound, validationError } from '../../domain/errors';
import { derivedMessageId, keyedMessageId, newId } from '../../domain/ids';
import type { JsonValue } from '../../domain/json';
import { messageDecider, samePayload } from '../../domain/message/decide';
import type { MessageSent, OutboundRef } from '../../domain/message/message';
import { outboundDecider } from '../../domain/outbound/decide';
import { streams } from '../../domain/streams';
import { aggregateStream, handleCommand } from '../../store/commandHandler';
import { StreamNotFoundError, WrongExpectedVersionError } from '../../store/eventStore';
import { collections } from '../../projections/readModels';
import type { EndpointDoc, EventTypeDoc, MessageDoc, OutboundDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';
import { reused } from '../idempotency';
import type { KeyedRequest } from '../route';
import { toDetails } from '../validation';
import { ajv } from '../validation';
import { HttpError } from '../errors';
import type { Position } from '../../store/eventStore';
import { activeTracing } from '../../observability/tracing';
import { passesFilter } from './subscriptionFilters';
import { findAfterOwnWrites, metadataOf, noteAppended, readBack, readYourWrites, requireApplication } from './common';

/**
 * `endpointIds` (the compat surface's send-event): only these of the subscribed endpoints receive it. `labels`:
 * matched against the subscriptions' label filters at send time (not kept with the message).
 */
export type MessageIn = { eventType: string; payload: JsonValue; eventId?: string | null; endpointIds?: readonly string[]; labels?: Readonly<Record<string, string>> };

type FanOutInput = Readonly<{ eventType: string; payload: JsonValue; labels?: Readonly<Record<string, string>> }>;

const validators = new Map<string, ValidateFunction>();

/** The event type must exist, be live, and the payload must satisfy its schema (422 otherwise). */
const checkPayload = async (deps: ApiDeps, eventType: string, payload: JsonValue): Promise<void> => {
  const type = await deps.reads.collection<EventTypeDoc>(collections.eventTypes).get(eventType);
  if (!type) throw validationError('eventType', 'event_type_exists', `eventType ${eventType} is not defined; create it with POST /v1/event-types first.`);
  if (type.archived) throw validationError('eventType', 'event_type_archived', `eventType ${eventType} is archived; unarchive it to send it again.`);
  if (!type.schema) return;
  const key = `${type.name}@${type.updatedAt}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(type.schema);
    validators.set(key, validate);
  }
  if (!validate(payload)) {
    const details = toDetails(validate.errors, 'payload').map((d) => ({ ...d, field: d.field === 'payload' ? d.field : `payload.${d.field}` }));
    throw new HttpError(422, 'payload_schema_mismatch', `payload does not match the schema of ${eventType}: ${details.map((d) => d.message).join(' ')}`, details);
  }
};

/** The enabled subscription's filter passes (no filter, or an endpoint without subscriptions: every send). */
const subscriptionPasses = (ep: EndpointDoc, input: FanOutInput): Promise<boolean> => {
  const sub = ep.subscriptions?.find((s) => s.enabled && s.eventType === input.eventType);
  return passesFilter(sub?.filter, input.payload, input.labels ?? {});
};

/** Fan-out is decided at send time from the endpoints read model: who is subscribed now, and whose filter passes, receives it. */
const fanOut = async (deps: ApiDeps, applicationId: string, input: FanOutInput, only?: string, among?: readonly string[]): Promise<OutboundRef[]> => {
  const eventType = input.eventType;
  const endpoints = deps.reads.collection<EndpointDoc>(collections.endpoints);
  const refs: OutboundRef[] = [];
  let cursor: string | undefined;
  do {
    // By id (ULIDs: creation order), which the (applicationId, id) index serves without a sort.
    const page = await endpoints.find({ where: { applicationId }, limit: 500, cursor });
    for (const ep of page.items) {
      if (only !== undefined ? ep.id !== only : !endpointWants(ep, eventType)) continue;
      if (among !== undefined && !among.includes(ep.id)) continue;
      if (only === undefined && !(await subscriptionPasses(ep, input))) continue;
      const delays = ep.retryDelays ?? deps.config.retryScheduleMs;
      refs.push({ outboundId: newId('out'), endpointId: ep.id, endpointUrl: ep.url, maxAttempts: delays.length + 1 });
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return refs;
};

export type SendResult = Readonly<{
  message: MessageDoc;
  outbound: readonly { id: string; endpointId: string; status: string }[];
  /** The endpoints the message fans out to, with their URLs at send time (the compat answer names them). */
  endpoints: readonly { id: string; url: string }[];
  /** true: the eventId was sent before (the message as it is now); 'key': the Idempotency-Key's first answer again. */
  replayed: boolean | 'key';
  /** Where the message is in `$all`: a read presenting it as a consistency token sees the message. */
  position: Position;
}>;

export type SendOptions = Readonly<{
  /** Only this endpoint receives it (test an endpoint). */
  onlyEndpoint?: string;
  /** Answer once the read models include the message (a caller that reads its deliveries next); a plain send does not wait. */
  readYourWrites?: boolean;
  /**
   * The request's Idempotency-Key (a send without an eventId): the message's id derives from it, so the append's
   * expectation of no stream is the key's claim, on every process at once; the request's hash goes in the event's
   * metadata, and a second request with the key gets the first answer, rebuilt from the event (`replayed: 'key'`).
   */
  idempotency?: KeyedRequest;
}>;

/** Where a keyed send keeps the hash of its request (event metadata). */
const REQUEST_HASH = 'idempotencyRequestHash';

/**
 * One send: the lookups (from the API's read cache), one durable append, and the answer built from what was
 * appended. It does not wait for the projections (a later read waits instead: `findAfterOwnWrites`, the
 * consistency token), unless `options.readYourWrites`.
 */
export const sendMessage = async (deps: ApiDeps, appIdOrUid: string, input: MessageIn, options: SendOptions = {}): Promise<SendResult> => {
  const onlyEndpoint = options.onlyEndpoint;
  const app = await requireApplication(deps, appIdOrUid);
  await checkPayload(deps, input.eventType, input.payload);
  const eventId = input.eventId ?? null;
  const keyed = eventId === null ? options.idempotency : undefined;
  const messageId = eventId !== null ? derivedMessageId(app.id, eventId) : keyed ? keyedMessageId(keyed.id) : newId('msg');
  // A disabled application's messages are kept and reach no endpoint.
  const outbound = app.disabled ? [] : await fanOut(deps, app.id, input, onlyEndpoint, input.endpointIds);
  try {
    // With an eventId the stream's creation is the idempotency check, forever and across instances.
    const metadata = metadataOf(deps);
    // Tracing on: the append's trace context goes into the event's metadata (observability/tracing.ts).
    const span = activeTracing === null ? null : activeTracing.append('MessageSent', messageId, app.id, outbound.length);
    let appended: Position | null;
    try {
      ({ position: appended } = await handleCommand(
        deps.events,
        streams.message(messageId),
        messageDecider,
        { type: 'SendMessage', data: { messageId, applicationId: app.id, eventType: input.eventType, payload: input.payload, eventId, outbound }, metadata },
        { expectedRevision: 'no_stream', metadata: span === null && !keyed ? undefined : { ...span?.metadata, ...(keyed ? { [REQUEST_HASH]: keyed.requestHash } : {}) } },
      ));
    } catch (error) {
      // An eventId sent before is answered from the first send: no failure of this one.
      span?.end(error instanceof WrongExpectedVersionError ? undefined : error);
      throw error;
    }
    span?.end();
    // A send always appends its MessageSent; the head only if a decider ever decided nothing.
    const position = appended ?? (await deps.events.headPosition());
    if (options.readYourWrites) await readYourWrites(deps, position);
    else noteAppended(deps, position);
    // The answer is what was just appended: every delivery is pending at this point.
    const message: MessageDoc = { id: messageId, applicationId: app.id, eventType: input.eventType, payload: input.payload, eventId, timestamp: metadata.now, outboundIds: outbound.map((o) => o.outboundId) };
    return {
      message,
      outbound: outbound.map((o) => ({ id: o.outboundId, endpointId: o.endpointId, status: 'pending' })),
      endpoints: outbound.map((o) => ({ id: o.endpointId, url: o.endpointUrl })),
      replayed: false,
      position,
    };
  } catch (error) {
    if (!(error instanceof WrongExpectedVersionError)) throw error;
    if (keyed) return keyedReplay(deps, messageId, keyed);
    const existing = await aggregateStream(deps.events, streams.message(messageId), messageDecider.evolve, messageDecider.initialState);
    if (existing.state.status !== 'sent') throw error;
    const original = existing.state.message;
    if (original.eventType !== input.eventType || !samePayload(original.payload, input.payload)) {
      throw conflict('event_id_reused', `eventId ${eventId} was already sent with a different event type or payload (message ${messageId}).`);
    }
    // The first send's position: the answer is read from the read models once they include it.
    const position = (await lastPositionOf(deps, streams.message(messageId))) ?? (await deps.events.headPosition());
    await readYourWrites(deps, position);
    // The message and its fan-out come from its stream, which is the truth; only the deliveries' statuses come
    // from the read models. A read store may show a committed batch one collection at a time (jongodb does), so a
    // delivery not visible yet is answered as pending rather than the message as missing.
    const message: MessageDoc = {
      id: original.id,
      applicationId: original.applicationId,
      eventType: original.eventType,
      payload: original.payload,
      eventId: original.eventId,
      timestamp: original.timestamp,
      outboundIds: original.outbound.map((o) => o.outboundId),
    };
    const projected = new Map((await outboundOfMessage(deps, message)).map((o) => [o.id, o]));
    const outbound = original.outbound.map((o) => ({ id: o.outboundId, endpointId: o.endpointId, status: projected.get(o.outboundId)?.status ?? 'pending' }));
    return { message, outbound, endpoints: original.outbound.map((o) => ({ id: o.endpointId, url: o.endpointUrl })), replayed: true, position };
  }
};

/** The first answer to a keyed send, rebuilt from its MessageSent (409 when the key came with another request). */
const keyedReplay = async (deps: ApiDeps, messageId: string, keyed: KeyedRequest): Promise<SendResult> => {
  for await (const e of deps.events.readStream(streams.message(messageId), { maxCount: 1 })) {
    if (e.type !== 'MessageSent' || e.metadata[REQUEST_HASH] !== keyed.requestHash) throw reused();
    const d = e.data as MessageSent['data'];
    const message: MessageDoc = { id: d.messageId, applicationId: d.applicationId, eventType: d.eventType, payload: d.payload, eventId: d.eventId, timestamp: d.timestamp, outboundIds: d.outbound.map((o) => o.outboundId) };
    return {
      message,
      outbound: d.outbound.map((o) => ({ id: o.outboundId, endpointId: o.endpointId, status: 'pending' })),
      endpoints: d.outbound.map((o) => ({ id: o.endpointId, url: o.endpointUrl })),
      replayed: 'key',
      position: e.position,
    };
  }
  throw new Error(`message stream ${messageId} exists but has no event`);
};

/** Whether a send holds this Idempotency-Key (its message stream exists): another request may not reuse it. */
export const keyHeldBySend = async (deps: ApiDeps, keyId: string): Promise<boolean> => {
  try {
    for await (const _ of deps.events.readStream(streams.message(keyedMessageId(keyId)), { maxCount: 1 })) return true;
  } catch (error) {
    if (error instanceof StreamNotFoundError) return false;
    throw error;
  }
  return false;
};

/** The `$all` position of a stream's last event (null when it has none). */
const lastPositionOf = async (deps: ApiDeps, stream: string): Promise<Position | null> => {
  let last: Position | null = null;
  for await (const e of deps.events.readStream(stream)) last = e.position;
  return last;
};

/** A message of the application; one sent just before by this process is found (`findAfterOwnWrites`). */
export const requireMessage = async (deps: ApiDeps, applicationId: string, messageId: string): Promise<MessageDoc> => {
  const doc = await findAfterOwnWrites(deps, () => deps.reads.collection<MessageDoc>(collections.messages).get(messageId));
  if (!doc || doc.applicationId !== applicationId) throw notFound('message', messageId);
  return doc;
};

/**
 * The message's deliveries, oldest first (fan-out, then resends): read by id from the ids the message keeps,
 * which costs a list page of 50 messages about half of what 50 indexed finds by messageId do.
 */
export const outboundOfMessage = (deps: ApiDeps, message: MessageDoc): Promise<OutboundDoc[]> => outboundByIds(deps, message.outboundIds);

const outboundByIds = async (deps: ApiDeps, ids: readonly string[]): Promise<OutboundDoc[]> => {
  const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
  const found: OutboundDoc[] = [];
  for (const id of ids) {
    const doc = await outbound.get(id);
    if (doc) found.push(doc);
  }
  return found.sort((a, b) => (a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
};

export const resendMessage = async (deps: ApiDeps, appIdOrUid: string, messageId: string): Promise<OutboundDoc[]> => {
  const app = await requireApplication(deps, appIdOrUid);
  const message = await requireMessage(deps, app.id, messageId);
  const outbound = app.disabled ? [] : await fanOut(deps, app.id, { eventType: message.eventType, payload: message.payload });
  const span = activeTracing === null ? null : activeTracing.append('MessageResent', messageId, app.id, outbound.length);
  let position: Position | null;
  try {
    ({ position } = await handleCommand(deps.events, streams.message(messageId), messageDecider, { type: 'ResendMessage', data: { messageId, outbound }, metadata: metadataOf(deps) }, { metadata: span?.metadata }));
  } catch (error) {
    span?.end(error);
    throw error;
  }
  span?.end();
  await readYourWrites(deps, position);
  return outboundByIds(deps, outbound.map((o) => o.outboundId));
};

export const requireOutbound = async (deps: ApiDeps, applicationId: string, outboundId: string): Promise<OutboundDoc> => {
  const doc = await findAfterOwnWrites(deps, () => deps.reads.collection<OutboundDoc>(collections.outbound).get(outboundId));
  if (!doc || doc.applicationId !== applicationId) throw notFound('outbound message', outboundId);
  return doc;
};

/** An attempt runs now, whatever the delivery's status: a RetryRequested puts it at the head of the due-queue. */
export const retryOutbound = async (deps: ApiDeps, appIdOrUid: string, outboundId: string): Promise<OutboundDoc> => {
  const app = await requireApplication(deps, appIdOrUid);
  const doc = await requireOutbound(deps, app.id, outboundId);
  const { position } = await handleCommand(deps.events, streams.outbound(outboundId), outboundDecider, {
    type: 'RequestRetry',
    data: { outboundId, messageId: doc.messageId, endpointId: doc.endpointId, applicationId: app.id },
    metadata: metadataOf(deps),
  });
  await readYourWrites(deps, position);
  return readBack(() => requireOutbound(deps, app.id, outboundId));
};

export type HistoryEntry = { stream: string; revision: string; position: string; type: string; recordedAt: string; data: JsonValue };

/** Every event of the message and of its deliveries, from the event store itself, in commit order. */
export const messageHistory = async (deps: ApiDeps, appIdOrUid: string, messageId: string): Promise<HistoryEntry[]> => {
  const app = await requireApplication(deps, appIdOrUid);
  const entries: { sort: bigint; entry: HistoryEntry }[] = [];
  const outboundIds: string[] = [];
  const read = async (stream: string): Promise<void> => {
    for await (const e of deps.events.readStream(stream)) {
      entries.push({
        sort: e.position.commit,
        entry: { stream, revision: e.revision.toString(), position: e.position.commit.toString(), type: e.type, recordedAt: e.created.toISOString(), data: e.data },
      });
      if (e.type === 'MessageSent' || e.type === 'MessageResent') {
        const data = e.data as MessageSent['data'];
        if (e.type === 'MessageSent' && data.applicationId !== app.id) throw notFound('message', messageId);
        outboundIds.push(...data.outbound.map((o) => o.outboundId));
      }
    }
  };
  try {
    await read(streams.message(messageId));
  } catch {
    throw notFound('message', messageId);
  }
  for (const id of outboundIds) {
    try {
      await read(streams.outbound(id));
    } catch {
      // No attempt yet: the delivery's stream does not exist.
    }
  }
  return entries.sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0)).map((e) => e.entry);
};
