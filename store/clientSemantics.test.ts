import { describe, expect, it } from 'vitest';
import { PositionsUnsupportedError, eventsAfter, requirePosition } from './clientSemantics';
import type { Position } from './eventStore';

const at = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });
const events = (...ns: number[]) => ns.map((n) => ({ position: at(n), n }));

async function* client<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('eventsAfter: the client reads $all inclusively, the port exclusively', () => {
  it('drops the event at exactly fromPosition', async () => {
    const read = await collect(eventsAfter(at(10), client(events(10, 11, 15))));
    expect(read.map((e) => e.n)).toEqual([11, 15]);
  });

  it('keeps the first event when fromPosition is not an event position', async () => {
    const read = await collect(eventsAfter(at(9), client(events(10, 11))));
    expect(read.map((e) => e.n)).toEqual([10, 11]);
  });

  it('drops nothing without fromPosition (a read from the start)', async () => {
    const read = await collect(eventsAfter(undefined, client(events(0, 1))));
    expect(read.map((e) => e.n)).toEqual([0, 1]);
  });

  it('compares commit, then prepare', async () => {
    const from: Position = { commit: 10n, prepare: 5n };
    const read = await collect(
      eventsAfter(from, client([{ position: { commit: 10n, prepare: 5n } }, { position: { commit: 10n, prepare: 6n } }, { position: { commit: 11n, prepare: 0n } }])),
    );
    expect(read.map((e) => `${e.position.commit}/${e.position.prepare}`)).toEqual(['10/6', '11/0']);
  });

  it('passes on what the client throws while iterating', async () => {
    async function* failing(): AsyncGenerator<{ position: Position }> {
      yield { position: at(1) };
      throw new Error('connection lost');
    }
    await expect(collect(eventsAfter(at(0), failing()))).rejects.toThrow('connection lost');
  });
});

describe('requirePosition', () => {
  it('passes a position through', () => {
    expect(requirePosition(at(3), 'append')).toEqual(at(3));
  });

  it('refuses a server that returns none, naming what needs one and the server it takes', () => {
    for (const missing of [undefined, null]) {
      const error = (() => {
        try {
          requirePosition(missing, 'appendToStream(order-1)');
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(PositionsUnsupportedError);
      expect((error as Error).name).toBe('PositionsUnsupportedError');
      expect((error as Error).message).toContain('appendToStream(order-1)');
      expect((error as Error).message).toContain('EventStoreDB 20.10 or later');
    }
  });
});
