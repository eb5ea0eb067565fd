import { destinationDecider } from '../../domain/destination/decide';
import type { DestinationInput } from '../../domain/destination/decide';
import type { AuthType } from '../../domain/destination/destination';
import { requireAuthConfig, requireAuthType } from '../../domain/destination/rules';
import { conflict, notFound, validationError } from '../../domain/errors';
import { eventMetadata } from '../../domain/events';
import { newId } from '../../domain/ids';
import type { JsonValue } from '../../domain/json';
import { filterDecider, schemaDecider, transformDecider } from '../../domain/pipeline/pipeline';
import type { FilterInput, SchemaInput, TransformInput, TransformKind } from '../../domain/pipeline/pipeline';
import { requireTransformType } from '../../domain/pipeline/pipeline';
import { routeDecider } from '../../domain/route/decide';
import type { RouteInput } from '../../domain/route/decide';
import { generateSigningSecret, sealSecret } from '../../domain/secretBox';
import type { SealedSecret } from '../../domain/secretBox';
import { sourceDecider } from '../../domain/source/decide';
import type { SourceInput } from '../../domain/source/decide';
import { requireSlug, slugFromName } from '../../domain/source/rules';
import type { SourceSlugClaimed } from '../../domain/source/source';
import { streams } from '../../domain/streams';
import { compileSchema } from '../../inbound/router';
import { DEFAULT_TRANSFORM_LIMITS, TransformError, compileTransform, runTransform } from '../../inbound/transforms';
import { collections } from '../../projections/readModels';
import type { DestinationDoc, FilterDoc, RouteDoc, SchemaDoc, SourceDoc, TransformDoc } from '../../projections/readModels';
import type { CollectionDef, Document } from '../../store/readStore';
import { handleCommand } from '../../store/commandHandler';
import { WrongExpectedVersionError } from '../../store/eventStore';
import type { ApiDeps } from '../deps';
import { assertPublicUrl } from '../ssrf';
import { findAfterOwnWrites, metadataOf, readBack, readYourWrites } from './common';

// The inbound half's configuration commands: sources, destinations, routes, filters, transforms, schemas. The /v1
// routers and the cloud-compatible /api both call these (docs/inbound.md); each appends to its aggregate's stream,
// waits until the read models hold it (read-your-writes), and answers the read model's document.

const find = async <T extends Document>(deps: ApiDeps, def: CollectionDef, id: string): Promise<T | null> => deps.reads.collection<T>(def).get(id);

const requireDoc = async <T extends Document>(deps: ApiDeps, def: CollectionDef, what: string, id: string): Promise<T> => {
  // A miss reads again once this process's own appends are projected (as requireApplication does).
  const doc = await findAfterOwnWrites(deps, () => find<T>(deps, def, id));
  if (!doc) throw notFound(what, id);
  return doc;
};

/** The ingest URL a source answers as `ingestUrl`: POST /ingest/{orgSlug}/{sourceSlug} (the official clients build it so). */
export const ingestUrlOf = (deps: ApiDeps, slug: string): string => `${deps.config.publicUrl.replace(/\/$/, '')}/ingest/${orgSlugOf(deps)}/${slug}`;

export const orgSlugOf = (deps: ApiDeps): string => deps.config.organization?.slug ?? 'default';

// ---- sources ----

export type SourceIn = SourceInput & { slug?: string; isActive?: boolean; signingSecret?: string | null };

/** A verifying source without a secret given gets one (answered once, at creation); sealed before it enters the log. */
const sealedSourceSecret = (deps: ApiDeps, input: SourceIn): { sealed: SealedSecret | null; clear: string | null } => {
  const secret = input.signingSecret ?? (input.verifySignature === true && input.provider !== 'sendgrid' ? generateSigningSecret() : null);
  if (secret !== null && (secret.length < 8 || secret.length > 1024)) throw validationError('signingSecret', 'length', 'signingSecret must be 8-1024 characters.');
  return { sealed: secret === null ? null : sealSecret(deps.masterKey, secret), clear: secret };
};

export const requireSource = (deps: ApiDeps, id: string): Promise<SourceDoc> => requireDoc<SourceDoc>(deps, collections.sources, 'source', id);

/** The source of an ingest URL's slug, or null. */
export const findSourceBySlug = async (deps: ApiDeps, slug: string): Promise<SourceDoc | null> =>
  (await deps.reads.collection<SourceDoc>(collections.sources).find({ where: { slug }, limit: 1 })).items[0] ?? null;

