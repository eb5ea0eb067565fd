/**
 * How jongodb's single-document writes cost with the size of their collection (docs/production.md, the table of
 * what jongodb lacks): `npx tsx test/wire/jongodbWriteCost.ts [sizes]` starts a jongodb of its own, fills one
 * collection to each size with `insertMany` (each timed), and times 100 writes of each kind there (each line says
 * how many documents the collection held), one after the other.
 * A measurement to read, not a test: a timed assertion would only say how loaded the machine was.
 */
import { MongoClient } from 'mongodb';
import type { MongoDoc as Doc } from '../../store/mongo/query';
import { startJongodb } from './jongodb';

const sizes = (process.argv[2] ?? '1000,3000,6000').split(',').map(Number);
const body = (n: number): Omit<Doc, '_id'> => ({ applicationId: 'app', eventType: 'order.created', createdAt: new Date().toISOString(), payload: { n } });
const filled = (i: number): string => `doc_${String(i).padStart(8, '0')}`;

const main = async (): Promise<void> => {
  const server = await startJongodb();
  const client = new MongoClient(server.urlFor('write_cost'));
  try {
    await client.connect();
    const docs = client.db().collection<Doc>('docs');
    let count = 0;
    for (const size of sizes) {
      while (count < size) {
        const batch: Doc[] = [];
        for (; batch.length < 1_000 && count < size; count++) batch.push({ _id: filled(count), ...body(count) });
        const held = await docs.countDocuments();
        const t = Date.now();
        await docs.insertMany(batch);
        console.log(`insertMany of ${batch.length} into ${held} documents: ${Date.now() - t} ms`);
      }
      const kinds: [string, (i: number) => Promise<unknown>][] = [
        ['replaceOne by _id, upsert, new document', (i) => docs.replaceOne({ _id: `new_${size}_${i}` }, body(i), { upsert: true })],
        ['replaceOne by _id, existing document', (i) => docs.replaceOne({ _id: filled(i) }, body(i))],
        ['insertOne', (i) => docs.insertOne({ _id: `inserted_${size}_${i}`, ...body(i) })],
        ['findOne by _id', (i) => docs.findOne({ _id: filled(i) })],
      ];
      for (const [name, write] of kinds) {
        const held = await docs.countDocuments();
        const t = Date.now();
        for (let i = 0; i < 100; i++) await write(i);
        console.log(`  100 × ${name}, the collection holding ${held}: ${Date.now() - t} ms`);
      }
    }
  } finally {
    await client.close();
    await server.stop();
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
