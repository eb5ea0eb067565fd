import type { JsonValue } from '../../domain/json';
import { serializeAuditBundle } from '../../sdk/src/audit/bundle.js';
import { buildBundle, buildReceipt } from '../commands/receipts';
import { defineRoute } from '../route';

const time = { type: 'string', format: 'date-time' } as const;

/** Receipts and bundles (issue 18 items 3 and 4; docs/audit.md, "Receipts and bundles"). */
export const receiptRoutes = [
  defineRoute<undefined, { attempt?: number }>({
    operationId: 'v1.outbound.receipt',
    method: 'GET',
    path: '/v1/applications/{appId}/outbound/{outboundId}/receipt',
    summary:
      'A signed delivery receipt: the attempt (?attempt=N) or every attempt so far, the chained events of the message and the delivery, ' +
      'and the inclusion proofs of their heads up to signed anchors; verify it offline with the SDK\'s verifyReceipt or `hookbase audit verify-receipt`',
    auth: 'admin',
    query: { type: 'object', additionalProperties: false, properties: { attempt: { type: 'integer', minimum: 1 } } },
    response: { status: 200 },
    handle: async ({ deps, params, query }) => ({
      status: 200,
      body: (await buildReceipt(deps, params.appId ?? '', params.outboundId ?? '', query.attempt ?? null)) as unknown as JsonValue,
    }),
  }),
  defineRoute<undefined, { from?: string; to?: string }>({
    operationId: 'v1.admin.auditBundle',
    method: 'GET',
    path: '/v1/admin/audit/bundle/{appId}',
    summary:
      "An application's audit bundle for the messages sent in [from, to): whole streams, the signed anchors pinning them, inclusion proofs and a signed manifest, " +
      'as canonical JSON; verify it offline with `hookbase audit verify-bundle` or the SDK\'s verifyAuditBundle',
    auth: 'admin',
    query: { type: 'object', additionalProperties: false, properties: { from: time, to: time } },
    response: { status: 200, description: 'application/json (canonical, one line)' },
    handle: async ({ deps, params, query }) => {
      const bundle = await buildBundle(deps, params.appId ?? '', { from: query.from ?? null, to: query.to ?? null });
      return { status: 200, body: serializeAuditBundle(bundle), headers: { 'content-type': 'application/json' } };
    },
  }),
];