/** 1. decide on an empty state → 2. claim the slug with "no stream" → 3. append SourceCreated (as application uids). */
export const createSource = async (deps: ApiDeps, input: SourceIn): Promise<{ source: SourceDoc; signingSecret: string | null }> => {
  const { signingSecret: _clear, slug: givenSlug, isActive, ...settings } = input;
  const { sealed, clear } = sealedSourceSecret(deps, input);
  const sourceId = newId('src');
  const slug = givenSlug === undefined ? slugFromName(settings.name ?? '') : requireSlug('slug', givenSlug);
  const command = { type: 'CreateSource' as const, data: { ...settings, sourceId, slug, signingSecret: sealed, ...(isActive === undefined ? {} : { isActive }) }, metadata: metadataOf(deps) };
  sourceDecider.decide(command, sourceDecider.initialState());
  const claim: SourceSlugClaimed = { type: 'SourceSlugClaimed', data: { slug, sourceId, claimedAt: command.metadata.now } };
  try {
    await deps.events.appendToStream(streams.sourceSlug(slug), [{ ...claim, metadata: eventMetadata(claim.type) }], { expectedRevision: 'no_stream' });
  } catch (error) {
    if (error instanceof WrongExpectedVersionError) throw conflict('slug_taken', `The slug ${slug} is taken by another source (slugs are never reused: the ingest URL names it).`);
    throw error;
  }
  const { position } = await handleCommand(deps.events, streams.source(sourceId), sourceDecider, command, { expectedRevision: 'no_stream' });
  await readYourWrites(deps, position);
  return { source: await requireSource(deps, sourceId), signingSecret: clear };
};

export const updateSource = async (deps: ApiDeps, id: string, input: Partial<SourceIn>): Promise<SourceDoc> => {
  await requireSource(deps, id);
  const { signingSecret, slug, ...rest } = input;
  if (slug !== undefined) throw validationError('slug', 'immutable', 'slug cannot change: it is the last segment of the ingest URL.');
  const metadata = metadataOf(deps);
  if (signingSecret !== undefined && signingSecret !== null) {
    const { sealed } = sealedSourceSecret(deps, { name: '', signingSecret });
    const r = await handleCommand(deps.events, streams.source(id), sourceDecider, { type: 'RotateSourceSecret', data: { sourceId: id, signingSecret: sealed! }, metadata });
    await readYourWrites(deps, r.position);
  }
  const { position } = await handleCommand(deps.events, streams.source(id), sourceDecider, { type: 'UpdateSource', data: { ...rest, sourceId: id }, metadata });
  await readYourWrites(deps, position);
  return readBack(() => requireSource(deps, id));
};

