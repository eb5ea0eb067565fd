import { conflict, validationError } from '../../domain/errors';
import type { JsonObject } from '../../domain/json';
import { createApiKey, listApiKeys, revokeApiKey } from '../commands/apiKeys';
import type { ApiKeyView } from '../commands/apiKeys';
import { defineRoute } from '../route';
import type { Schema } from '../route';

// API keys as the official clients manage them: the MCP server's list/create/delete_api_key (its src/lib/api.ts:
// `{apiKeys}`, `{apiKey}` with `key` once, `keyPrefix`) and the Node SDK's apiKeys resource (it reads `apiKeys` or
// `data`, `apiKey` or `data`, and `prefix`). Over the /v1 admin keys (api/commands/apiKeys.ts): every key is an
// admin key, so it has every scope and never expires; a narrower scope or an expiry is refused by name.

const BASE = '/api/api-keys';
const ALL_SCOPES = ['read', 'write', 'delete'] as const;
const PREFIX = 'whr_';

type CreateBody = { name?: string; scopes?: string[]; expiresIn?: number | null; expiresInDays?: number | null };

const keyOut = (k: ApiKeyView, keyPrefix: string | null): JsonObject => ({
  id: k.id,
  name: k.name,
  keyPrefix,
  prefix: keyPrefix,
  scopes: [...ALL_SCOPES],
  expiresAt: null,
  lastUsedAt: null,
  createdAt: k.createdAt,
});

const str: Schema = { type: 'string' };
const keySchema: Schema = {
  type: 'object',
  required: ['id', 'name', 'keyPrefix', 'prefix', 'scopes', 'expiresAt', 'lastUsedAt', 'createdAt'],
  properties: { id: str, name: str, keyPrefix: { type: ['string', 'null'] }, prefix: { type: ['string', 'null'] }, scopes: { type: 'array', items: str }, expiresAt: { type: 'null' }, lastUsedAt: { type: 'null' }, createdAt: str },
};

export const apiKeyRoutes = [
  defineRoute({
    operationId: 'api.apiKey.list',
    method: 'GET',
    path: BASE,
    summary: 'The live API keys, oldest first, never their values: {apiKeys: [...]}',
    auth: 'admin',
    response: { status: 200, schema: { type: 'object', required: ['apiKeys'], properties: { apiKeys: { type: 'array', items: keySchema } } } },
    // The value's first characters are not kept (only its hash is): keyPrefix is null in lists.
    handle: async ({ deps }) => ({ status: 200, body: { apiKeys: (await listApiKeys(deps)).filter((k) => !k.revoked).map((k) => keyOut(k, null)) } }),
  }),
  defineRoute<CreateBody>({
    operationId: 'api.apiKey.create',
    method: 'POST',
    path: BASE,
    summary: 'A new admin key (whr_…), its value shown this once: 201 {apiKey: {..., key}}',
    auth: 'admin',
    body: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, scopes: { type: 'array', items: { enum: [...ALL_SCOPES] }, minItems: 1 }, expiresIn: { type: ['integer', 'null'] }, expiresInDays: { type: ['integer', 'null'] } },
    },
    response: { status: 201, schema: { type: 'object', required: ['apiKey'], properties: { apiKey: { ...keySchema, required: [...(keySchema.required as string[]), 'key'] } } } },
    handle: async ({ deps, body }) => {
      if (body.scopes !== undefined && !ALL_SCOPES.every((s) => body.scopes?.includes(s))) {
        throw validationError('scopes', 'not_supported', `scopes: every key of this server is an admin key (${ALL_SCOPES.join(', ')}); a narrower key is not offered.`);
      }
      for (const field of ['expiresIn', 'expiresInDays'] as const) {
        if (body[field] !== undefined && body[field] !== null) throw validationError(field, 'not_supported', `${field}: keys of this server do not expire; revoke a key with DELETE ${BASE}/{id}.`);
      }
      const created = await createApiKey(deps, body.name ?? '', PREFIX);
      return { status: 201, body: { apiKey: { ...keyOut(created, created.key.slice(0, PREFIX.length + 8)), key: created.key } } };
    },
  }),
  defineRoute({
    operationId: 'api.apiKey.delete',
    method: 'DELETE',
    path: `${BASE}/{keyId}`,
    summary: 'Revoke a key (not the one this request uses)',
    auth: 'admin',
    response: { status: 200, schema: { type: 'object', required: ['success'], properties: { success: { type: 'boolean' } } } },
    handle: async ({ deps, params, principal }) => {
      const keyId = params.keyId ?? '';
      if (principal.kind === 'admin' && principal.keyId === keyId) throw conflict('key_in_use', 'This request authenticates with that key: revoke it with another key.');
      await revokeApiKey(deps, keyId);
      return { status: 200, body: { success: true } };
    },
  }),
];
