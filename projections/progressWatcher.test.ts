import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataVersion } from '../cli/dataDirWatcher';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { positionFromString } from '../store/eventStore';
import { ReadCache } from '../store/readCache';
import { recordBatch } from './progress';
import { allProjections, resetProjections } from './index';
import { ProgressWatcher } from './progressWatcher';
import type { ApplicationDoc } from './readModels';
import { collections } from './readModels';

const app = (name: string): ApplicationDoc => ({ id: 'app_1', name, uid: null, metadata: {}, createdAt: '2026-11-29T00:00:00.000Z', updatedAt: '2026-11-29T00:00:00.000Z' });

/** What the projections process does: a batch's writes and the progress document in one transaction. */
const projectBatch = (writer: SqliteReadStore, doc: ApplicationDoc, position: string) =>
  writer.transaction(async (tx) => {
    await tx.collection<ApplicationDoc>(collections.applications).put(doc);
    await recordBatch(tx, null, positionFromString(position), new Set([collections.applications.name]));
  });

describe('ProgressWatcher and a ReadCache in a process that does not run the projections', () => {
  const dirs: string[] = [];
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /**
   * Two processes of one data dir: `writer` projects (with `first` already projected at `position`); the other keeps
   * applications in a ReadCache told by a ProgressWatcher, as an API process does (cli/hookbase.ts).
   */
  const twoProcesses = async (first: ApplicationDoc, position: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'hookbase-progress-'));
    dirs.push(dir);
    const file = join(dir, 'read-models.db');
    const writer = SqliteReadStore.open(file);
    await projectBatch(writer, first, position);
    const reader = SqliteReadStore.open(file);
    const version = new DataVersion(file);
    let cache: ReadCache | null = null;
    // No poke but the ones made here and by `fresh`: the slow timer stays out of the way.
    const watcher = new ProgressWatcher(reader, (changed) => cache?.invalidate(changed), () => {}, () => version.current());
    closers.push(async () => {
      watcher.close();
      version.close();
      await reader.close();
      await writer.close();
    });
    await watcher.start(60_000);
    cache = new ReadCache(reader, [collections.applications], 100, () => watcher.fresh());
    return { writer, watcher, apps: cache.collection<ApplicationDoc>(collections.applications) };
  };

  it('answers from the store, never from memory, once another connection committed what it has not read yet', async () => {
    const { writer, watcher, apps } = await twoProcesses(app('first'), '1/1');
    expect((await apps.get('app_1'))?.name).toBe('first');
    expect(watcher.position).toEqual(positionFromString('1/1'));

    // Committed by the other connection; the watcher was not told. The next answer is the new one all the same.
    await projectBatch(writer, app('second'), '2/2');
    expect((await apps.get('app_1'))?.name).toBe('second');
    // `fresh` asked the watcher to look: it reads the document, forgets the collection, commands go on.
    expect(await watcher.waitFor(positionFromString('2/2'), 1_000)).toBe(true);
    expect((await apps.get('app_1'))?.name).toBe('second');
    const readsBefore = watcher.reads;
    expect((await apps.get('app_1'))?.name).toBe('second');
    expect(watcher.reads).toBe(readsBefore);
  });

  it('forgets what it kept when another process resets the projections (their collections and progress dropped)', async () => {
    const { writer, watcher, apps } = await twoProcesses(app('before the reset'), '5/5');
    expect((await apps.get('app_1'))?.name).toBe('before the reset');

    // `hookbase projections reset` in the other process: every read model and the progress document dropped.
    await resetProjections(writer, allProjections);
    await watcher.settled();
    expect(await apps.get('app_1')).toBeNull();

    // Replayed from the start: the first batch is behind where the progress stood before the reset.
    await projectBatch(writer, app('after the reset'), '1/1');
    await watcher.settled();
    expect((await apps.get('app_1'))?.name).toBe('after the reset');
  });
});
