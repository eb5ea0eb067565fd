import { applicationDecider, decideApplication } from '../../domain/application/decide';
import type { CreateApplication } from '../../domain/application/decide';
import { initialApplicationState } from '../../domain/application/application';
import type { ApplicationUidClaimed } from '../../domain/application/application';
import { endpointDecider } from '../../domain/endpoint/decide';
import { conflict } from '../../domain/errors';
import { eventMetadata } from '../../domain/events';
import { newId } from '../../domain/ids';
import type { JsonObject } from '../../domain/json';
import { streams } from '../../domain/streams';
import { aggregateStream, handleCommand } from '../../store/commandHandler';
import { StreamNotFoundError, WrongExpectedVersionError } from '../../store/eventStore';
import { collections } from '../../projections/readModels';
import type { ApplicationDoc, EndpointDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';
import { metadataOf, readBack, readYourWrites, requireApplication } from './common';

export type ApplicationIn = { name: string; uid?: string | null; metadata?: JsonObject };

/** Who holds a uid, read from its claim stream (the event store, not a read model: it decides uniqueness). */
const uidOwner = async (deps: ApiDeps, uid: string): Promise<string | null> => {
  try {
    for await (const e of deps.events.readStream(streams.applicationUid(uid), { maxCount: 1 })) {
      return (e.data as ApplicationUidClaimed['data']).applicationId;
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return null;
};

const appendCreated = async (deps: ApiDeps, command: CreateApplication): Promise<ApplicationDoc> => {
  const { position } = await handleCommand(deps.events, streams.application(command.data.applicationId), applicationDecider, command);
  await readYourWrites(deps, position);
  return readBack(() => requireApplication(deps, command.data.applicationId));
};

/**
 * 1. validate (decide on an empty state) → 2. claim the uid with "no stream" → 3. append ApplicationCreated.
 * A crash between 2 and 3 leaves a claim without an application; the next create or get-or-create of that uid completes it.
 */
export const createApplication = async (deps: ApiDeps, input: ApplicationIn): Promise<{ app: ApplicationDoc; created: boolean }> => {
  const metadata = metadataOf(deps);
  const uid = input.uid ?? null;
  const command: CreateApplication = {
    type: 'CreateApplication',
    data: { applicationId: newId('app'), name: input.name, uid, metadata: input.metadata ?? null },
    metadata,
  };
  decideApplication(command, initialApplicationState());
  if (uid === null) return { app: await appendCreated(deps, command), created: true };

  try {
    const claim: ApplicationUidClaimed = { type: 'ApplicationUidClaimed', data: { uid, applicationId: command.data.applicationId, claimedAt: metadata.now } };
    await deps.events.appendToStream(streams.applicationUid(uid), [{ ...claim, metadata: eventMetadata(claim.type) }], { expectedRevision: 'no_stream' });
    return { app: await appendCreated(deps, command), created: true };
  } catch (error) {
    if (!(error instanceof WrongExpectedVersionError)) throw error;
  }
  const owner = await uidOwner(deps, uid);
  if (owner === null) throw conflict('uid_taken', `uid ${uid} is taken.`);
  const existing = await aggregateStream(deps.events, streams.application(owner), applicationDecider.evolve, applicationDecider.initialState);
  if (existing.state.status === 'empty') {
    // The claim's creator died before appending the application: finish its work.
    return { app: await appendCreated(deps, { ...command, data: { ...command.data, applicationId: owner } }), created: true };
  }
  throw conflict('uid_taken', `uid ${uid} already belongs to application ${owner}.`);
};

/** PUT /applications/uid/{uid}: the application of that uid, created if there is none. */
export const getOrCreateApplication = async (
  deps: ApiDeps,
  uid: string,
  input: { name: string; metadata?: JsonObject },
): Promise<{ app: ApplicationDoc; created: boolean }> => {
  const owner = await uidOwner(deps, uid);
  if (owner !== null) {
    const existing = await aggregateStream(deps.events, streams.application(owner), applicationDecider.evolve, applicationDecider.initialState);
    if (existing.state.status === 'active') {
      const doc = await deps.reads.collection<ApplicationDoc>(collections.applications).get(owner);
      if (doc) return { app: doc, created: false };
    }
    if (existing.state.status === 'deleted') throw conflict('uid_taken', `uid ${uid} belonged to application ${owner}, which was deleted.`);
  }
  try {
    return await createApplication(deps, { name: input.name, uid, metadata: input.metadata });
  } catch (error) {
    // Lost a race for the uid to a concurrent get-or-create: the winner's application is the answer.
    const winner = await uidOwner(deps, uid);
    if (winner !== null && owner === null) {
      const doc = await deps.reads.collection<ApplicationDoc>(collections.applications).get(winner);
      if (doc) return { app: doc, created: false };
    }
    throw error;
  }
};

export const updateApplication = async (deps: ApiDeps, idOrUid: string, patch: { name?: string; metadata?: JsonObject }): Promise<ApplicationDoc> => {
  const app = await requireApplication(deps, idOrUid);
  const { position } = await handleCommand(deps.events, streams.application(app.id), applicationDecider, {
    type: 'UpdateApplication',
    data: { applicationId: app.id, ...patch },
    metadata: metadataOf(deps),
  });
  await readYourWrites(deps, position);
  return readBack(() => requireApplication(deps, app.id));
};

/** Disabling stops deliveries of the application's new messages (they fan out to no endpoint) until it is enabled. */
export const setApplicationDisabled = async (deps: ApiDeps, idOrUid: string, disabled: boolean, reason: string | null): Promise<ApplicationDoc> => {
  const app = await requireApplication(deps, idOrUid);
  const { position } = await handleCommand(
    deps.events,
    streams.application(app.id),
    applicationDecider,
    disabled
      ? { type: 'DisableApplication', data: { applicationId: app.id, reason }, metadata: metadataOf(deps) }
      : { type: 'EnableApplication', data: { applicationId: app.id }, metadata: metadataOf(deps) },
  );
  await readYourWrites(deps, position);
  return readBack(() => requireApplication(deps, app.id));
};

/** Deleting an application deletes its endpoints too: they stop receiving, pending retries included. */
export const deleteApplication = async (deps: ApiDeps, idOrUid: string): Promise<void> => {
  const app = await requireApplication(deps, idOrUid);
  const endpoints = deps.reads.collection<EndpointDoc>(collections.endpoints);
  for (;;) {
    const page = await endpoints.find({ where: { applicationId: app.id }, limit: 100 });
    if (page.items.length === 0) break;
    for (const ep of page.items) {
      const deleted = await handleCommand(deps.events, streams.endpoint(ep.id), endpointDecider, {
        type: 'DeleteEndpoint',
        data: { endpointId: ep.id },
        metadata: metadataOf(deps),
      });
      await readYourWrites(deps, deleted.position);
    }
  }
  const { position } = await handleCommand(deps.events, streams.application(app.id), applicationDecider, {
    type: 'DeleteApplication',
    data: { applicationId: app.id },
    metadata: metadataOf(deps),
  });
  await readYourWrites(deps, position);
};
