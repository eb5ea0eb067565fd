import type { JsonValue } from '../../domain/json';
import { anchorPublicKeyInfo } from '../../store/chain/anchorKey';
import { defineRoute } from '../route';

export const auditRoutes = [
  defineRoute({
    operationId: 'v1.audit.publicKey',
    method: 'GET',
    path: '/v1/audit/public-key',
    summary:
      "The deployment's Ed25519 public key that signs the audit anchors (docs/audit.md): {algorithm, keyId, publicKey (64 hex digits), publicKeyPem, createdAt}. " +
      'Public (no key needed), so that whoever holds a receipt can fetch it; an auditor should keep a copy from before any dispute',
    auth: 'public',
    response: {
      status: 200,
      schema: {
        type: 'object',
        required: ['algorithm', 'keyId', 'publicKey', 'publicKeyPem', 'createdAt'],
        properties: {
          algorithm: { const: 'Ed25519' },
          keyId: { type: 'string', pattern: '^[0-9a-f]{32}$' },
          publicKey: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          publicKeyPem: { type: 'string' },
          createdAt: { type: 'string', format: 'date-time' },
        },
      },
    },
    handle: async ({ deps }) => ({ status: 200, body: (await anchorPublicKeyInfo(deps.events, deps.masterKey)) as unknown as JsonValue }),
  }),
];
