import { HttpError } from '../errors';
import { defineRoute } from '../route';

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
];
