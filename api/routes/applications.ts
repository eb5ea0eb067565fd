import type { JsonObject } from '../../domain/json';
import { collections } from '../../projections/readModels';
import type { ApplicationDoc } from '../../projections/readModels';
import { createApplication, deleteApplication, getOrCreateApplication, updateApplication } from '../commands/applications';
import type { ApplicationIn } from '../commands/applications';
import { requireApplication } from '../commands/common';
import { listPage, listQuerySchema, listResponseSchema } from '../pagination';
import type { ListQuery } from '../pagination';
import { defineRoute } from '../route';
import { applicationOut, schemas } from '../shapes';

const name = { type: 'string', minLength: 1, maxLength: 256 };
const metadata = { type: 'object' };
const APP = '/v1/applications/{appId}';

export const applicationRoutes = [
  defineRoute<ApplicationIn>({
    operationId: 'v1.application.create',
    method: 'POST',
    path: '/v1/applications',
    summary: 'Create an application (one per customer); uid must be unique',
    auth: 'admin',
    body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name, uid: { type: ['string', 'null'], minLength: 1, maxLength: 256 }, metadata } },
    response: { status: 201, schema: schemas.Application },
    handle: async ({ deps, body }) => ({ status: 201, body: applicationOut((await createApplication(deps, body)).app) }),
  }),
  defineRoute<undefined, ListQuery>({
    operationId: 'v1.application.list',
    method: 'GET',
    path: '/v1/applications',
    summary: 'List applications, newest first',
    auth: 'admin',
    query: listQuerySchema(),
    response: { status: 200, schema: listResponseSchema(schemas.Application) },
    handle: async ({ deps, query }) => ({
      status: 200,
      body: await listPage(deps.reads.collection<ApplicationDoc>(collections.applications), { orderBy: { key: 'createdAt', direction: 'desc' } }, query, applicationOut),
    }),
  }),
  defineRoute({
    operationId: 'v1.application.getByUid',
    method: 'GET',
    path: '/v1/applications/uid/{uid}',
    summary: 'Get the application of a uid',
    auth: 'admin',
    response: { status: 200, schema: schemas.Application },
    handle: async ({ deps, params }) => ({ status: 200, body: applicationOut(await requireApplication(deps, params.uid ?? '')) }),
  }),
  defineRoute<{ name: string; metadata?: JsonObject }>({
    operationId: 'v1.application.getOrCreate',
    method: 'PUT',
    path: '/v1/applications/uid/{uid}',
    summary: 'Get the application of a uid, creating it if there is none (201 created, 200 existing)',
    auth: 'admin',
    body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name, metadata } },
    response: { status: 201, schema: schemas.Application },
    handle: async ({ deps, params, body }) => {
      const { app, created } = await getOrCreateApplication(deps, params.uid ?? '', body);
      return { status: created ? 201 : 200, body: applicationOut(app) };
    },
  }),
  defineRoute({
    operationId: 'v1.application.get',
    method: 'GET',
    path: APP,
    summary: 'Get an application by id (or uid)',
    auth: 'admin',
    response: { status: 200, schema: schemas.Application },
    handle: async ({ deps, params }) => ({ status: 200, body: applicationOut(await requireApplication(deps, params.appId ?? '')) }),
  }),
  defineRoute<{ name?: string; metadata?: JsonObject }>({
    operationId: 'v1.application.update',
    method: 'PATCH',
    path: APP,
    summary: 'Change an application',
    auth: 'admin',
    body: { type: 'object', additionalProperties: false, properties: { name, metadata } },
    response: { status: 200, schema: schemas.Application },
    handle: async ({ deps, params, body }) => ({ status: 200, body: applicationOut(await updateApplication(deps, params.appId ?? '', body)) }),
  }),
  defineRoute({
    operationId: 'v1.application.delete',
    method: 'DELETE',
    path: APP,
    summary: 'Delete an application; its endpoints stop receiving',
    auth: 'admin',
    response: { status: 204 },
    handle: async ({ deps, params }) => {
      await deleteApplication(deps, params.appId ?? '');
      return { status: 204 };
    },
  }),
];
