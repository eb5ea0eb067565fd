import type { CommandMetadata } from '../../domain/decider';
import { DomainError, notFound, validationError } from '../../domain/errors';
import type { Position } from '../../store/eventStore';
import { comparePositions, positionFromString, positionToString } from '../../store/eventStore';
import { collections } from '../../projections/readModels';
import type { ApplicationDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';

export const metadataOf = (deps: ApiDeps): CommandMetadata => ({ now: deps.now().toISOString() });

/**
 * Invariant 5: a command whose next call needs its write (an application, endpoint, event type created) answers
 * once the read models include its own events (bounded wait). A send does not wait (its answer is built from the
 * appended event): a read of what it wrote waits instead, see `consistencyToken` and `findAfterOwnWrites`.
 */
export const readYourWrites = async (deps: ApiDeps, position: Position | null): Promise<void> => {
  if (position === null) return;
  noteAppended(deps, position);
  const caughtUp = await deps.progress.waitFor(position, deps.config.readYourWritesTimeoutMs);
  if (!caughtUp) deps.log(`read models are behind: a command answered before its events were projected`);
};

/**
 * Reads back what this process has just written and waited for (readYourWrites). On a store that shows a commit's
 * writes together (SQLite, MongoDB) the first read finds it. jongodb, the MongoDB wire server of the test suite,
 * shows a committed batch one collection at a time (docs/production.md), so the progress document can announce a
 * write that a read misses for a moment: a not-found is read again, for about 1.3 s at most, before it is answered.
 */
export const readBack = async <T>(read: () => Promise<T>): Promise<T> => {
  for (let delayMs = 10; ; delayMs *= 2) {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof DomainError && error.kind === 'not_found') || delayMs > 640) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
};

/** The newest position this process (this thread's API) appended, per event store: what a miss waits for. */
const newestAppended = new WeakMap<object, Position>();

export const noteAppended = (deps: ApiDeps, position: Position): void => {
  const known = newestAppended.get(deps.events);
  if (!known || comparePositions(position, known) > 0) newestAppended.set(deps.events, position);
};

/**
 * The header a send's answer carries (its position, opaque to clients) and a later request may present: the
 * request's reads then wait (bounded, as a command's) until the read models include that position. Like the
 * positions EventStoreDB clients pass to read their own appends on another node: it works on any API process.
 */
export const CONSISTENCY_HEADER = 'Hookbase-Consistency-Token';

export const consistencyToken = (position: Position): string => positionToString(position);

/** The position a presented token names; a 400 naming the header when it is not one of ours. */
export const parseConsistencyToken = (token: string): Position => {
  try {
    if (!/^\d+\/\d+$/.test(token)) throw new Error('shape');
    return positionFromString(token);
  } catch {
    throw validationError(CONSISTENCY_HEADER, 'consistency_token', `${CONSISTENCY_HEADER} must be the value of that header in an earlier answer (got "${token.slice(0, 64)}").`);
  }
};

/** Waits (bounded) until the read models include `position`; false when they did not in time. */
export const waitForPosition = async (deps: ApiDeps, position: Position): Promise<boolean> => {
  const caughtUp = await deps.progress.waitFor(position, deps.config.readYourWritesTimeoutMs);
  if (!caughtUp) deps.log(`read models are behind: a read answered before the position it was asked to wait for was projected`);
  return caughtUp;
};

/**
 * A read answered by this API process sees what this process appended (its sends included): it waits (bounded)
 * for the newest position this process appended, at once when the projections are already past it. What another
 * process appended is seen once projected, or at once with the consistency token.
 */
export const waitForOwnWrites = async (deps: ApiDeps): Promise<void> => {
  const newest = newestAppended.get(deps.events);
  if (newest) await waitForPosition(deps, newest);
};

/**
 * Reads one document by id; on a miss, waits (bounded) for the newest position this process appended and reads
 * again: a message or delivery fetched right after its send, whose 202 did not wait for the projections, is found
 * (the SDK's send-then-get). A document that does not exist costs one wait only while the projections are behind
 * this process's own appends.
 */
export const findAfterOwnWrites = async <T>(deps: ApiDeps, read: () => Promise<T | null>): Promise<T | null> => {
  const found = await read();
  if (found !== null) return found;
  const newest = newestAppended.get(deps.events);
  if (!newest) return null;
  await waitForPosition(deps, newest);
  return read();
};

/** Accepts an application id or its uid, as Svix does. */
export const findApplication = async (deps: ApiDeps, idOrUid: string): Promise<ApplicationDoc | null> => {
  const apps = deps.reads.collection<ApplicationDoc>(collections.applications);
  if (idOrUid.startsWith('app_')) return apps.get(idOrUid);
  const page = await apps.find({ where: { uid: idOrUid }, limit: 1 });
  return page.items[0] ?? null;
};

export const requireApplication = async (deps: ApiDeps, idOrUid: string): Promise<ApplicationDoc> => {
  // A miss reads again once this process's own appends are projected: an application created by the call before is
  // found, even on a store that shows a committed batch one collection at a time (jongodb; docs/production.md).
  const app = await findAfterOwnWrites(deps, () => findApplication(deps, idOrUid));
  if (!app) throw notFound('application', idOrUid);
  return app;
};
