import { createPortalToken, MAX_PORTAL_TOKEN_SECONDS, revokePortalToken } from '../commands/portalTokens';
import { defineRoute } from '../route';

export const portalTokenRoutes = [
  defineRoute<{ expiresIn?: number; name?: string | null; scopes?: string[] }>({
    operationId: 'v1.portalToken.create',
    method: 'POST',
    path: '/v1/applications/{appId}/portal-tokens',
    summary: "A token for the customer's portal, scoped to this application; url is a magic link to the hosted portal",
    auth: 'admin',
    rateLimit: 'portal_tokens',
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        expiresIn: { type: 'integer', minimum: 60, maximum: MAX_PORTAL_TOKEN_SECONDS },
        name: { type: ['string', 'null'], maxLength: 256 },
        scopes: { type: 'array', items: { enum: ['read', 'write'] }, minItems: 1, maxItems: 2 },
      },
    },
    response: {
      status: 201,
      schema: { type: 'object', required: ['id', 'token', 'expiresAt', 'url'], properties: { id: { type: 'string' }, token: { type: 'string' }, expiresAt: { type: 'string' }, url: { type: 'string' } } },
    },
    handle: async ({ deps, params, body }) => {
      const { id, token, expiresAt, url } = await createPortalToken(deps, params.appId ?? '', { expiresIn: body.expiresIn ?? 3600, name: body.name, scopes: body.scopes });
      return { status: 201, body: { id, token, expiresAt, url } };
    },
  }),
  defineRoute({
    operationId: 'v1.portalToken.revoke',
    method: 'DELETE',
    path: '/v1/portal-tokens/{tokenId}',
    summary: 'Revoke a portal token',
    auth: 'admin',
    response: { status: 204 },
    handle: async ({ deps, params }) => {
      await revokePortalToken(deps, params.tokenId ?? '');
      return { status: 204 };
    },
  }),
];