/** A new signing secret, answered once. */
export const rotateSourceSecret = async (deps: ApiDeps, id: string, given: string | null): Promise<{ source: SourceDoc; signingSecret: string }> => {
  await requireSource(deps, id);
  const secret = given ?? generateSigningSecret();
  const { sealed } = sealedSourceSecret(deps, { name: '', signingSecret: secret });
  const { position } = await handleCommand(deps.events, streams.source(id), sourceDecider, { type: 'RotateSourceSecret', data: { sourceId: id, signingSecret: sealed! }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
  return { source: await requireSource(deps, id), signingSecret: secret };
};

/** A source with routes cannot be deleted (they would point nowhere): delete or move the routes first. */
export const deleteSource = async (deps: ApiDeps, id: string): Promise<void> => {
  await requireSource(deps, id);
  const routes = await deps.reads.collection<RouteDoc>(collections.routes).find({ where: { sourceId: id }, limit: 1 });
  if (routes.items.length > 0) throw conflict('source_has_routes', `Source ${id} has routes (${routes.items[0]!.id}, …): delete them first.`);
  const { position } = await handleCommand(deps.events, streams.source(id), sourceDecider, { type: 'DeleteSource', data: { sourceId: id }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
};

// ---- destinations ----

export type DestinationIn = Omit<DestinationInput, 'auth'> & { slug?: string; isActive?: boolean; authConfig?: Record<string, unknown> | null };

export const requireDestination = (deps: ApiDeps, id: string): Promise<DestinationDoc> => requireDoc<DestinationDoc>(deps, collections.destinations, 'destination', id);

/** Checks the credentials of the auth type and seals them with the master key: they enter the log sealed. */
const sealedAuth = (deps: ApiDeps, authType: AuthType, config: Record<string, unknown> | null | undefined): SealedSecret | null => {
  if (authType === 'none') return null;
  const creds = requireAuthConfig('authConfig', authType, config ?? {});
  return creds === null ? null : sealSecret(deps.masterKey, JSON.stringify(creds));
};

/** The SSRF guard of endpoints: a URL into the server's own networks is refused (unless private networks are allowed). */
const guardUrl = async (deps: ApiDeps, url: string | undefined): Promise<void> => {
  if (url === undefined || deps.config.allowPrivateNetworks) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return; // the decider names the field and the rule
  }
  await assertPublicUrl('url', parsed.toString(), deps.lookup);
};

export const createDestination = async (deps: ApiDeps, input: DestinationIn): Promise<DestinationDoc> => {
  const { authConfig, ...rest } = input;
  const authType = rest.authType === undefined ? 'none' : requireAuthType('authType', rest.authType);
  const destinationId = newId('dst');
  const command = { type: 'CreateDestination' as const, data: { ...rest, destinationId, auth: sealedAuth(deps, authType, authConfig) }, metadata: metadataOf(deps) };
  destinationDecider.decide(command, destinationDecider.initialState()); // shapes and rules first, then the network
  await guardUrl(deps, rest.url);
  const { position } = await handleCommand(deps.events, streams.destination(destinationId), destinationDecider, command, { expectedRevision: 'no_stream' });
  await readYourWrites(deps, position);
  return readBack(() => requireDestination(deps, destinationId));
};

export const updateDestination = async (deps: ApiDeps, id: string, input: Partial<DestinationIn>): Promise<DestinationDoc> => {
  const current = await requireDestination(deps, id);
  const { authConfig, ...rest } = input;
  const authType = rest.authType === undefined ? current.authType : requireAuthType('authType', rest.authType);
  const auth = authConfig === undefined ? undefined : sealedAuth(deps, authType, authConfig);
  await guardUrl(deps, rest.url);
  const { position } = await handleCommand(deps.events, streams.destination(id), destinationDecider, {
    type: 'UpdateDestination',
    data: { ...rest, destinationId: id, ...(auth === undefined ? {} : { auth }) },
    metadata: metadataOf(deps),
  });
  await readYourWrites(deps, position);
  return readBack(() => requireDestination(deps, id));
};

export const deleteDestination = async (deps: ApiDeps, id: string): Promise<void> => {
  await requireDestination(deps, id);
  // Ordered by creation: the (destinationId, createdAt) index serves it (no index serves destinationId alone).
  const routes = await deps.reads.collection<RouteDoc>(collections.routes).find({ where: { destinationId: id }, orderBy: { key: 'createdAt', direction: 'desc' }, limit: 1 });
  if (routes.items.length > 0) throw conflict('destination_has_routes', `Destination ${id} is the destination of route ${routes.items[0]!.id}: delete or change the route first.`);
  const { position } = await handleCommand(deps.events, streams.destination(id), destinationDecider, { type: 'DeleteDestination', data: { destinationId: id }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
};

// ---- routes ----

export type RouteIn = RouteInput & { isActive?: boolean };

export const requireRoute = (deps: ApiDeps, id: string): Promise<RouteDoc> => requireDoc<RouteDoc>(deps, collections.routes, 'route', id);

/** The ids a route names must name live aggregates (other streams than the route's: checked here, not by its decider). */
const requireReferences = async (deps: ApiDeps, input: Partial<RouteInput>): Promise<void> => {
  const exists = async (def: CollectionDef, field: string, what: string, id: string | null | undefined): Promise<void> => {
    if (id === undefined || id === null) return;
    if (!(await find(deps, def, id))) throw validationError(field, 'exists', `${field} names no ${what} (${id}).`);
  };
  await exists(collections.sources, 'sourceId', 'source', input.sourceId);
  await exists(collections.destinations, 'destinationId', 'destination', input.destinationId);
  await exists(collections.filters, 'filterId', 'filter', input.filterId);
  await exists(collections.transforms, 'transformId', 'transform', input.transformId);
  await exists(collections.schemas, 'schemaId', 'schema', input.schemaId);
  for (const [i, id] of (input.failoverDestinationIds ?? []).entries()) await exists(collections.destinations, `failoverDestinationIds[${i}]`, 'destination', id);
};

export const createRoute = async (deps: ApiDeps, input: RouteIn): Promise<RouteDoc> => {
  const routeId = newId('rte');
  const command = { type: 'CreateRoute' as const, data: { ...input, routeId }, metadata: metadataOf(deps) };
  routeDecider.decide(command, routeDecider.initialState());
  await requireReferences(deps, input);
  const { position } = await handleCommand(deps.events, streams.route(routeId), routeDecider, command, { expectedRevision: 'no_stream' });
  await readYourWrites(deps, position);
  return readBack(() => requireRoute(deps, routeId));
};

export const updateRoute = async (deps: ApiDeps, id: string, input: Partial<RouteIn>): Promise<RouteDoc> => {
  await requireRoute(deps, id);
  await requireReferences(deps, input);
  const { position } = await handleCommand(deps.events, streams.route(id), routeDecider, { type: 'UpdateRoute', data: { ...input, routeId: id }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
  return readBack(() => requireRoute(deps, id));
};

export const deleteRoute = async (deps: ApiDeps, id: string): Promise<void> => {
  await requireRoute(deps, id);
  const { position } = await handleCommand(deps.events, streams.route(id), routeDecider, { type: 'DeleteRoute', data: { routeId: id }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
};

// ---- filters, transforms, schemas ----

export const requireFilter = (deps: ApiDeps, id: string): Promise<FilterDoc> => requireDoc<FilterDoc>(deps, collections.filters, 'filter', id);
export const requireTransform = (deps: ApiDeps, id: string): Promise<TransformDoc> => requireDoc<TransformDoc>(deps, collections.transforms, 'transform', id);
export const requireSchema = (deps: ApiDeps, id: string): Promise<SchemaDoc> => requireDoc<SchemaDoc>(deps, collections.schemas, 'schema', id);

/** A part still named by a route cannot be deleted (the route would skip every event). */
const requireUnused = async (deps: ApiDeps, key: 'filterId' | 'transformId' | 'schemaId', id: string): Promise<void> => {
  const routes = deps.reads.collection<RouteDoc>(collections.routes);
  let cursor: string | undefined;
  for (;;) {
    const page = await routes.find({ orderBy: { key: 'createdAt', direction: 'asc' }, limit: 200, ...(cursor ? { cursor } : {}) });
    const user = page.items.find((r) => r[key] === id);
    if (user) throw conflict('in_use', `${id} is used by route ${user.id}: change the route first.`);
    if (page.nextCursor === null) return;
    cursor = page.nextCursor;
  }
};

export const createFilter = async (deps: ApiDeps, input: FilterInput): Promise<FilterDoc> => {
  const id = newId('flt');
  const { position } = await handleCommand(deps.events, streams.filter(id), filterDecider, { type: 'CreateFilter', data: { ...input, id }, metadata: metadataOf(deps) }, { expectedRevision: 'no_stream' });
  await readYourWrites(deps, position);
  return readBack(() => requireFilter(deps, id));
};

export const updateFilter = async (deps: ApiDeps, id: string, input: FilterInput): Promise<FilterDoc> => {
  await requireFilter(deps, id);
  const { position } = await handleCommand(deps.events, streams.filter(id), filterDecider, { type: 'UpdateFilter', data: { ...input, id }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
  return readBack(() => requireFilter(deps, id));
};

export const deleteFilter = async (deps: ApiDeps, id: string): Promise<void> => {
  await requireFilter(deps, id);
  await requireUnused(deps, 'filterId', id);
  const { position } = await handleCommand(deps.events, streams.filter(id), filterDecider, { type: 'DeleteFilter', data: { id }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
};

/** The engine must compile the code: a syntax error is a 422 naming `code` with the engine's reason. */
const requireCompiles = async (type: TransformKind, code: string): Promise<void> => {
  try {
    await compileTransform(type, code);
  } catch (error) {
    if (error instanceof TransformError) throw validationError('code', error.code, `code: ${error.message}`);
    throw error;
  }
};

export const createTransform = async (deps: ApiDeps, input: TransformInput): Promise<TransformDoc> => {
  const id = newId('trf');
  const command = { type: 'CreateTransform' as const, data: { ...input, id }, metadata: metadataOf(deps) };
  transformDecider.decide(command, transformDecider.initialState());
  await requireCompiles(requireTransformType('transformType', input.transformType ?? 'jsonata'), input.code ?? '');
  const { position } = await handleCommand(deps.events, streams.transform(id), transformDecider, command, { expectedRevision: 'no_stream' });
  await readYourWrites(deps, position);
  return readBack(() => requireTransform(deps, id));
};

export const updateTransform = async (deps: ApiDeps, id: string, input: TransformInput): Promise<TransformDoc> => {
  const current = await requireTransform(deps, id);
  if (input.code !== undefined || input.transformType !== undefined) {
    await requireCompiles(input.transformType === undefined ? current.transformType : requireTransformType('transformType', input.transformType), input.code ?? current.code);
  }
  const { position } = await handleCommand(deps.events, streams.transform(id), transformDecider, { type: 'UpdateTransform', data: { ...input, id }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
  return readBack(() => requireTransform(deps, id));
};

export const deleteTransform = async (deps: ApiDeps, id: string): Promise<void> => {
  await requireTransform(deps, id);
  await requireUnused(deps, 'transformId', id);
  const { position } = await handleCommand(deps.events, streams.transform(id), transformDecider, { type: 'DeleteTransform', data: { id }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
};

export type TransformTestResult = { success: true; output: JsonValue; executionTimeMs: number } | { success: false; error: { code: string; message: string } };

/** Runs code (a saved transform's, or given) on a payload under the limits; appends nothing. */
export const testTransform = async (type: string, code: string, payload: JsonValue, now: Date): Promise<TransformTestResult> => {
  const kind = requireTransformType('transformType', type);
  try {
    const compiled = await compileTransform(kind, code);
    const run = await runTransform(compiled, payload, { now, limits: DEFAULT_TRANSFORM_LIMITS });
    return { success: true, output: run.output, executionTimeMs: Math.round(run.executionTimeMs * 100) / 100 };
  } catch (error) {
    if (error instanceof TransformError) return { success: false, error: { code: error.code, message: error.message } };
    throw error;
  }
};

const requireAjvSchema = (jsonSchema: unknown): void => {
  try {
    compileSchema(jsonSchema as JsonValue);
  } catch (error) {
    throw validationError('jsonSchema', 'schema', `jsonSchema is not a JSON Schema ajv can compile: ${error instanceof Error ? error.message : String(error)}`);
  }
};

export const createSchema = async (deps: ApiDeps, input: SchemaInput): Promise<SchemaDoc> => {
  const id = newId('sch');
  const command = { type: 'CreateSchema' as const, data: { ...input, id }, metadata: metadataOf(deps) };
  schemaDecider.decide(command, schemaDecider.initialState());
  requireAjvSchema(input.jsonSchema);
  const { position } = await handleCommand(deps.events, streams.schema(id), schemaDecider, command, { expectedRevision: 'no_stream' });
  await readYourWrites(deps, position);
  return readBack(() => requireSchema(deps, id));
};

export const updateSchema = async (deps: ApiDeps, id: string, input: SchemaInput): Promise<SchemaDoc> => {
  await requireSchema(deps, id);
  if (input.jsonSchema !== undefined) requireAjvSchema(input.jsonSchema);
  const { position } = await handleCommand(deps.events, streams.schema(id), schemaDecider, { type: 'UpdateSchema', data: { ...input, id }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
  return readBack(() => requireSchema(deps, id));
};

export const deleteSchema = async (deps: ApiDeps, id: string): Promise<void> => {
  await requireSchema(deps, id);
  await requireUnused(deps, 'schemaId', id);
  const { position } = await handleCommand(deps.events, streams.schema(id), schemaDecider, { type: 'DeleteSchema', data: { id }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
};

export type SchemaValidation = { valid: boolean; errors: { path: string; message: string }[] };

/** Validates a payload against a saved schema with ajv; appends nothing. */
export const validateAgainstSchema = async (deps: ApiDeps, id: string, payload: JsonValue): Promise<SchemaValidation> => {
  const schema = await requireSchema(deps, id);
  const validate = compileSchema(schema.jsonSchema);
  if (validate(payload)) return { valid: true, errors: [] };
  return { valid: false, errors: (validate.errors ?? []).map((e) => ({ path: e.instancePath === '' ? '/' : e.instancePath, message: e.message ?? 'is invalid' })) };
};
