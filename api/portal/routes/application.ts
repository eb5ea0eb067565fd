import { requireApplication } from '../../commands/common';
import { defineRoute } from '../../route';
import { applicationOut } from '../mapping/application';
import { tokenApplication } from '../principal';

export const portalApplicationRoutes = [
  defineRoute({
    operationId: 'portal.application.get',
    method: 'GET',
    path: '/portal/application',
    summary: "The token's application",
    auth: 'portal',
    response: { status: 200 },
    handle: async ({ deps, principal }) => ({
      status: 200,
      body: { data: applicationOut(await requireApplication(deps, tokenApplication(principal)), deps.config.organization?.id ?? deps.config.organizationId) },
    }),
  }),
];
