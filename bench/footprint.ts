/**
 * `npx tsx bench/footprint.ts [messages]`: what each read-model table and index costs on disk per message and per
 * delivery (issue 17, item 4). Appends `messages` messages to one application with three endpoints, with the
 * outcomes of bench/readModels.ts (85% delivered, 8% failed with a retry scheduled, 4% exhausted, 3% pending),
 * through the EventStore port into a fresh embedded store, projects them with the real projections into a fresh
 * `read-models.db`, then reads SQLite's `dbstat` (bytes of every page of each table and index). Deterministic: the
 * figures do not depend on the machine's load. Also counts the SQL statements the projections ran per message
 * (better-sqlite3's `verbose` hook on the read store's connections).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { eventMetadata } from '../domain/events';
import type { HookbaseEvent } from '../domain/events';
import { newId } from '../domain/ids';
import { streams } from '../domain/streams';
import { allProjections, ProjectionRunner } from '../projections';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';

const ENDPOINTS = 3;
const PAYLOAD = { orderId: 'ord_2Xb7QmTz', amount: 4200, currency: 'EUR', customer: { id: 'cus_8Kd2', email: 'ada@example.com' }, items: 3 };
const outcomeOf = (n: number): 'success' | 'failed' | 'exhausted' | 'pending' => {
  const k = (n * 37) % 100;
  return k < 85 ? 'success' : k < 93 ? 'failed' : k < 97 ? 'exhausted' : 'pending';
};

const messages = Number(process.argv[2] ?? 5_000);
const dir = mkdtempSync(join(tmpdir(), 'hookbase-footprint-'));
try {
  const events = SqliteEventStore.open(join(dir, 'events.db'));
  const appId = newId('app');
  const endpointIds = Array.from({ length: ENDPOINTS }, () => newId('ep'));
  const start = Date.now() - 30 * 86_400_000;
  let appended = 0;
  const appendMessage = async (i: number): Promise<void> => {
    const messageId = newId('msg');
    const at = new Date(start + i * 1000);
    const outbound = endpointIds.map((endpointId, j) => ({ outboundId: newId('out'), endpointId, endpointUrl: `https://hooks.example.com/hook-${j}`, maxAttempts: 3 }));
    const sent: HookbaseEvent = { type: 'MessageSent', data: { messageId, applicationId: appId, eventType: 'order.created', payload: { ...PAYLOAD, n: i }, eventId: null, timestamp: at.toISOString(), outbound } };
    await events.appendToStream(streams.message(messageId), [{ type: sent.type, data: sent.data, metadata: eventMetadata(sent.type) }], { expectedRevision: 'no_stream' });
    appended += 1;
    for (const [j, o] of outbound.entries()) {
      const outcome = outcomeOf(i * ENDPOINTS + j);
      if (outcome === 'pending') continue;
      const ref = { outboundId: o.outboundId, messageId, endpointId: o.endpointId, applicationId: appId };
      const attemptedAt = new Date(at.getTime() + 50).toISOString();
      const attempt = { ...ref, attemptId: newId('att'), attemptNumber: 1, responseBody: '', latencyMs: 20 + ((i * 7 + j * 13) % 400), attemptedAt };
      const outcomeEvents: HookbaseEvent[] =
        outcome === 'success'
          ? [{ type: 'AttemptSucceeded', data: { ...attempt, responseStatus: 200 } }]
          : [
              { type: 'AttemptFailed', data: { ...attempt, responseStatus: 503, error: 'HTTP 503' } },
              outcome === 'failed'
                ? { type: 'RetryScheduled', data: { ...ref, attemptNumber: 2, dueAt: new Date(at.getTime() + 86_400_000 * 365).toISOString(), scheduledAt: attemptedAt } }
                : { type: 'DeliveryExhausted', data: { ...ref, attempts: 1, reason: 'bench', exhaustedAt: attemptedAt } },
            ];
      await events.appendToStream(streams.outbound(o.outboundId), outcomeEvents.map((e) => ({ type: e.type, data: e.data, metadata: eventMetadata(e.type) })), { expectedRevision: 'no_stream' });
      appended += outcomeEvents.length;
    }
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < messages) await appendMessage(next++);
  };
  await Promise.all(Array.from({ length: 64 }, worker));

  const readsPath = join(dir, 'read-models.db');
  let statements = 0;
  const reads = SqliteReadStore.open(readsPath, { verbose: () => (statements += 1) });
  const runner = new ProjectionRunner(events, reads, allProjections);
  await runner.start();
  const caught = await runner.waitFor(await events.headPosition(), 600_000);
  await runner.stop();
  await reads.close();
  await events.close();
  if (!caught) throw new Error('the projections did not catch up');

  const db = new Database(readsPath, { readonly: true });
  const rows = db.prepare('SELECT name, SUM(pgsize) AS bytes, SUM(payload) AS payload, COUNT(*) AS pages FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as { name: string; bytes: number; payload: number; pages: number }[];
  db.close();
  const deliveries = messages * ENDPOINTS;
  const total = rows.reduce((sum, r) => sum + r.bytes, 0);
  const fmt = (n: number): string => n.toFixed(0).padStart(7);
  console.log(`${messages} messages × ${ENDPOINTS} endpoints, ${appended} events; read-models.db pages: ${total} bytes`);
  console.log(`${'table or index'.padEnd(64)} ${'B/msg'.padStart(7)} ${'B/deliv'.padStart(7)} ${'fill%'.padStart(5)}`);
  for (const r of rows) {
    if (r.bytes / messages < 1) continue;
    console.log(`${r.name.padEnd(64)} ${fmt(r.bytes / messages)} ${fmt(r.bytes / deliveries)} ${((100 * r.payload) / r.bytes).toFixed(0).padStart(5)}`);
  }
  console.log(`${'total'.padEnd(64)} ${fmt(total / messages)} ${fmt(total / deliveries)}`);
  console.log(`SQL statements run by the projections: ${statements} (${(statements / messages).toFixed(2)} per message, ${(statements / appended).toFixed(2)} per event)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
