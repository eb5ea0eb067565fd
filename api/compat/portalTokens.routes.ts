import { collections } from '../../projections/readModels';
import type { PortalTokenDoc } from '../../projections/readModels';
import { requireApplication } from '../commands/common';
import { createPortalToken, requirePortalToken, revokePortalToken } from '../commands/portalTokens';
import { defineRoute } from '../route';
import { createdTokenSchema, portalTokenBodySchema, portalTokenIn, portalTokenOut, portalTokenSchema } from './portalTokens.mapping';
import type { PortalTokenBody } from './portalTokens.mapping';
import { dataSchema, one } from './wire';

export const portalTokenRoutes = [
  defineRoute<PortalTokenBody>({
    operationId: 'api.portalToken.create',
    method: 'POST',
    path: '/api/portal/webhook-applications/{appId}/tokens',
    summary: "A portal token for one application's customer; token and magic-link url are shown this once",
    auth: 'admin',
    rateLimit: 'portal_tokens',
    body: portalTokenBodySchema,
    response: { status: 201, schema: dataSchema(createdTokenSchema) },
    handle: async ({ deps, params, body }) => {
      const input = portalTokenIn(body);
      const created = await createPortalToken(deps, params.appId ?? '', { expiresIn: input.expiresInSeconds, name: input.name, scopes: input.scopes });
      const doc = await requirePortalToken(deps, null, created.id);
      return { status: 201, body: one({ ...portalTokenOut(doc, deps.now()), token: created.token, url: created.url }) };
    },
  }),
  defineRoute({
    operationId: 'api.portalToken.list',
    method: 'GET',
    path: '/api/portal/webhook-applications/{appId}/tokens',
    summary: "An application's portal tokens, newest first (without their values)",
    auth: 'admin',
    response: { status: 200, schema: dataSchema({ type: 'array', items: portalTokenSchema }) },
    handle: async ({ deps, params }) => {
      const app = await requireApplication(deps, params.appId ?? '');
      const page = await deps.reads.collection<PortalTokenDoc>(collections.portalTokens).find({ where: { applicationId: app.id }, orderBy: { key: 'createdAt', direction: 'desc' }, limit: 1000 });
      const now = deps.now();
      return { status: 200, body: one(page.items.map((t) => portalTokenOut(t, now))) };
    },
  }),
  defineRoute({
    operationId: 'api.portalToken.revoke',
    method: 'DELETE',
    path: '/api/portal/tokens/{tokenId}',
    summary: 'Revoke a portal token',
    auth: 'admin',
    response: { status: 200, schema: { type: 'object', required: ['success'], properties: { success: { type: 'boolean' } } } },
    handle: async ({ deps, params }) => {
      await revokePortalToken(deps, params.tokenId ?? '');
      return { status: 200, body: { success: true } };
    },
  }),
];
