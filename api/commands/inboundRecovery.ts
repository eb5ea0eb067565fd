import { createHash } from 'node:crypto';
import { DomainError, notFound, validationError } from '../../domain/errors';
import { newId } from '../../domain/ids';
import type { InboundDeliveryCreated } from '../../domain/inbound/delivery';
import { inboundDeliveryDecider } from '../../domain/inbound/deliveryDecide';
import type { StoredBody } from '../../domain/inbound/inboundEvent';
import type { JsonValue } from '../../domain/json';
import { sealSecret } from '../../domain/secretBox';
import { streams } from '../../domain/streams';
import { HttpDelivery } from '../../dispatcher/httpDelivery';
import { requestHeaders } from '../../dispatcher/inboundDeliverer';
import { loadPayloadKey } from '../../inbound/payloadKeys';
import { openBody } from '../../inbound/storedBody';
import { collections } from '../../projections/readModels';
import type { DestinationDoc, InboundDeliveryDoc, RouteDoc } from '../../projections/readModels';
import { handleCommand } from '../../store/commandHandler';
import { StreamNotFoundError } from '../../store/eventStore';
import type { ApiDeps } from '../deps';
import { metadataOf, readYourWrites } from './common';
import { requireDestination, testTransform } from './inboundConfig';
import { requireInboundDelivery, retryInboundDelivery } from './inboundTraffic';

// The MCP server's recovery tools (HookbaseApp/mcp-server src/tools/destinations.ts hookbase_test_destination,
// src/tools/deliveries.ts hookbase_replay_with_edit, hookbase_list_delivery_clusters, hookbase_replay_cluster; the
// requests in its src/lib/api.ts testDestination, replayDeliveryWithEdit, listDeliveryClusters, replayDeliveryCluster).

// ---------------------------------------------------------------------------------------------------------------
// test_destination: one request to the destination, through the same SSRF guard as a delivery, nothing recorded.

export type DestinationTestResult = { success: boolean; statusCode: number | null; responseTime: number; responseBody?: string; error?: string };

/** A test request to the destination (its method, headers and credentials) through the SSRF-guarded client; nothing appended. */
export const testDestination = async (deps: ApiDeps, id: string): Promise<DestinationTestResult> => {
  const destination = await requireDestination(deps, id);
  const http = new HttpDelivery({ allowPrivateNetworks: deps.config.allowPrivateNetworks, connectTimeoutMs: Math.min(destination.timeoutMs, 10_000) });
  try {
    const testId = newId('req'); // a test request, never an event or a delivery
    const body = JSON.stringify({ type: 'hookbase.test', destinationId: id, sentAt: deps.now().toISOString() });
    const headers = requestHeaders(deps.masterKey, destination, { contentType: 'application/json', inboundEventId: testId, deliveryId: testId }, 1, deps.config.version);
    const result = await http.send({ url: destination.url, method: destination.method, headers: { ...headers, 'x-hookbase-test': 'true' }, body, timeoutMs: destination.timeoutMs });
    switch (result.kind) {
      case 'succeeded':
        return { success: true, statusCode: result.responseStatus, responseTime: result.latencyMs, responseBody: result.responseBody };
      case 'failed':
        return { success: false, statusCode: result.responseStatus, responseTime: result.latencyMs, responseBody: result.responseBody, error: result.error };
      case 'blocked':
        return { success: false, statusCode: null, responseTime: result.latencyMs, error: result.error };
      default:
        return { success: false, statusCode: null, responseTime: 0, error: 'cancelled' };
    }
  } finally {
    await http.close(true);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// replay_with_edit: a new delivery of the same event with an edited body, headers or destination.

export type ReplayEdits = {
  modifiedPayload?: JsonValue;
  destinationOverride?: string;
  transformOverride?: { code: string; type?: string };
  headersOverride?: Record<string, string>;
  persistTransform?: boolean;
};

/** Headers a replay may not set (the MCP server's tool description names them). */
const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);
const MAX_HEADERS = 50;

const checkHeaders = (headers: unknown): Record<string, string> | undefined => {
  if (headers === undefined || headers === null) return undefined;
  if (typeof headers !== 'object' || Array.isArray(headers)) throw validationError('headersOverride', 'type', 'headersOverride must be an object of header names to text values.');
  const entries = Object.entries(headers as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) throw validationError('headersOverride', 'max_items', `headersOverride may set at most ${MAX_HEADERS} headers.`);
  const out: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw validationError('headersOverride', 'header_name', `headersOverride: "${name}" is not a valid header name.`);
    if (FORBIDDEN_HEADERS.has(name.toLowerCase())) throw validationError('headersOverride', 'forbidden_header', `headersOverride cannot set ${name.toLowerCase()}.`);
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw validationError('headersOverride', 'header_value', `headersOverride.${name} must be text on one line.`);
    out[name.toLowerCase()] = value;
  }
  return out;
};

