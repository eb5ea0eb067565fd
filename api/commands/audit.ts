import type { JsonObject } from '../../domain/json';
import { categories, streams } from '../../domain/streams';
import { allProjections } from '../../projections';
import type { VerifyReport } from '../../projections/verify';
import { verifyReadModels } from '../../projections/verify';
import { SqliteReadStore } from '../../store/embedded/sqliteReadStore';
import { ReadCache } from '../../store/readCache';
import type { ApiDeps } from '../deps';
import type { HistoryEntry } from './messages';
import { requireApplication } from './common';

/**
 * An application's full history, read from the event store (never a read model): every event of its own stream
 * and of the streams of its endpoints, messages and deliveries, in commit order, one JSON line each.
 * A stream belongs to the application from its first event, which names the application.
 */
/** A line of the export: a history entry and its metadata (the schema version a replay upcasts from). */
export type ExportEntry = HistoryEntry & { metadata: JsonObject };

export async function* applicationHistory(deps: ApiDeps, appIdOrUid: string): AsyncIterable<ExportEntry> {
  const app = await requireApplication(deps, appIdOrUid);
  const own = new Set([streams.application(app.id)]);
  const filter = { streamNamePrefixes: [categories.application, categories.endpoint, categories.message, categories.outbound] };
  for await (const e of deps.events.readAll({ filter })) {
    if (!own.has(e.streamId)) {
      const data = e.data as { applicationId?: unknown } | null;
      if (data?.applicationId !== app.id) continue;
      own.add(e.streamId);
    }
    yield { stream: e.streamId, revision: e.revision.toString(), position: e.position.commit.toString(), type: e.type, recordedAt: e.created.toISOString(), data: e.data, metadata: e.metadata };
  }
}

/** The drift check over every projection, folding into a scratch store in memory (its size is the read models'). */
export const verifyAll = async (deps: ApiDeps): Promise<VerifyReport> => {
  const scratch = SqliteReadStore.open(':memory:');
  try {
    // Past the API's cache: a document changed behind the projections' back must be seen as it is stored.
    const live = deps.reads instanceof ReadCache ? deps.reads.uncached : deps.reads;
    return await verifyReadModels(deps.events, live, scratch, allProjections);
  } finally {
    await scratch.close();
  }
};
