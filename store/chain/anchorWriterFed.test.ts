import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { streams } from '../../domain/streams';
import { allProjections } from '../../projections';
import { ProjectionLeadership } from '../../projections/leadership';
import { recordPosition } from '../../projections/progress';
import { ProjectionRunner } from '../../projections/runner';
import { anchorHash, anchorHeaderOf, verifyAnchor } from '../../sdk/src/audit/anchor.js';
import type { AnchorData } from '../../sdk/src/audit/anchor.js';
import { SqliteEventStore } from '../embedded/sqliteEventStore';
import { SqliteReadStore } from '../embedded/sqliteReadStore';
import type { EventStore } from '../eventStore';
import { positionToString } from '../eventStore';
import { loadOrCreateAnchorKey } from './anchorKey';
import { AnchorWriter } from './anchorWriter';
import { anchorsOf, append, until } from './anchorTestSupport';
import { withHashChain } from './hashChainedEventStore';
import { verifyLog } from './verifyLog';

// The anchor writer fed by the projections runner's batches (docs/audit.md "Defaults and their cost"): the lease
// holder reads the log once, and the anchors still pin every chained head, across restarts and new runners.

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The real embedded stores of one process, the event store chained and counting who subscribes to `$all`. */
const openProcess = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookbase-anchors-fed-'));
  dirs.push(dir);
  const store = withHashChain(SqliteEventStore.open(join(dir, 'events.db')));
  const subscribers = { count: 0 };
  const events = new Proxy(store, {
    get(target, property) {
      if (property === 'subscribeToAll') {
        return (...args: Parameters<EventStore['subscribeToAll']>) => {
          subscribers.count++;
          return target.subscribeToAll(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const reads = SqliteReadStore.open(join(dir, 'read-models.db'));
  const ops = SqliteReadStore.open(join(dir, 'operational.db'));
  const close = async (): Promise<void> => {
    await events.close();
    await reads.close();
    await ops.close();
  };
  return { events, reads, ops, subscribers, close };
};

/** Every chained stream's last revision in the log. */
const lastRevisions = async (events: EventStore): Promise<Map<string, string>> => {
  const last = new Map<string, string>();
  for await (const e of events.readAll()) if (e.streamId !== streams.auditAnchors()) last.set(e.streamId, e.revision.toString());
  return last;
};

describe('AnchorWriter fed by the projections runner', () => {
  const masterKey = randomBytes(32);

  it('on the lease holder, reads no log of its own: its anchors pin exactly the chained heads the runner read', async () => {
    const p = openProcess();
    const key = await loadOrCreateAnchorKey(p.events, masterKey);
    const writer = new AnchorWriter({ events: p.events, key: async () => key, schedule: { every: 7, intervalMs: 60_000 } });
    const leadership = new ProjectionLeadership(p.events, p.reads, p.ops, allProjections, { owner: 'fed-1', whileActive: [writer] });
    await leadership.start();
    for (let s = 0; s < 10; s++) await append(p.events, `thing-${s}`, 1 + (s % 3));
    // The key's event and 19 more, 7 per anchor: two anchors on their own, the rest at a flush.
    await until(async () => ((await anchorsOf(p.events)).length === 2 ? true : false));
    await until(async () => {
      await writer.flush();
      return (await verifyLog(p.events)).eventsAfterLastAnchor === 0;
    });
    // One subscription to `$all`: the runner's. The writer took its batches.
    expect(p.subscribers.count).toBe(1);
    const anchors = await anchorsOf(p.events);
    // Two sealed at 7 events each (fewer heads: a stream changed twice is one head), the rest by the flushes.
    expect(anchors.length).toBeGreaterThanOrEqual(3);
    for (const anchor of anchors) expect(verifyAnchor(anchor, key.publicKey)).toBeNull();
    // Each stream's last revision is pinned by the last anchor that saw it change.
    const pinned = new Map(anchors.flatMap((a) => a.pinned).map((h) => [h.stream, h.revision]));
    expect(pinned).toEqual(await lastRevisions(p.events));
    // The anchors are chained events too.
    expect(await verifyLog(p.events)).toMatchObject({ clean: true, anchors: anchors.length, chainedEvents: 20 + anchors.length, eventsAfterLastAnchor: 0 });
    await leadership.stop();
    await p.close();
  });

  it('a restarted lease holder continues the anchor chain over what changed while it was down, pinning nothing twice', async () => {
    const p = openProcess();
    const key = await loadOrCreateAnchorKey(p.events, masterKey);
    const first = new AnchorWriter({ events: p.events, key: async () => key, schedule: { every: 1000, intervalMs: 60_000 } });
    const leadershipOne = new ProjectionLeadership(p.events, p.reads, p.ops, allProjections, { owner: 'fed-a', whileActive: [first] });
    await leadershipOne.start();
    await append(p.events, 'before-1', 2);
    await until(async () => first.pendingHeads === 2);
    await first.flush();
    expect(await anchorsOf(p.events)).toHaveLength(1);
    await leadershipOne.stop();
    await append(p.events, 'while-down-1', 1);
    await append(p.events, 'before-1', 1);

    const second = new AnchorWriter({ events: p.events, key: async () => key, schedule: { every: 1000, intervalMs: 50 } });
    const leadershipTwo = new ProjectionLeadership(p.events, p.reads, p.ops, allProjections, { owner: 'fed-b', whileActive: [second] });
    await leadershipTwo.start();
    await append(p.events, 'after-1', 1);
    const anchors = await until(async () => (await verifyLog(p.events)).eventsAfterLastAnchor === 0 && anchorsOf(p.events));
    expect(anchors[1]).toMatchObject({ sequence: '1', prev: anchorHash(anchorHeaderOf(anchors[0] as AnchorData)) });
    const later = anchors.slice(1).flatMap((a) => a.pinned.map((h) => `${h.stream}@${h.revision}`));
    expect(later.sort()).toEqual(['after-1@0', 'before-1@2', 'while-down-1@0']);
    expect(await verifyLog(p.events)).toMatchObject({ clean: true, eventsAfterLastAnchor: 0 });
    await leadershipTwo.stop();
    await p.close();
  });

  it('given a new runner (a rebuild swap), starts over from the last anchor: nothing between the two runners is missed', async () => {
    const p = openProcess();
    const key = await loadOrCreateAnchorKey(p.events, masterKey);
    const writer = new AnchorWriter({ events: p.events, key: async () => key, schedule: { every: 1000, intervalMs: 60_000 } });
    const one = new ProjectionRunner(p.events, p.reads, allProjections);
    writer.follow(one);
    await one.start();
    await writer.start();
    await append(p.events, 'a', 2);
    await until(async () => writer.pendingHeads === 2);
    await one.stop();
    // Read by no runner: the next one starts after them (its checkpoint moved on meanwhile, as after a rebuild).
    await append(p.events, 'gap', 3);
    const head = await p.events.headPosition();
    const two = new ProjectionRunner(p.events, p.reads, allProjections);
    await p.reads.transaction(async (tx) => {
      for (const projection of allProjections) await tx.setCheckpoint(projection.name, positionToString(head));
    });
    await recordPosition(p.reads, null, head);
    writer.follow(two);
    await two.start();
    await append(p.events, 'b', 1);
    await until(async () => writer.pendingHeads === 4);
    await writer.flush();
    const [anchor] = await anchorsOf(p.events);
    expect(anchor?.pinned.map((h) => `${h.stream}@${h.revision}`)).toEqual(['a@1', 'auditkey-deployment@0', 'b@0', 'gap@2']);
    expect(await verifyLog(p.events)).toMatchObject({ clean: true, eventsAfterLastAnchor: 0 });
    await writer.stop();
    await two.stop();
    await p.close();
  });
});
