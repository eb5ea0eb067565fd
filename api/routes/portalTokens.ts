import { createPortalToken, MAX_PORTAL_TOKEN_SECONDS, revokePortalToken } from '../commands/portalTokens';
import { defineRoute } from '../route';

export const portalTokenRoutes = [
  defineRoute<{ expiresIn?: number }>({
    operationId: 'v1.portalToken.create',
    method: 'POST',
    path: '/v1/applications/{appId}/portal-tokens',
    summary: "A token for the customer's portal, scoped to this application; url is a magic link to the hosted portal",
    auth: 'admin',
    rateLimit: 'portal_tokens',
    body: { type: 'object', additionalProperties: false, properties: { expiresIn: { type: 'integer', minimum: 60, maximum: MAX_PORTAL_TOKEN_SECONDS } } },
    response: {
      status: 201,
      schema: { type: 'object', required: ['id', 'token', 'expiresAt', 'url'], properties: { id: { type: 'string' }, token: { type: 'string' }, expiresAt: { type: 'string' }, url: { type: 'string' } } },
    },
    handle: async ({ deps, params, body }) => ({ status: 201, body: await createPortalToken(deps, params.appId ?? '', body.expiresIn ?? 3600) }),
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
