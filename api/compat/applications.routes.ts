import { notFound } from '../../domain/errors';
import { collections } from '../../projections/readModels';
import type { ApplicationDoc } from '../../projections/readModels';
import { createApplication, deleteApplication, getOrCreateApplication, setApplicationDisabled, updateApplication } from '../commands/applications';
import { requireApplication } from '../commands/common';
import type { ApiDeps } from '../deps';
import { defineRoute } from '../route';
import type { RouteResponse } from '../route';
import {
  applicationBodySchema,
  applicationCreateIn,
  applicationOut,
  applicationPatchIn,
  applicationSchema,
  applicationUpsertIn,
} from './applications.mapping';
import type { CompatApplicationBody } from './applications.mapping';
import { applicationTotals } from './stats';
import { boolFilter, compatListQuery, containsFolded, dataSchema, listSchema, one, organizationOf, scanPage } from './wire';
import type { CompatListQuery } from './wire';

const BASE = '/api/webhook-applications';

export const shapeApplication = async (deps: ApiDeps, app: ApplicationDoc) =>
  applicationOut(app, organizationOf(deps.config).id, await applicationTotals(deps, app.id));

const upsertSchema = { type: 'object', required: ['data', 'created'], properties: { data: applicationSchema, created: { type: 'boolean' } } };

const upsert = async (deps: ApiDeps, body: CompatApplicationBody): Promise<RouteResponse> => {
  const input = applicationUpsertIn(body);
  const { app, created } = await getOrCreateApplication(deps, input.uid, { name: input.name, metadata: input.metadata });
  return { status: created ? 201 : 200, body: { data: await shapeApplication(deps, app), created } };
};

export const applicationRoutes = [
  defineRoute<undefined, CompatListQuery & { search?: string; isDisabled?: boolean }>({
    operationId: 'api.application.list',
    method: 'GET',
    path: BASE,
    summary: 'List applications, newest first; search matches the name (contains, case-insensitive)',
    auth: 'admin',
    query: compatListQuery({ search: { type: 'string', maxLength: 256 }, isDisabled: boolFilter }),
    response: { status: 200, schema: listSchema(applicationSchema) },
    handle: async ({ deps, query }) => {
      const apps = deps.reads.collection<ApplicationDoc>(collections.applications);
      const where: Record<string, boolean> = query.isDisabled === undefined ? {} : { disabled: query.isDisabled };
      const search = query.search;
      const keep = (a: ApplicationDoc): boolean => search === undefined || containsFolded(a.name, search);
      return { status: 200, body: await scanPage(apps, where, 'desc', query, keep, (a) => shapeApplication(deps, a)) };
    },
  }),
  defineRoute<CompatApplicationBody>({
    operationId: 'api.application.create',
    method: 'POST',
    path: BASE,
    summary: 'Create an application; externalId (or uid) is your id for it',
    auth: 'admin',
    body: { ...applicationBodySchema, required: ['name'] },
    response: { status: 201, schema: dataSchema(applicationSchema) },
    handle: async ({ deps, body }) => {
      const { app } = await createApplication(deps, applicationCreateIn(body));
      const data = await shapeApplication(deps, app);
      return { status: 201, body: { data: { ...data, sendEventUrl: `${deps.config.publicUrl}/api/send-event` } } };
    },
  }),
  defineRoute<CompatApplicationBody>({
    operationId: 'api.application.upsert',
    method: 'PUT',
    path: `${BASE}/upsert`,
    summary: 'The application of an externalId, created if there is none ({data, created})',
    auth: 'admin',
    body: applicationBodySchema,
    response: { status: 200, schema: upsertSchema },
    handle: ({ deps, body }) => upsert(deps, body),
  }),
  defineRoute<CompatApplicationBody>({
    operationId: 'api.application.put',
    method: 'PUT',
    path: BASE,
    summary: 'Same as PUT /upsert',
    auth: 'admin',
    body: applicationBodySchema,
    response: { status: 200, schema: upsertSchema },
    handle: ({ deps, body }) => upsert(deps, body),
  }),
  defineRoute({
    operationId: 'api.application.getByExternalId',
    method: 'GET',
    path: `${BASE}/by-external-id/{uid}`,
    summary: 'The application of an externalId',
    auth: 'admin',
    response: { status: 200, schema: dataSchema(applicationSchema) },
    handle: async ({ deps, params }) => {
      const app = await requireApplication(deps, params.uid ?? '');
      if (app.uid !== params.uid) throw notFound('application', params.uid ?? '');
      return { status: 200, body: one(await shapeApplication(deps, app)) };
    },
  }),
  defineRoute({
    operationId: 'api.application.get',
    method: 'GET',
    path: `${BASE}/{appId}`,
    summary: 'Get an application (id or externalId)',
    auth: 'admin',
    response: { status: 200, schema: dataSchema(applicationSchema) },
    handle: async ({ deps, params }) => ({ status: 200, body: one(await shapeApplication(deps, await requireApplication(deps, params.appId ?? ''))) }),
  }),
  defineRoute<CompatApplicationBody>({
    operationId: 'api.application.update',
    method: 'PATCH',
    path: `${BASE}/{appId}`,
    summary: 'Change an application',
    auth: 'admin',
    body: applicationBodySchema,
    response: { status: 200, schema: dataSchema(applicationSchema) },
    handle: async ({ deps, params, body }) => {
      const { patch, disable } = applicationPatchIn(body);
      let app = Object.keys(patch).length > 0 ? await updateApplication(deps, params.appId ?? '', patch) : await requireApplication(deps, params.appId ?? '');
      if (disable !== null) app = await setApplicationDisabled(deps, app.id, disable.disabled, disable.reason);
      return { status: 200, body: one(await shapeApplication(deps, app)) };
    },
  }),
  defineRoute({
    operationId: 'api.application.delete',
    method: 'DELETE',
    path: `${BASE}/{appId}`,
    summary: 'Delete an application; its endpoints stop receiving',
    auth: 'admin',
    response: { status: 200, schema: { type: 'object', required: ['success'], properties: { success: { type: 'boolean' } } } },
    handle: async ({ deps, params }) => {
      await deleteApplication(deps, params.appId ?? '');
      return { status: 200, body: { success: true } };
    },
  }),
];
