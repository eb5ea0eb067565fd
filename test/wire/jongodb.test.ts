import { describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { wireMongoUrl } from './databases';

describe('the MongoDB wire server of the run (jongodb)', () => {
  it('answers the real driver as a replica set member, with transactions', async () => {
    const url = wireMongoUrl('wire');
    expect(url).not.toBeNull();
    const client = new MongoClient(url ?? '', { serverSelectionTimeoutMS: 10_000 });
    try {
      await client.connect();
      const hello = await client.db('admin').command({ hello: 1 });
      expect(typeof hello.setName).toBe('string');
      const docs = client.db().collection<{ _id: string; n: number }>('docs');
      const session = client.startSession();
      await session.withTransaction(async () => {
        await docs.insertOne({ _id: 'a', n: 1 }, { session });
      });
      await session.endSession();
      expect(await docs.findOne({ _id: 'a' })).toEqual({ _id: 'a', n: 1 });
    } finally {
      await client.close();
    }
  });
});
