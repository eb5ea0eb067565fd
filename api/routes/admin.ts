import { allProjections } from '../../projections';
import { RebuildInProgressError, readRebuildJob, requestRebuild } from '../../projections/rebuildJobs';
import type { RebuildJobDoc } from '../../projections/rebuildJobs';
import type { JsonValue } from '../../domain/json';
import { applicationHistory, verifyAll } from '../commands/audit';
import { verifyLog } from '../../store/chain/verifyLog';
import { AnchorFormatError, parsePublicKey } from '../../sdk/src/audit/anchor.js';
import { HttpError } from '../errors';
import { defineRoute } from '../route';

const jobBody = (job: RebuildJobDoc): JsonValue => ({
  jobId: job.id,
  names: job.names.length > 0 ? job.names : allProjections.map((p) => p.name),
  state: job.state,
  position: job.position,
  headPosition: job.headPosition,
  processedEvents: job.processedEvents,
  eventsPerSecond: job.eventsPerSecond,
  etaSeconds: job.etaSeconds,
  requestedAt: job.requestedAt,
  startedAt: job.startedAt,
  finishedAt: job.finishedAt,
  error: job.error,
});

export const adminRoutes = [
  defineRoute({
    operationId: 'v1.admin.projections',
    method: 'GET',
    path: '/v1/admin/projections',
    summary: 'Each projection with its checkpoint position, lag (events behind) and state',
    auth: 'admin',
    response: { status: 200 },
    handle: async ({ deps }) => {
      if (!deps.projectionStatus) throw new HttpError(404, 'projections_not_here', 'This process does not run the projections role.');
      return { status: 200, body: await deps.projectionStatus() };
    },
  }),
  defineRoute<{ names?: string[] }>({
    operationId: 'v1.admin.rebuildProjections',
    method: 'POST',
    path: '/v1/admin/projections/rebuild',
    summary:
      'Rebuild read models without downtime: shadow collections built from the start of $all, swapped in when caught up. ' +
      'Runs in the process holding the projections lease (picked up within a second); one at a time (409 rebuild_in_progress)',
    auth: 'admin',
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { names: { type: 'array', items: { enum: allProjections.map((p) => p.name) }, uniqueItems: true } },
    },
    response: { status: 202 },
    handle: async ({ deps, body }) => {
      try {
        const job = await requestRebuild(deps.ops, body?.names ?? [], deps.now());
        return { status: 202, body: { jobId: job.id } };
      } catch (error) {
        if (error instanceof RebuildInProgressError) {
          throw new HttpError(409, 'rebuild_in_progress', `Rebuild ${error.jobId} is still running; wait for it to finish (GET /v1/admin/projections/rebuild/${error.jobId}).`);
        }
        throw error;
      }
    },
  }),
  defineRoute({
    operationId: 'v1.admin.getRebuild',
    method: 'GET',
    path: '/v1/admin/projections/rebuild/{jobId}',
    summary: 'A rebuild: state (pending, running, swapping, done, failed), position, head, events/s, ETA',
    auth: 'admin',
    response: { status: 200 },
    handle: async ({ deps, params }) => {
      const job = await readRebuildJob(deps.ops, params.jobId ?? '');
      if (!job) throw new HttpError(404, 'not_found', `No rebuild ${params.jobId ?? ''}.`);
      return { status: 200, body: jobBody(job) };
    },
  }),
  defineRoute({
    operationId: 'v1.admin.verifyReadModels',
    method: 'POST',
    path: '/v1/admin/audit/verify',
    summary: 'Fold the event log afresh and compare it with every read-model document: what differs (collection, id, field, expected, found)',
    auth: 'admin',
    response: { status: 200 },
    handle: async ({ deps }) => ({ status: 200, body: (await verifyAll(deps)) as unknown as JsonValue }),
  }),
  defineRoute<{ publicKey?: string } | undefined>({
    operationId: 'v1.admin.verifyLog',
    method: 'POST',
    path: '/v1/admin/audit/verify-log',
    summary:
      "Check every signed anchor (signature, chain, Merkle root), walk $all recomputing every stream's hash chain, and check that every head an anchor " +
      'pins is still there with its hash (docs/audit.md). Optional body {publicKey}: check the anchors against this key (hex, base64 or PEM) instead of ' +
      "the log's own. Answers {clean, streams, events, chainedEvents, unchainedEvents, anchors, anchoredHeads, keyId, lastAnchor, eventsAfterLastAnchor, " +
      'firstBreak: {stream, revision, position, type, reason, anchor, expected, found, message} | null}',
    auth: 'admin',
    body: { type: 'object', additionalProperties: false, properties: { publicKey: { type: 'string', minLength: 1, maxLength: 1024 } } },
    response: { status: 200 },
    handle: async ({ deps, body }) => {
      let publicKey: Uint8Array | undefined;
      if (body?.publicKey !== undefined) {
        try {
          publicKey = parsePublicKey(body.publicKey);
        } catch (error) {
          if (!(error instanceof AnchorFormatError)) throw error;
          const rule = 'an Ed25519 public key: 64 hex digits, 32 bytes in base64, or a PEM SubjectPublicKeyInfo';
          throw new HttpError(422, 'validation_failed', `publicKey must be ${rule}.`, [{ field: 'publicKey', rule: 'ed25519_public_key', message: `publicKey must be ${rule}.` }]);
        }
      }
      return { status: 200, body: (await verifyLog(deps.events, { masterKey: deps.masterKey, ...(publicKey ? { publicKey } : {}) })) as unknown as JsonValue };
    },
  }),
  defineRoute({
    operationId: 'v1.admin.exportApplication',
    method: 'GET',
    path: '/v1/admin/audit/export/{appId}',
    summary: "An application's full history from the event store as JSON Lines {stream, revision, position, type, recordedAt, data}, in commit order",
    auth: 'admin',
    response: { status: 200, description: 'application/x-ndjson' },
    handle: async ({ deps, params }) => {
      const lines: string[] = [];
      for await (const entry of applicationHistory(deps, params.appId ?? '')) lines.push(JSON.stringify(entry));
      return { status: 200, body: lines.map((l) => `${l}\n`).join(''), headers: { 'content-type': 'application/x-ndjson' } };
    },
  }),
];
