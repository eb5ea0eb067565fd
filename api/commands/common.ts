import type { CommandMetadata } from '../../domain/decider';
import { notFound } from '../../domain/errors';
import type { Position } from '../../store/eventStore';
import { collections } from '../../projections/readModels';
import type { ApplicationDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';

export const metadataOf = (deps: ApiDeps): CommandMetadata => ({ now: deps.now().toISOString() });

/** Invariant 5: a command answers once the read models include its own events (bounded wait). */
export const readYourWrites = async (deps: ApiDeps, position: Position | null): Promise<void> => {
  if (position === null) return;
  const caughtUp = await deps.progress.waitFor(position, deps.config.readYourWritesTimeoutMs);
  if (!caughtUp) deps.log(`read models are behind: a command answered before its events were projected`);
};

/** Accepts an application id or its uid, as Svix does. */
export const findApplication = async (deps: ApiDeps, idOrUid: string): Promise<ApplicationDoc | null> => {
  const apps = deps.reads.collection<ApplicationDoc>(collections.applications);
  if (idOrUid.startsWith('app_')) return apps.get(idOrUid);
  const page = await apps.find({ where: { uid: idOrUid }, limit: 1 });
  return page.items[0] ?? null;
};

export const requireApplication = async (deps: ApiDeps, idOrUid: string): Promise<ApplicationDoc> => {
  const app = await findApplication(deps, idOrUid);
  if (!app) throw notFound('application', idOrUid);
  return app;
};
