import { eventTypeDecider } from '../../domain/eventType/decide';
import type { CreateEventType, UpdateEventType } from '../../domain/eventType/decide';
import { notFound } from '../../domain/errors';
import { streams } from '../../domain/streams';
import { handleCommand } from '../../store/commandHandler';
import { collections } from '../../projections/readModels';
import type { EventTypeDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';
import { compilePayloadSchema } from '../validation';
import { findAfterOwnWrites, metadataOf, readBack, readYourWrites } from './common';

export type EventTypeIn = CreateEventType['data'];
export type EventTypePatch = Omit<UpdateEventType['data'], 'name'>;

export const requireEventType = async (deps: ApiDeps, name: string): Promise<EventTypeDoc> => {
  const doc = await findAfterOwnWrites(deps, () => deps.reads.collection<EventTypeDoc>(collections.eventTypes).get(name));
  if (!doc) throw notFound('event type', name);
  return doc;
};

const run = async (deps: ApiDeps, name: string, command: Parameters<typeof eventTypeDecider.decide>[0]): Promise<EventTypeDoc> => {
  const { position } = await handleCommand(deps.events, streams.eventType(name), eventTypeDecider, command);
  await readYourWrites(deps, position);
  return readBack(() => requireEventType(deps, name));
};

export const createEventType = async (deps: ApiDeps, input: EventTypeIn): Promise<EventTypeDoc> => {
  if (input.schema) compilePayloadSchema(input.schema);
  return run(deps, input.name, { type: 'CreateEventType', data: input, metadata: metadataOf(deps) });
};

export const updateEventType = async (deps: ApiDeps, name: string, patch: EventTypePatch): Promise<EventTypeDoc> => {
  if (patch.schema) compilePayloadSchema(patch.schema);
  return run(deps, name, { type: 'UpdateEventType', data: { ...patch, name }, metadata: metadataOf(deps) });
};

export const archiveEventType = (deps: ApiDeps, name: string): Promise<EventTypeDoc> =>
  run(deps, name, { type: 'ArchiveEventType', data: { name }, metadata: metadataOf(deps) });

export const unarchiveEventType = (deps: ApiDeps, name: string): Promise<EventTypeDoc> =>
  run(deps, name, { type: 'UnarchiveEventType', data: { name }, metadata: metadataOf(deps) });
