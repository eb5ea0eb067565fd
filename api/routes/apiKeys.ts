import { createApiKey, listApiKeys, revokeApiKey } from '../commands/apiKeys';
import { defineRoute } from '../route';

const apiKeySchema = {
  type: 'object',
  required: ['id', 'name', 'revoked', 'createdAt'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, revoked: { type: 'boolean' }, createdAt: { type: 'string' } },
};

export const apiKeyRoutes = [
  defineRoute<{ name: string }>({
    operationId: 'v1.apiKey.create',
    method: 'POST',
    path: '/v1/admin/api-keys',
    summary: 'A new admin API key; key is in this answer only (only its hash is kept)',
    auth: 'admin',
    body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 256 } } },
    response: {
      status: 201,
      schema: { type: 'object', required: ['id', 'name', 'key', 'createdAt'], properties: { id: { type: 'string' }, name: { type: 'string' }, key: { type: 'string' }, createdAt: { type: 'string' } } },
    },
    handle: async ({ deps, body }) => {
      const { id, name, key, createdAt } = await createApiKey(deps, body.name);
      return { status: 201, body: { id, name, key, createdAt } };
    },
  }),
  defineRoute({
    operationId: 'v1.apiKey.list',
    method: 'GET',
    path: '/v1/admin/api-keys',
    summary: 'Every admin API key, oldest first, revoked ones included (never the key itself)',
    auth: 'admin',
    response: { status: 200, schema: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: apiKeySchema } } } },
    handle: async ({ deps }) => ({ status: 200, body: { data: await listApiKeys(deps) } }),
  }),
  defineRoute({
    operationId: 'v1.apiKey.revoke',
    method: 'DELETE',
    path: '/v1/admin/api-keys/{keyId}',
    summary: 'Revoke an admin API key (it stops working within a second); revoking twice is not an error',
    auth: 'admin',
    response: { status: 204 },
    handle: async ({ deps, params }) => {
      await revokeApiKey(deps, params.keyId ?? '');
      return { status: 204 };
    },
  }),
];
