import { endpointDecider } from '../../domain/endpoint/decide';
import type { EndpointCommand, EndpointInput } from '../../domain/endpoint/decide';
import { notFound, validationError } from '../../domain/errors';
import { newId } from '../../domain/ids';
import { generateSigningSecret, sealSecret } from '../../domain/secretBox';
import { streams } from '../../domain/streams';
import { handleCommand } from '../../store/commandHandler';
import { collections } from '../../projections/readModels';
import type { EndpointDoc, EventTypeDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';
import { assertPublicUrl } from '../ssrf';
import { findAfterOwnWrites, metadataOf, readBack, readYourWrites, requireApplication } from './common';

export type EndpointIn = EndpointInput & { disabled?: boolean };
export type EndpointPatch = Partial<EndpointIn>;

export const requireEndpoint = async (deps: ApiDeps, applicationId: string, endpointId: string): Promise<EndpointDoc> => {
  const doc = await findAfterOwnWrites(deps, () => deps.reads.collection<EndpointDoc>(collections.endpoints).get(endpointId));
  // Another application's endpoint is "not found" here: ids never reveal what belongs to someone else.
  if (!doc || doc.applicationId !== applicationId) throw notFound('endpoint', endpointId);
  return doc;
};

const checkUrl = async (deps: ApiDeps, url: string | undefined): Promise<void> => {
  if (url === undefined || deps.config.allowPrivateNetworks) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return; // the decider names the field and the rule
  }
  await assertPublicUrl('url', parsed.toString(), deps.lookup);
};

/** A filter may only name event types that exist and are not archived. */
export const checkEventTypes = async (deps: ApiDeps, eventTypes: readonly string[] | undefined): Promise<void> => {
  if (!eventTypes) return;
  const types = deps.reads.collection<EventTypeDoc>(collections.eventTypes);
  for (const [i, name] of eventTypes.entries()) {
    const doc = await types.get(name);
    if (!doc || doc.archived) {
      throw validationError(`eventTypes[${i}]`, 'event_type_exists', `eventTypes[${i}]: ${name} is not a defined event type${doc ? ' (it is archived)' : ''}.`);
    }
  }
};

/** One fresh id per event type named: the decider uses those of the pairs that are new. */
const newSubscriptionIds = (eventTypes: readonly string[] | undefined): string[] | undefined => eventTypes?.map(() => newId('sub'));

export const runEndpointCommand = async (deps: ApiDeps, endpointId: string, command: EndpointCommand): Promise<EndpointDoc> => {
  const { position } = await handleCommand(deps.events, streams.endpoint(endpointId), endpointDecider, command);
  await readYourWrites(deps, position);
  return readBack(async () => {
    const doc = await deps.reads.collection<EndpointDoc>(collections.endpoints).get(endpointId);
    if (!doc) throw notFound('endpoint', endpointId);
    return doc;
  });
};

export const createEndpoint = async (deps: ApiDeps, appIdOrUid: string, input: EndpointIn): Promise<{ endpoint: EndpointDoc; secret: string }> => {
  const app = await requireApplication(deps, appIdOrUid);
  await checkUrl(deps, input.url);
  await checkEventTypes(deps, input.eventTypes);
  const secret = generateSigningSecret();
  const endpointId = newId('ep');
  const endpoint = await runEndpointCommand(deps, endpointId, {
    type: 'CreateEndpoint',
    data: { ...input, endpointId, applicationId: app.id, secret: sealSecret(deps.masterKey, secret), subscriptionIds: newSubscriptionIds(input.eventTypes) },
    metadata: metadataOf(deps),
  });
  return { endpoint, secret };
};

export const updateEndpoint = async (deps: ApiDeps, appIdOrUid: string, endpointId: string, patch: EndpointPatch): Promise<EndpointDoc> => {
  const app = await requireApplication(deps, appIdOrUid);
  await requireEndpoint(deps, app.id, endpointId);
  await checkUrl(deps, patch.url);
  await checkEventTypes(deps, patch.eventTypes);
  return runEndpointCommand(deps, endpointId, { type: 'UpdateEndpoint', data: { ...patch, endpointId, subscriptionIds: newSubscriptionIds(patch.eventTypes) }, metadata: metadataOf(deps) });
};

export const setSubscriptions = async (deps: ApiDeps, appIdOrUid: string, endpointId: string, eventTypes: string[]): Promise<EndpointDoc> => {
  const app = await requireApplication(deps, appIdOrUid);
  await requireEndpoint(deps, app.id, endpointId);
  await checkEventTypes(deps, eventTypes);
  return runEndpointCommand(deps, endpointId, {
    type: 'SetEndpointSubscriptions',
    data: { endpointId, eventTypes, subscriptionIds: newSubscriptionIds(eventTypes) },
    metadata: metadataOf(deps),
  });
};

export const rotateSecret = async (
  deps: ApiDeps,
  appIdOrUid: string,
  endpointId: string,
  gracePeriodSeconds: number,
): Promise<{ secret: string; previousSecretExpiresAt: string }> => {
  const app = await requireApplication(deps, appIdOrUid);
  await requireEndpoint(deps, app.id, endpointId);
  const secret = generateSigningSecret();
  const doc = await runEndpointCommand(deps, endpointId, {
    type: 'RotateEndpointSecret',
    data: { endpointId, secret: sealSecret(deps.masterKey, secret), gracePeriodSeconds },
    metadata: metadataOf(deps),
  });
  const previous = doc.previousSecrets[doc.previousSecrets.length - 1];
  return { secret, previousSecretExpiresAt: previous?.expiresAt ?? metadataOf(deps).now };
};

export const setEndpointEnabled = async (deps: ApiDeps, appIdOrUid: string, endpointId: string, enabled: boolean): Promise<EndpointDoc> => {
  const app = await requireApplication(deps, appIdOrUid);
  await requireEndpoint(deps, app.id, endpointId);
  const command: EndpointCommand = enabled
    ? { type: 'EnableEndpoint', data: { endpointId }, metadata: metadataOf(deps) }
    : { type: 'DisableEndpoint', data: { endpointId, reason: 'Disabled by a user.' }, metadata: metadataOf(deps) };
  return runEndpointCommand(deps, endpointId, command);
};

export const deleteEndpoint = async (deps: ApiDeps, appIdOrUid: string, endpointId: string): Promise<void> => {
  const app = await requireApplication(deps, appIdOrUid);
  await requireEndpoint(deps, app.id, endpointId);
  const { position } = await handleCommand(deps.events, streams.endpoint(endpointId), endpointDecider, {
    type: 'DeleteEndpoint',
    data: { endpointId },
    metadata: metadataOf(deps),
  });
  await readYourWrites(deps, position);
};