const createdOf = async (deps: ApiDeps, deliveryId: string): Promise<InboundDeliveryCreated['data'] | null> => {
  try {
    for await (const recorded of deps.events.readStream(streams.inboundDelivery(deliveryId))) {
      if (recorded.type === 'InboundDeliveryCreated') return recorded.data as InboundDeliveryCreated['data'];
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return null;
};

/** The destination by id or slug (the MCP tool accepts either). */
const destinationByIdOrSlug = async (deps: ApiDeps, ref: string): Promise<DestinationDoc> => {
  const byId = await deps.reads.collection<DestinationDoc>(collections.destinations).get(ref);
  if (byId) return byId;
  const page = await deps.reads.collection<DestinationDoc>(collections.destinations).find({ orderBy: { key: 'createdAt', direction: 'desc' }, limit: 1000 });
  const bySlug = page.items.find((d) => d.slug === ref);
  if (!bySlug) throw validationError('destinationOverride', 'not_found', `destinationOverride: no destination has the id or slug "${ref}".`);
  return bySlug;
};

/** The payload of the original event as JSON (what a transform override runs on). */
const originalPayload = async (deps: ApiDeps, created: InboundDeliveryCreated['data']): Promise<JsonValue> => {
  const receipt = await (async () => {
    for await (const recorded of deps.events.readStream(streams.inbound(created.inboundEventId))) {
      if (recorded.type === 'InboundEventReceived') return recorded.data as { body: StoredBody };
    }
    return null;
  })();
  if (receipt === null) throw notFound('inbound event', created.inboundEventId);
  const key = receipt.body.kind === 'sealed' ? await loadPayloadKey(deps.ops, deps.masterKey, receipt.body.keyId) : null;
  const raw = openBody(receipt.body, () => key);
  if (raw === null) throw new DomainError('conflict', 'payload_purged', `Inbound event ${created.inboundEventId} cannot be replayed with a transform: its payload was purged.`);
  try {
    return JSON.parse(Buffer.from(raw).toString('utf8')) as JsonValue;
  } catch {
    throw validationError('transformOverride', 'not_json', 'transformOverride runs on JSON payloads: the original payload is not JSON.');
  }
};

export type ReplayWithEditResult = { message: string; newDeliveryId: string; delivery: InboundDeliveryDoc; overrides: Record<string, JsonValue> };

/**
 * A replay with one-shot edits: a new delivery of the same event (the original keeps its history), whose
 * `InboundDeliveryCreated` records the edits (`replayOf`) so the log shows what was changed. The body is the edited
 * payload, or the transform override's output on the original payload, or the original delivery's body; a transient
 * source's edited body is sealed with the event's payload key like any of its deliveries.
 */
export const replayWithEdit = async (deps: ApiDeps, deliveryId: string, edits: ReplayEdits, wait = true): Promise<ReplayWithEditResult> => {
  const original = await requireInboundDelivery(deps, deliveryId);
  if (edits.persistTransform === true) throw validationError('persistTransform', 'not_supported', 'persistTransform: a replay does not change the route; update its transform with PATCH /api/transforms/{id}.');
  if (edits.modifiedPayload !== undefined && edits.transformOverride !== undefined) throw validationError('transformOverride', 'conflict', 'Send either modifiedPayload or transformOverride, not both.');
  const headersOverride = checkHeaders(edits.headersOverride);
  const created = await createdOf(deps, deliveryId);
  if (created === null) throw notFound('inbound delivery', deliveryId);
  const names: string[] = [];
  let body: StoredBody = created.body;
  let contentType = created.contentType;
  let text: string | null = null;
  if (edits.modifiedPayload !== undefined) {
    text = typeof edits.modifiedPayload === 'string' ? edits.modifiedPayload : JSON.stringify(edits.modifiedPayload);
    if (typeof edits.modifiedPayload !== 'string') contentType = 'application/json';
    names.push('payload');
  } else if (edits.transformOverride !== undefined) {
    const t = edits.transformOverride;
    if (typeof t !== 'object' || t === null || typeof t.code !== 'string') throw validationError('transformOverride.code', 'required', 'transformOverride.code is required.');
    const result = await testTransform(t.type ?? 'jsonata', t.code, await originalPayload(deps, created), deps.now());
    if (!result.success) throw validationError('transformOverride.code', result.error.code, `transformOverride: ${result.error.message}`);
    text = JSON.stringify(result.output);
    contentType = 'application/json';
    names.push('transform');
  }
  if (text !== null) {
    if (created.body.kind === 'sealed') {
      const key = await loadPayloadKey(deps.ops, deps.masterKey, created.body.keyId);
      if (key === null) throw new DomainError('conflict', 'payload_purged', `Delivery ${deliveryId}'s event was transient and its payload key is destroyed: nothing can be sealed for it.`);
      body = { kind: 'sealed', keyId: created.body.keyId, sealed: sealSecret(key, Buffer.from(text, 'utf8').toString('base64')) };
    } else {
      body = { kind: 'plain', encoding: 'utf8', data: text };
    }
  }
  let destinationIds = created.destinationIds;
  let maxAttempts = created.maxAttemptsPerDestination;
  if (edits.destinationOverride !== undefined) {
    const destination = await destinationByIdOrSlug(deps, edits.destinationOverride);
    destinationIds = [destination.id];
    maxAttempts = destination.retryCount + 1;
    names.push('destination');
  }
  if (headersOverride !== undefined) names.push('headers');
  const newDeliveryId = newId('ibd');
  const { position } = await handleCommand(deps.events, streams.inboundDelivery(newDeliveryId), inboundDeliveryDecider, {
    type: 'CreateInboundDelivery',
    data: {
      deliveryId: newDeliveryId, inboundEventId: original.inboundEventId, routeId: original.routeId, sourceId: original.sourceId,
      destinationIds, failoverAfterAttempts: destinationIds.length > 1 ? created.failoverAfterAttempts : null, maxAttemptsPerDestination: maxAttempts,
      body, contentType, ...(headersOverride !== undefined ? { headersOverride } : {}), replayOf: { deliveryId, edits: names },
    },
    metadata: metadataOf(deps),
  }, { expectedRevision: 'no_stream' });
  if (wait) await readYourWrites(deps, position);
  const overrides: Record<string, JsonValue> = {};
  if (edits.modifiedPayload !== undefined) overrides.modifiedPayload = true;
  if (edits.transformOverride !== undefined) overrides.transformOverride = true;
  if (edits.destinationOverride !== undefined) overrides.destinationOverride = destinationIds[0] ?? null;
  if (headersOverride !== undefined) overrides.headersOverride = Object.keys(headersOverride);
  const delivery = wait ? await requireInboundDelivery(deps, newDeliveryId) : original;
  return { message: `Replay of ${deliveryId} queued as ${newDeliveryId}`, newDeliveryId, delivery, overrides };
};

export const hasEdits = (body: Record<string, unknown> | undefined): boolean =>
  body !== undefined && (['modifiedPayload', 'destinationOverride', 'transformOverride', 'headersOverride'].some((k) => body[k] !== undefined) || body.persistTransform === true);

// ---------------------------------------------------------------------------------------------------------------
// Delivery clusters: failed deliveries grouped by (route, destination, last status, error class).

/** What sort of failure, from the last attempt: the status class, or the network error's kind. */
export const errorClass = (status: number | null, error: string | null): string => {
  if (status !== null) return status >= 500 ? '5xx' : status === 429 ? '429' : status >= 400 ? '4xx' : status >= 300 ? '3xx' : 'ok';
  const e = (error ?? '').toLowerCase();
  if (e.includes('timeout') || e.includes('timed out')) return 'timeout';
  if (e.includes('econnrefused') || e.includes('refused')) return 'connection_refused';
  if (e.includes('enotfound') || e.includes('dns') || e.includes('getaddrinfo')) return 'dns';
  if (e.includes('private') || e.includes('blocked')) return 'blocked';
  if (e.includes('inactive') || e.includes('does not exist')) return 'destination_unavailable';
  if (e.includes('purged')) return 'payload_purged';
  return 'network';
};

/** Failed or exhausted, the states a cluster gathers. */
const FAILED = ['failed', 'exhausted'] as const;
const MAX_SCAN = 5_000;

export type DeliveryCluster = {
  fingerprint: string; count: number; affectedEventCount: number; firstSeen: string; lastSeen: string; sampleDeliveryId: string;
  routeId: string; routeName: string | null; destinationId: string; destinationName: string | null; responseStatus: number | null;
  errorClass: string; errorMessageExcerpt: string | null; rcaCategory: string; recentRatePerMin: number; baselineRatePerMin: number;
};

/** The documented key: sha256 of route id, destination id, last status (or "none") and error class, hex, first 16. */
export const clusterFingerprint = (d: Pick<InboundDeliveryDoc, 'routeId' | 'destinationId' | 'lastResponseStatus' | 'lastError'>): string =>
  createHash('sha256').update(`${d.routeId}\n${d.destinationId}\n${d.lastResponseStatus ?? 'none'}\n${errorClass(d.lastResponseStatus, d.lastError)}`).digest('hex').slice(0, 16);

const failedSince = async (deps: ApiDeps, sinceIso: string): Promise<InboundDeliveryDoc[]> => {
  const out: InboundDeliveryDoc[] = [];
  for (const status of FAILED) {
    let cursor: string | undefined;
    do {
      const page = await deps.reads.collection<InboundDeliveryDoc>(collections.inboundDeliveries).find({ where: { status }, orderBy: { key: 'createdAt', direction: 'desc' }, limit: 200, cursor });
      let older = false;
      for (const d of page.items) {
        if ((d.lastAttemptAt ?? d.createdAt) >= sinceIso) out.push(d);
        if (d.createdAt < sinceIso) older = true;
      }
      // Deliveries come newest first by creation: once one is older than the window, the rest are too (their last attempt may be newer: read one more page at most).
      cursor = older ? undefined : (page.nextCursor ?? undefined);
    } while (cursor && out.length < MAX_SCAN);
  }
  return out;
};

export const listDeliveryClusters = async (deps: ApiDeps, sinceHours = 24, limit = 50): Promise<{ since: string; sinceHours: number; clusters: DeliveryCluster[] }> => {
  if (!Number.isInteger(sinceHours) || sinceHours < 1 || sinceHours > 720) throw validationError('sinceHours', 'range', 'sinceHours must be a whole number from 1 to 720.');
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw validationError('limit', 'range', 'limit must be a whole number from 1 to 200.');
  const now = deps.now().getTime();
  const since = new Date(now - sinceHours * 3_600_000).toISOString();
  const recentFrom = new Date(now - 15 * 60_000).toISOString();
  const groups = new Map<string, InboundDeliveryDoc[]>();
  for (const d of await failedSince(deps, since)) {
    const key = clusterFingerprint(d);
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const names = async (def: typeof collections.routes | typeof collections.destinations, id: string): Promise<string | null> =>
    (await deps.reads.collection<RouteDoc | DestinationDoc>(def).get(id))?.name ?? null;
  const clusters: DeliveryCluster[] = [];
  for (const [fingerprint, members] of groups) {
    const seen = members.map((d) => d.lastAttemptAt ?? d.createdAt).sort();
    const sample = members.reduce((a, b) => ((b.lastAttemptAt ?? b.createdAt) > (a.lastAttemptAt ?? a.createdAt) ? b : a));
    const recent = seen.filter((t) => t >= recentFrom).length;
    clusters.push({
      fingerprint, count: members.length, affectedEventCount: new Set(members.map((d) => d.inboundEventId)).size, firstSeen: seen[0] ?? since, lastSeen: seen[seen.length - 1] ?? since,
      sampleDeliveryId: sample.id, routeId: sample.routeId, routeName: await names(collections.routes, sample.routeId), destinationId: sample.destinationId,
      destinationName: await names(collections.destinations, sample.destinationId), responseStatus: sample.lastResponseStatus, errorClass: errorClass(sample.lastResponseStatus, sample.lastError),
      errorMessageExcerpt: sample.lastError === null ? null : sample.lastError.slice(0, 200), rcaCategory: errorClass(sample.lastResponseStatus, sample.lastError),
      recentRatePerMin: recent / 15, baselineRatePerMin: (members.length - recent) / Math.max(1, sinceHours * 60 - 15),
    });
  }
  clusters.sort((a, b) => b.count - a.count || b.lastSeen.localeCompare(a.lastSeen));
  return { since, sinceHours, clusters: clusters.slice(0, limit) };
};

/** Every failed delivery of the cluster (in the last 30 days) again: a retry, or a replay with the edits when there are some. */
export const replayCluster = async (deps: ApiDeps, fingerprint: string, edits: ReplayEdits, limit = 500): Promise<{ message: string; queued: number; skipped: number; fingerprint: string; overrides: Record<string, JsonValue>; deliveryIds: string[] }> => {
  if (!Number.isInteger(limit) || limit < 1 || limit > 2000) throw validationError('limit', 'range', 'limit must be a whole number from 1 to 2000.');
  const members = (await failedSince(deps, new Date(deps.now().getTime() - 720 * 3_600_000).toISOString())).filter((d) => clusterFingerprint(d) === fingerprint);
  if (members.length === 0) throw notFound('delivery cluster', fingerprint);
  const edited = hasEdits(edits as Record<string, unknown>);
  let queued = 0;
  let skipped = 0;
  const deliveryIds: string[] = [];
  let overrides: Record<string, JsonValue> = {};
  for (const d of members.slice(0, limit)) {
    try {
      if (edited) {
        const r = await replayWithEdit(deps, d.id, edits, false);
        overrides = r.overrides;
        deliveryIds.push(r.newDeliveryId);
      } else {
        await retryInboundDelivery(deps, d.id);
        deliveryIds.push(d.id);
      }
      queued++;
    } catch (error) {
      // Bad edits are the caller's to fix; a delivery that ended or went meanwhile is skipped.
      if (error instanceof DomainError && error.kind === 'validation') throw error;
      skipped++;
    }
  }
  skipped += Math.max(0, members.length - limit);
  return { message: `Queued ${queued} deliveries of cluster ${fingerprint}`, queued, skipped, fingerprint, overrides, deliveryIds };
};
