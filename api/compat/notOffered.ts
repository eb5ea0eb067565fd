import type { JsonValue } from '../../domain/json';
import { HttpError } from '../errors';
import type { AnyRoute } from '../route';
import { defineRoute } from '../route';
import { underOrganization } from './wire';

// The hosted service's features a self-hosted server does not offer: each route the official MCP server calls for
// them (its src/lib/api.ts, checked Dec 2026) and the Node SDK's (src/resources/tunnels.ts, cronJobs.ts) answers
// 501 with the API error body naming the feature, instead of a 404 that reads as a wrong URL.

type Call = readonly [method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string];

export type NotOfferedFeature = Readonly<{ key: string; name: string; calls: readonly Call[]; sdk?: readonly Call[]; unscoped?: boolean }>;

export const NOT_OFFERED: readonly NotOfferedFeature[] = [
  {
    key: 'tunnels',
    name: 'Tunnels',
    calls: [['GET', '/tunnels'], ['POST', '/tunnels'], ['GET', '/tunnels/{id}'], ['GET', '/tunnels/{id}/status'], ['DELETE', '/tunnels/{id}']],
    sdk: [['GET', '/tunnels'], ['POST', '/tunnels'], ['GET', '/tunnels/{id}'], ['DELETE', '/tunnels/bulk']],
  },
  {
    key: 'cron',
    name: 'Cron jobs',
    calls: [['GET', '/cron'], ['POST', '/cron'], ['GET', '/cron/{id}'], ['PATCH', '/cron/{id}'], ['DELETE', '/cron/{id}'], ['POST', '/cron/{id}/trigger']],
    sdk: [['GET', '/cron'], ['POST', '/cron'], ['GET', '/cron/{id}'], ['PATCH', '/cron/{id}'], ['DELETE', '/cron/{id}']],
  },
  {
    key: 'cronGroups',
    name: 'Cron job groups',
    calls: [['GET', '/cron-groups'], ['POST', '/cron-groups'], ['GET', '/cron-groups/{id}'], ['PATCH', '/cron-groups/{id}'], ['DELETE', '/cron-groups/{id}']],
    sdk: [['GET', '/cron-groups'], ['POST', '/cron-groups']],
  },
  {
    key: 'alertRules',
    name: 'Alert rules',
    calls: [['GET', '/alert-rules'], ['POST', '/alert-rules'], ['GET', '/alert-rules/{id}'], ['PATCH', '/alert-rules/{id}'], ['DELETE', '/alert-rules/{id}'], ['POST', '/alert-rules/{id}/test']],
  },
  {
    key: 'notificationChannels',
    name: 'Notification channels',
    calls: [
      ['GET', '/notification-channels'], ['POST', '/notification-channels'], ['GET', '/notification-channels/{id}'], ['PATCH', '/notification-channels/{id}'],
      ['DELETE', '/notification-channels/{id}'],
    ],
  },
  { key: 'auditLogs', name: 'Audit logs of users', calls: [['GET', '/audit-logs'], ['GET', '/audit-logs/actions'], ['GET', '/audit-logs/users']] },
  {
    key: 'redactionPolicies',
    name: 'Redaction policies',
    calls: [
      ['GET', '/redaction-policies'], ['POST', '/redaction-policies'], ['POST', '/redaction-policies/preview'], ['GET', '/redaction-policies/{id}'],
      ['PUT', '/redaction-policies/{id}'], ['DELETE', '/redaction-policies/{id}'],
    ],
  },
  {
    key: 'scheduledSends',
    name: 'Scheduled sends',
    calls: [
      ['GET', '/scheduled-sends'], ['POST', '/scheduled-sends'], ['GET', '/scheduled-sends/{id}'], ['PATCH', '/scheduled-sends/{id}'], ['DELETE', '/scheduled-sends/{id}'],
      ['POST', '/scheduled-sends/{id}/send-now'],
    ],
  },
  {
    key: 'requestBins',
    name: 'Request bins',
    // Not organization-scoped in the MCP server (createBin … updateBinResponse call /api/bin directly).
    unscoped: true,
    calls: [['POST', '/bin'], ['GET', '/bin/{id}'], ['GET', '/bin/{id}/events'], ['GET', '/bin/{id}/events/{eventId}'], ['PATCH', '/bin/{id}/response']],
  },
];

/** The API error body's message for a feature (also what docs/official-clients.md lists). */
export const notOfferedMessage = (feature: NotOfferedFeature): string =>
  `${feature.name} are not offered by a self-hosted Hookbase server: this route of the hosted service has no counterpart here (docs/official-clients.md).`;

const route = (feature: NotOfferedFeature, [method, path]: Call, i: number, prefix: string): AnyRoute =>
  defineRoute<JsonValue>({
    // [a-zA-Z] only (api/http.test.ts checks the naming): the call's index as a letter.
    operationId: `api.notOffered.${feature.key}${prefix === '' ? 'Sdk' : 'Mcp'}${String.fromCharCode(65 + i)}`,
    method,
    path: `/api${path}`,
    summary: `501: ${feature.name} are not offered by a self-hosted server`,
    auth: 'admin',
    ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }),
    response: { status: 501, description: `${feature.name} are not offered` },
    handle: async () => {
      throw new HttpError(501, 'not_offered', notOfferedMessage(feature));
    },
  });

/** Every route of NOT_OFFERED: the MCP server's under /api/organizations/{orgId} (bins: under /api), the SDK's under /api. */
export const notOfferedRoutes = (): AnyRoute[] =>
  NOT_OFFERED.flatMap((feature) => [
    ...feature.calls.map((call, i) => (feature.unscoped ? route(feature, call, i, 'mcp') : underOrganization(route(feature, call, i, 'mcp')))),
    ...(feature.sdk ?? []).map((call, i) => route(feature, call, i, '')),
  ]);
