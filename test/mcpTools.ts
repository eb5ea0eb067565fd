// Every tool of the official MCP server (HookbaseApp/mcp-server, src/tools/*.ts and src/lib/api.ts, read Dec 2026)
// as the HTTP request it builds: method, path (under /api/organizations/{orgId} unless absolute), body, and the
// fields of the answer the tool reads. Written from reading its source, cited per group; none of its code is here.
// The MCP server's fetch sends JSON with `Authorization: Bearer` and prints `error` (or `message`) of a non-2xx answer.

export type Req = Readonly<{ method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; path: string; body?: Record<string, unknown> }>;

/** Ids made by earlier tools, for later ones. */
export type ToolState = Record<string, string>;

export type ToolCase = Readonly<{
  tool: string;
  /** The MCP server's file that defines the tool. */
  source: string;
  request: (s: ToolState) => Req;
  /** Dotted paths the tool reads from the answer body; `x[]` = every item of the list `x` (which must not be empty). */
  reads: readonly string[];
  /** Fields the tool sent, as they must come back: [path in the answer, value]. */
  echoes?: (s: ToolState) => readonly (readonly [string, unknown])[];
  /** Keeps what later tools need. */
  keep?: (body: Record<string, unknown>, s: ToolState) => void;
}>;

const OUTBOUND = 'src/tools/outbound.ts';
const TYPES = 'src/tools/outbound-event-types.ts';
const MESSAGES = 'src/tools/outbound-messages.ts';

const id = (body: Record<string, unknown>, ...path: string[]): string => {
  let v: unknown = body;
  for (const p of path) v = (v as Record<string, unknown> | undefined)?.[p];
  return String(v);
};

const APP_FIELDS = ['id', 'name', 'externalId', 'isDisabled', 'totalEndpoints', 'totalMessagesSent', 'totalMessagesFailed', 'rateLimitPerSecond', 'rateLimitPerMinute', 'rateLimitPerHour', 'createdAt'];
const EP_LIST_FIELDS = ['id', 'applicationId', 'url', 'description', 'isDisabled', 'circuitState', 'totalMessages', 'totalSuccesses', 'totalFailures', 'avgResponseTimeMs', 'subscriptionCount', 'createdAt'];
const EP_FIELDS = [
  'id', 'applicationId', 'url', 'description', 'secretPrefix', 'hasSecret', 'secretVersion', 'headers', 'timeoutSeconds', 'isDisabled', 'disabledAt', 'disabledReason',
  'circuitState', 'circuitOpenedAt', 'circuitFailureCount', 'circuitFailureThreshold', 'circuitSuccessThreshold', 'circuitCooldownSeconds', 'totalMessages',
  'totalSuccesses', 'totalFailures', 'avgResponseTimeMs', 'lastSuccessAt', 'lastFailureAt', 'lastResponseStatus', 'isVerified', 'verifiedAt', 'createdAt', 'updatedAt',
];
const SUB_LIST_FIELDS = [
  'id', 'endpointId', 'eventTypeId', 'filterExpression', 'labelFilters', 'labelFilterMode', 'transformId', 'isEnabled', 'endpointUrl', 'eventTypeName',
  'eventTypeDisplayName', 'applicationId', 'applicationName', 'createdAt',
];
const SUB_FIELDS = ['id', 'endpointId', 'eventTypeId', 'filterExpression', 'labelFilters', 'labelFilterMode', 'transformId', 'isEnabled', 'endpoint', 'eventType', 'application', 'createdAt', 'createdBy'];
const TYPE_LIST_FIELDS = ['id', 'name', 'displayName', 'description', 'category', 'isEnabled', 'isDeprecated', 'subscriptionCount', 'createdAt'];
const TYPE_FIELDS = [
  'id', 'name', 'displayName', 'description', 'category', 'schema', 'schemaVersion', 'examplePayload', 'documentationUrl', 'isEnabled', 'isDeprecated',
  'deprecatedAt', 'deprecatedMessage', 'subscriptionCount', 'createdAt', 'updatedAt',
];
const MSG_LIST_FIELDS = [
  'id', 'eventId', 'eventType', 'applicationId', 'applicationName', 'endpointId', 'endpointUrl', 'status', 'attempts', 'maxAttempts', 'lastResponseStatus',
  'lastErrorMessage', 'createdAt', 'completedAt',
];
const ATTEMPT_FIELDS = ['id', 'attemptNumber', 'status', 'responseStatus', 'responseTimeMs', 'responseBody', 'errorMessage', 'createdAt'];

const each = (list: string, fields: readonly string[]): string[] => fields.map((f) => `${list}[].${f}`);

/** The 34 outbound tools (applications, endpoints, subscriptions, event types, messages, analytics, API keys), in an order that works. */
export const OUTBOUND_TOOLS: readonly ToolCase[] = [
  {
    tool: 'hookbase_create_application', source: OUTBOUND,
    request: (s) => ({ method: 'POST', path: '/webhook-applications', body: { name: 'MCP App', externalId: s.externalId, metadata: { plan: 'pro' }, rateLimitPerSecond: 5 } }),
    reads: ['data'],
    echoes: (s) => [['data.name', 'MCP App'], ['data.externalId', s.externalId], ['data.metadata', { plan: 'pro' }]],
    keep: (b, s) => { s.app = id(b, 'data', 'id'); },
  },
  { tool: 'hookbase_list_applications', source: OUTBOUND, request: () => ({ method: 'GET', path: '/webhook-applications?search=MCP&isDisabled=false&limit=10' }), reads: [...each('data', APP_FIELDS), 'pagination'] },
  {
    tool: 'hookbase_get_application', source: OUTBOUND, request: (s) => ({ method: 'GET', path: `/webhook-applications/${s.app}` }),
    reads: ['data.id', 'data.name', 'data.externalId', 'data.metadata', 'data.isDisabled', 'data.disabledAt', 'data.disabledReason', 'data.totalEndpoints', 'data.totalMessagesSent', 'data.totalMessagesFailed', 'data.lastEventAt', 'data.createdAt', 'data.updatedAt'],
  },
  {
    tool: 'hookbase_update_application', source: OUTBOUND,
    request: (s) => ({ method: 'PATCH', path: `/webhook-applications/${s.app}`, body: { name: 'MCP App 2', metadata: { plan: 'team' }, isDisabled: false } }),
    reads: ['data'], echoes: () => [['data.name', 'MCP App 2'], ['data.metadata', { plan: 'team' }], ['data.isDisabled', false]],
  },
  {
    tool: 'hookbase_create_event_type', source: TYPES,
    request: (s) => ({
      method: 'POST', path: '/event-types',
      body: { name: s.typeName, displayName: 'Order paid', description: 'An order was paid', category: 'orders', schema: '{"type":"object"}', examplePayload: '{"amount":1}', documentationUrl: 'https://docs.example.com/order-paid', isEnabled: true },
    }),
    reads: ['data'],
    echoes: (s) => [['data.name', s.typeName], ['data.displayName', 'Order paid'], ['data.description', 'An order was paid'], ['data.category', 'orders'], ['data.schema', '{"type":"object"}'], ['data.examplePayload', '{"amount":1}'], ['data.documentationUrl', 'https://docs.example.com/order-paid'], ['data.isEnabled', true], ['data.schemaVersion', 1]],
    keep: (b, s) => { s.type = id(b, 'data', 'id'); },
  },
  { tool: 'hookbase_list_event_types', source: TYPES, request: () => ({ method: 'GET', path: '/event-types?category=orders&isEnabled=true&limit=10' }), reads: [...each('data', TYPE_LIST_FIELDS), 'pagination'] },
  { tool: 'hookbase_get_event_type', source: TYPES, request: (s) => ({ method: 'GET', path: `/event-types/${s.type}` }), reads: TYPE_FIELDS.map((f) => `data.${f}`) },
  {
    tool: 'hookbase_update_event_type', source: TYPES,
    request: (s) => ({ method: 'PATCH', path: `/event-types/${s.type}`, body: { displayName: 'Order paid (v1)', description: 'Paid', category: 'billing', schema: '{"type":"object","properties":{"amount":{"type":"number"}}}', examplePayload: '{"amount":2}', documentationUrl: 'https://docs.example.com/v1', isEnabled: true, isDeprecated: true, deprecatedMessage: 'Use order.settled' } }),
    reads: ['data'],
    echoes: () => [['data.displayName', 'Order paid (v1)'], ['data.category', 'billing'], ['data.examplePayload', '{"amount":2}'], ['data.documentationUrl', 'https://docs.example.com/v1'], ['data.isDeprecated', true], ['data.deprecatedMessage', 'Use order.settled'], ['data.schemaVersion', 2]],
  },
  {
    tool: 'hookbase_create_endpoint', source: OUTBOUND,
    request: (s) => ({ method: 'POST', path: '/webhook-endpoints', body: { applicationId: s.app, url: s.receiverUrl, description: 'MCP endpoint', headers: [{ name: 'X-Tenant', value: 'acme' }], timeoutSeconds: 10 } }),
    reads: ['data.id', 'data.url', 'data.secret'],
    echoes: (s) => [['data.url', s.receiverUrl], ['data.description', 'MCP endpoint'], ['data.headers', [{ name: 'X-Tenant', value: 'acme' }]], ['data.timeoutSeconds', 10]],
    keep: (b, s) => { s.endpoint = id(b, 'data', 'id'); },
  },
  { tool: 'hookbase_list_endpoints', source: OUTBOUND, request: (s) => ({ method: 'GET', path: `/webhook-endpoints?applicationId=${s.app}&isDisabled=false&circuitState=closed&limit=10` }), reads: [...each('data', EP_LIST_FIELDS), 'pagination'] },
  { tool: 'hookbase_get_endpoint', source: OUTBOUND, request: (s) => ({ method: 'GET', path: `/webhook-endpoints/${s.endpoint}` }), reads: EP_FIELDS.map((f) => `data.${f}`) },
  {
    tool: 'hookbase_update_endpoint', source: OUTBOUND,
    request: (s) => ({ method: 'PATCH', path: `/webhook-endpoints/${s.endpoint}`, body: { description: 'MCP endpoint 2', headers: [{ name: 'X-Env', value: 'prod' }], timeoutSeconds: 12, isDisabled: false } }),
    reads: ['data'], echoes: () => [['data.description', 'MCP endpoint 2'], ['data.headers', [{ name: 'X-Env', value: 'prod' }]], ['data.timeoutSeconds', 12], ['data.isDisabled', false]],
  },
  {
    tool: 'hookbase_rotate_endpoint_secret', source: OUTBOUND, request: (s) => ({ method: 'POST', path: `/webhook-endpoints/${s.endpoint}/rotate-secret`, body: { gracePeriodSeconds: 60 } }),
    reads: ['secret', 'secretVersion', 'previousSecretExpiresAt'],
  },
  { tool: 'hookbase_reset_endpoint_circuit', source: OUTBOUND, request: (s) => ({ method: 'POST', path: `/webhook-endpoints/${s.endpoint}/reset-circuit` }), reads: ['circuitState'], echoes: () => [['circuitState', 'closed']] },
  {
    tool: 'hookbase_create_subscription', source: OUTBOUND,
    request: (s) => ({ method: 'POST', path: '/webhook-subscriptions', body: { endpointId: s.endpoint, eventTypeId: s.type, filterExpression: 'amount > 0', labelFilters: { env: ['production', 'staging'] }, labelFilterMode: 'any', isEnabled: true } }),
    reads: ['data'],
    echoes: (s) => [['data.endpointId', s.endpoint], ['data.eventTypeId', s.type], ['data.filterExpression', 'amount > 0'], ['data.labelFilters', { env: ['production', 'staging'] }], ['data.labelFilterMode', 'any'], ['data.isEnabled', true]],
    keep: (b, s) => { s.subscription = id(b, 'data', 'id'); },
  },
  { tool: 'hookbase_list_subscriptions', source: OUTBOUND, request: (s) => ({ method: 'GET', path: `/webhook-subscriptions?endpointId=${s.endpoint}&eventTypeId=${s.type}&applicationId=${s.app}&isEnabled=true&limit=10` }), reads: [...each('data', SUB_LIST_FIELDS), 'pagination'] },
  { tool: 'hookbase_get_subscription', source: OUTBOUND, request: (s) => ({ method: 'GET', path: `/webhook-subscriptions/${s.subscription}` }), reads: SUB_FIELDS.map((f) => `data.${f}`) },
  {
    tool: 'hookbase_update_subscription', source: OUTBOUND,
    request: (s) => ({ method: 'PATCH', path: `/webhook-subscriptions/${s.subscription}`, body: { filterExpression: 'amount > 1', labelFilters: { env: 'production' }, labelFilterMode: 'all', isEnabled: true } }),
    reads: ['data'], echoes: () => [['data.filterExpression', 'amount > 1'], ['data.labelFilters', { env: 'production' }], ['data.labelFilterMode', 'all'], ['data.isEnabled', true]],
  },
  {
    tool: 'hookbase_send_event', source: MESSAGES,
    request: (s) => ({ method: 'POST', path: '/send-event', body: { eventType: s.type, payload: { amount: 5 }, applicationId: s.app, endpointId: s.endpoint, idempotencyKey: s.idempotencyKey, labels: { env: 'production' }, metadata: { source: 'mcp' } } }),
    reads: ['data.eventId', 'data.messagesQueued', 'data.endpoints'],
    echoes: (s) => [['data.messagesQueued', 1], ['data.endpoints', [{ id: s.endpoint, url: s.receiverUrl }]]],
    keep: (b, s) => { s.message = id(b, 'data', 'eventId'); },
  },
  { tool: 'hookbase_list_outbound_messages', source: MESSAGES, request: (s) => ({ method: 'GET', path: `/outbound-messages?status=success&eventType=${s.type}&applicationId=${s.app}&endpointId=${s.endpoint}&limit=10` }), reads: [...each('data', MSG_LIST_FIELDS), 'pagination'], keep: (b, s) => { s.outbound = id(b, 'data', '0', 'id'); } },
  { tool: 'hookbase_get_outbound_message', source: MESSAGES, request: (s) => ({ method: 'GET', path: `/outbound-messages/${s.outbound}` }), reads: ['data'] },
  { tool: 'hookbase_get_message_attempts', source: MESSAGES, request: (s) => ({ method: 'GET', path: `/outbound-messages/${s.outbound}/attempts` }), reads: each('data', ATTEMPT_FIELDS) },
  { tool: 'hookbase_replay_message', source: MESSAGES, request: (s) => ({ method: 'POST', path: `/outbound-messages/${s.outbound}/replay` }), reads: ['data.originalMessageId', 'data.newMessageId', 'data.status'] },
  { tool: 'hookbase_get_outbound_stats', source: MESSAGES, request: () => ({ method: 'GET', path: '/outbound-messages/stats/summary' }), reads: ['data.pending', 'data.processing', 'data.success', 'data.failed', 'data.exhausted', 'data.total'] },
  {
    tool: 'hookbase_get_webhook_analytics', source: 'src/tools/webhook-analytics.ts',
    request: (s) => ({ method: 'GET', path: `/webhooks/analytics?timeRange=24h&applicationId=${s.app}&endpointId=${s.endpoint}` }),
    reads: ['data.totals', 'data.successRate', 'data.latency.p95Ms', 'data.topFailingEndpoints', 'data.days'],
    echoes: (s) => [['data.timeRange', '24h'], ['data.applicationId', s.app], ['data.endpointId', s.endpoint]],
  },
  {
    tool: 'hookbase_get_webhook_endpoint_analytics', source: 'src/tools/webhook-analytics.ts',
    request: (s) => ({ method: 'GET', path: `/webhooks/analytics/endpoints/${s.endpoint}?timeRange=7d` }),
    reads: ['data.circuitState', 'data.lifetime.totalMessages', 'data.statusCounts', 'data.avgResponseTimeMs', 'data.recentAttempts'],
    echoes: (s) => [['data.timeRange', '7d'], ['data.endpointId', s.endpoint]],
  },
  {
    tool: 'hookbase_get_analytics', source: 'src/tools/analytics.ts', request: () => ({ method: 'GET', path: '/analytics/dashboard?range=24h' }),
    reads: ['overview.totalEvents', 'overview.totalDeliveries', 'overview.successfulDeliveries', 'overview.failedDeliveries', 'overview.successRate', 'overview.avgResponseTime', 'topSources', 'topDestinations', 'eventsByHour', 'deliveriesByStatus'],
  },
  { tool: 'hookbase_create_api_key', source: 'src/tools/api-keys.ts', request: () => ({ method: 'POST', path: '/api-keys', body: { name: 'mcp key' } }), reads: ['apiKey.id', 'apiKey.key', 'apiKey.keyPrefix', 'apiKey.scopes', 'apiKey.expiresAt'], echoes: () => [['apiKey.name', 'mcp key']], keep: (b, s) => { s.apiKey = id(b, 'apiKey', 'id'); s.apiKeyValue = id(b, 'apiKey', 'key'); } },
  { tool: 'hookbase_list_api_keys', source: 'src/tools/api-keys.ts', request: () => ({ method: 'GET', path: '/api-keys' }), reads: each('apiKeys', ['id', 'name', 'keyPrefix', 'scopes', 'expiresAt', 'lastUsedAt', 'createdAt']) },
  { tool: 'hookbase_delete_api_key', source: 'src/tools/api-keys.ts', request: (s) => ({ method: 'DELETE', path: `/api-keys/${s.apiKey}` }), reads: ['success'] },
  { tool: 'hookbase_delete_subscription', source: OUTBOUND, request: (s) => ({ method: 'DELETE', path: `/webhook-subscriptions/${s.subscription}` }), reads: ['success'] },
  { tool: 'hookbase_delete_endpoint', source: OUTBOUND, request: (s) => ({ method: 'DELETE', path: `/webhook-endpoints/${s.endpoint}` }), reads: ['success'] },
  { tool: 'hookbase_delete_event_type', source: TYPES, request: (s) => ({ method: 'DELETE', path: `/event-types/${s.type}` }), reads: ['success'] },
  { tool: 'hookbase_delete_application', source: OUTBOUND, request: (s) => ({ method: 'DELETE', path: `/webhook-applications/${s.app}` }), reads: ['success'] },
];

/** The 46 tools of features a self-hosted server does not offer: [tool, source file, method, path, feature name in the 501]. */
export const NOT_OFFERED_TOOLS: readonly (readonly [string, string, Req['method'], string, string])[] = [
  ['hookbase_list_tunnels', 'src/tools/tunnels.ts', 'GET', '/tunnels', 'Tunnels'],
  ['hookbase_create_tunnel', 'src/tools/tunnels.ts', 'POST', '/tunnels', 'Tunnels'],
  ['hookbase_get_tunnel_status', 'src/tools/tunnels.ts', 'GET', '/tunnels/tun_1/status', 'Tunnels'],
  ['hookbase_delete_tunnel', 'src/tools/tunnels.ts', 'DELETE', '/tunnels/tun_1', 'Tunnels'],
  ['hookbase_list_cron_jobs', 'src/tools/cron.ts', 'GET', '/cron', 'Cron jobs'],
  ['hookbase_create_cron_job', 'src/tools/cron.ts', 'POST', '/cron', 'Cron jobs'],
  ['hookbase_get_cron_job', 'src/tools/cron.ts', 'GET', '/cron/cj_1', 'Cron jobs'],
  ['hookbase_update_cron_job', 'src/tools/cron.ts', 'PATCH', '/cron/cj_1', 'Cron jobs'],
  ['hookbase_delete_cron_job', 'src/tools/cron.ts', 'DELETE', '/cron/cj_1', 'Cron jobs'],
  ['hookbase_trigger_cron', 'src/tools/cron.ts', 'POST', '/cron/cj_1/trigger', 'Cron jobs'],
  ['hookbase_list_cron_groups', 'src/tools/cron-groups.ts', 'GET', '/cron-groups', 'Cron job groups'],
  ['hookbase_get_cron_group', 'src/tools/cron-groups.ts', 'GET', '/cron-groups/cg_1', 'Cron job groups'],
  ['hookbase_create_cron_group', 'src/tools/cron-groups.ts', 'POST', '/cron-groups', 'Cron job groups'],
  ['hookbase_update_cron_group', 'src/tools/cron-groups.ts', 'PATCH', '/cron-groups/cg_1', 'Cron job groups'],
  ['hookbase_delete_cron_group', 'src/tools/cron-groups.ts', 'DELETE', '/cron-groups/cg_1', 'Cron job groups'],
  ['hookbase_list_alert_rules', 'src/tools/alert-rules.ts', 'GET', '/alert-rules', 'Alert rules'],
  ['hookbase_get_alert_rule', 'src/tools/alert-rules.ts', 'GET', '/alert-rules/ar_1', 'Alert rules'],
  ['hookbase_create_alert_rule', 'src/tools/alert-rules.ts', 'POST', '/alert-rules', 'Alert rules'],
  ['hookbase_update_alert_rule', 'src/tools/alert-rules.ts', 'PATCH', '/alert-rules/ar_1', 'Alert rules'],
  ['hookbase_delete_alert_rule', 'src/tools/alert-rules.ts', 'DELETE', '/alert-rules/ar_1', 'Alert rules'],
  ['hookbase_test_alert_rule', 'src/tools/alert-rules.ts', 'POST', '/alert-rules/ar_1/test', 'Alert rules'],
  ['hookbase_list_notification_channels', 'src/tools/notification-channels.ts', 'GET', '/notification-channels', 'Notification channels'],
  ['hookbase_get_notification_channel', 'src/tools/notification-channels.ts', 'GET', '/notification-channels/nc_1', 'Notification channels'],
  ['hookbase_create_notification_channel', 'src/tools/notification-channels.ts', 'POST', '/notification-channels', 'Notification channels'],
  ['hookbase_update_notification_channel', 'src/tools/notification-channels.ts', 'PATCH', '/notification-channels/nc_1', 'Notification channels'],
  ['hookbase_delete_notification_channel', 'src/tools/notification-channels.ts', 'DELETE', '/notification-channels/nc_1', 'Notification channels'],
  ['hookbase_list_audit_logs', 'src/tools/audit-logs.ts', 'GET', '/audit-logs?limit=10', 'Audit logs of users'],
  ['hookbase_list_audit_log_actions', 'src/tools/audit-logs.ts', 'GET', '/audit-logs/actions', 'Audit logs of users'],
  ['hookbase_list_audit_log_users', 'src/tools/audit-logs.ts', 'GET', '/audit-logs/users', 'Audit logs of users'],
  ['hookbase_list_redaction_policies', 'src/tools/redaction-policies.ts', 'GET', '/redaction-policies', 'Redaction policies'],
  ['hookbase_get_redaction_policy', 'src/tools/redaction-policies.ts', 'GET', '/redaction-policies/rp_1', 'Redaction policies'],
  ['hookbase_create_redaction_policy', 'src/tools/redaction-policies.ts', 'POST', '/redaction-policies', 'Redaction policies'],
  ['hookbase_update_redaction_policy', 'src/tools/redaction-policies.ts', 'PUT', '/redaction-policies/rp_1', 'Redaction policies'],
  ['hookbase_delete_redaction_policy', 'src/tools/redaction-policies.ts', 'DELETE', '/redaction-policies/rp_1', 'Redaction policies'],
  ['hookbase_preview_redaction_policy', 'src/tools/redaction-policies.ts', 'POST', '/redaction-policies/preview', 'Redaction policies'],
  ['hookbase_list_scheduled_sends', 'src/tools/scheduled-sends.ts', 'GET', '/scheduled-sends?page=1', 'Scheduled sends'],
  ['hookbase_get_scheduled_send', 'src/tools/scheduled-sends.ts', 'GET', '/scheduled-sends/ss_1', 'Scheduled sends'],
  ['hookbase_create_scheduled_send', 'src/tools/scheduled-sends.ts', 'POST', '/scheduled-sends', 'Scheduled sends'],
  ['hookbase_update_scheduled_send', 'src/tools/scheduled-sends.ts', 'PATCH', '/scheduled-sends/ss_1', 'Scheduled sends'],
  ['hookbase_cancel_scheduled_send', 'src/tools/scheduled-sends.ts', 'DELETE', '/scheduled-sends/ss_1', 'Scheduled sends'],
  ['hookbase_send_scheduled_send_now', 'src/tools/scheduled-sends.ts', 'POST', '/scheduled-sends/ss_1/send-now', 'Scheduled sends'],
  ['hookbase_create_bin', 'src/tools/bins.ts', 'POST', '/api/bin', 'Request bins'],
  ['hookbase_get_bin', 'src/tools/bins.ts', 'GET', '/api/bin/bin_1', 'Request bins'],
  ['hookbase_list_bin_events', 'src/tools/bins.ts', 'GET', '/api/bin/bin_1/events?limit=10', 'Request bins'],
  ['hookbase_get_bin_event', 'src/tools/bins.ts', 'GET', '/api/bin/bin_1/events/ev_1', 'Request bins'],
  ['hookbase_update_bin_response', 'src/tools/bins.ts', 'PATCH', '/api/bin/bin_1/response', 'Request bins'],
];

const SOURCES = 'src/tools/sources.ts';
const DESTS = 'src/tools/destinations.ts';
const ROUTES = 'src/tools/routes.ts';
const FILTERS = 'src/tools/filters.ts';
const TRANSFORMS = 'src/tools/transforms.ts';
const SCHEMAS = 'src/tools/schemas.ts';

/** The inbound tools, all 43 served here. */
export const INBOUND_TOOLS: readonly ToolCase[] = [
  {
    tool: 'hookbase_create_source', source: SOURCES,
    request: (s) => ({ method: 'POST', path: '/sources', body: { name: 'Stripe', slug: s.sourceSlug, description: 'payments', rejectInvalidSignatures: false, rateLimitPerMinute: 600, transientMode: false, provider: 'generic' } }),
    reads: ['source.id', 'source.name', 'source.slug'],
    echoes: (s) => [['source.slug', s.sourceSlug], ['source.description', 'payments'], ['source.reject_invalid_signatures', false], ['source.rate_limit_per_minute', 600], ['source.transientMode', false]],
    keep: (b, s) => { s.source = id(b, 'source', 'id'); s.ingestUrl = id(b, 'source', 'ingestUrl'); },
  },
  { tool: 'hookbase_list_sources', source: SOURCES, request: () => ({ method: 'GET', path: '/sources' }), reads: each('sources', ['id', 'name', 'slug', 'provider', 'is_active', 'transientMode', 'created_at', 'event_count', 'route_count']) },
  { tool: 'hookbase_get_source', source: SOURCES, request: (s) => ({ method: 'GET', path: `/sources/${s.source}` }), reads: ['source.id', 'source.name', 'source.slug', 'source.provider', 'source.description', 'source.is_active', 'source.created_at', 'source.event_count', 'source.route_count'] },
  {
    tool: 'hookbase_update_source', source: SOURCES, request: (s) => ({ method: 'PATCH', path: `/sources/${s.source}`, body: { name: 'Stripe live', description: 'live payments', isActive: true } }),
    reads: ['source'], echoes: () => [['source.name', 'Stripe live'], ['source.description', 'live payments'], ['source.is_active', 1]],
  },
  {
    tool: 'hookbase_create_destination', source: DESTS,
    request: (s) => ({ method: 'POST', path: '/destinations', body: { name: 'Billing service', slug: 'billing-service', type: 'http', url: s.receiverUrl, method: 'POST', headers: { 'X-Env': 'dev' }, authType: 'none', timeoutMs: 30000 } }),
    reads: ['destination.id', 'destination.name', 'destination.url'],
    echoes: (s) => [['destination.url', s.receiverUrl], ['destination.method', 'POST'], ['destination.headers', { 'X-Env': 'dev' }], ['destination.auth_type', 'none'], ['destination.timeout_ms', 30000]],
    keep: (b, s) => { s.destination = id(b, 'destination', 'id'); },
  },
  { tool: 'hookbase_list_destinations', source: DESTS, request: () => ({ method: 'GET', path: '/destinations' }), reads: each('destinations', ['id', 'name', 'slug', 'url', 'method', 'auth_type', 'is_active', 'created_at', 'delivery_count', 'success_count', 'failure_count']) },
  // test_destination: POST destinations/{id}/test (mcp-server src/lib/api.ts testDestination), reads its five fields.
  {
    tool: 'hookbase_test_destination', source: DESTS, request: (s) => ({ method: 'POST', path: `/destinations/${s.destination}/test` }),
    reads: ['success', 'statusCode', 'responseTime', 'responseBody'], echoes: () => [['success', true], ['statusCode', 200]],
  },
  { tool: 'hookbase_get_destination', source: DESTS, request: (s) => ({ method: 'GET', path: `/destinations/${s.destination}` }), reads: ['destination.id', 'destination.url', 'destination.headers', 'destination.timeout_ms', 'destination.is_active'] },
  {
    tool: 'hookbase_update_destination', source: DESTS, request: (s) => ({ method: 'PATCH', path: `/destinations/${s.destination}`, body: { name: 'Billing', timeoutMs: 10000, isActive: true } }),
    reads: ['destination'], echoes: () => [['destination.name', 'Billing'], ['destination.timeout_ms', 10000]],
  },
  {
    tool: 'hookbase_create_filter', source: FILTERS,
    request: () => ({ method: 'POST', path: '/filters', body: { name: 'Paid only', conditions: [{ field: 'type', operator: 'equals', value: 'invoice.paid' }], logic: 'AND' } }),
    reads: ['filter.id', 'filter.name'], echoes: () => [['filter.name', 'Paid only'], ['filter.conditions', [{ field: 'type', operator: 'equals', value: 'invoice.paid' }]]],
    keep: (b, s) => { s.filter = id(b, 'filter', 'id'); },
  },
  { tool: 'hookbase_list_filters', source: FILTERS, request: () => ({ method: 'GET', path: '/filters?page=1&pageSize=20' }), reads: [...each('filters', ['id', 'name', 'conditions', 'logic']), 'pagination.total'] },
  { tool: 'hookbase_get_filter', source: FILTERS, request: (s) => ({ method: 'GET', path: `/filters/${s.filter}` }), reads: ['filter.id', 'filter.conditions', 'filter.logic'] },
  { tool: 'hookbase_update_filter', source: FILTERS, request: (s) => ({ method: 'PATCH', path: `/filters/${s.filter}`, body: { name: 'Paid', conditions: [{ field: 'type', operator: 'starts_with', value: 'invoice.' }], logic: 'OR' } }), reads: ['success'] },
  {
    tool: 'hookbase_test_transform', source: TRANSFORMS, request: () => ({ method: 'POST', path: '/transforms/test', body: { code: '{"id": id}', payload: { id: 'evt_1', x: 1 }, transformType: 'jsonata', inputFormat: 'json', outputFormat: 'json' } }),
    reads: ['success', 'output'], echoes: () => [['success', true], ['output', { id: 'evt_1' }]],
  },
  {
    tool: 'hookbase_create_transform', source: TRANSFORMS, request: () => ({ method: 'POST', path: '/transforms', body: { name: 'Slim', code: '{"id": id}', transformType: 'jsonata', inputFormat: 'json', outputFormat: 'json' } }),
    reads: ['transform.id', 'transform.name'], echoes: () => [['transform.code', '{"id": id}'], ['transform.transformType', 'jsonata']],
    keep: (b, s) => { s.transform = id(b, 'transform', 'id'); },
  },
  { tool: 'hookbase_list_transforms', source: TRANSFORMS, request: () => ({ method: 'GET', path: '/transforms?page=1&pageSize=20' }), reads: [...each('transforms', ['id', 'name', 'transformType']), 'pagination.total'] },
  { tool: 'hookbase_get_transform', source: TRANSFORMS, request: (s) => ({ method: 'GET', path: `/transforms/${s.transform}` }), reads: ['transform.id', 'transform.code', 'transform.transformType'] },
  { tool: 'hookbase_update_transform', source: TRANSFORMS, request: (s) => ({ method: 'PATCH', path: `/transforms/${s.transform}`, body: { name: 'Slimmer', code: '{"id": id, "n": 1}' } }), reads: ['success'] },
  {
    tool: 'hookbase_create_schema', source: SCHEMAS, request: () => ({ method: 'POST', path: '/schemas', body: { name: 'Invoice', description: 'an invoice', jsonSchema: { type: 'object', required: ['id'] } } }),
    reads: ['schema.id', 'schema.name'], echoes: () => [['schema.jsonSchema', { type: 'object', required: ['id'] }]],
    keep: (b, s) => { s.schema = id(b, 'schema', 'id'); },
  },
  { tool: 'hookbase_list_schemas', source: SCHEMAS, request: () => ({ method: 'GET', path: '/schemas' }), reads: each('schemas', ['id', 'name', 'jsonSchema']) },
  { tool: 'hookbase_get_schema', source: SCHEMAS, request: (s) => ({ method: 'GET', path: `/schemas/${s.schema}` }), reads: ['schema.id', 'schema.jsonSchema'] },
  { tool: 'hookbase_update_schema', source: SCHEMAS, request: (s) => ({ method: 'PUT', path: `/schemas/${s.schema}`, body: { name: 'Invoice v2', jsonSchema: { type: 'object' } } }), reads: ['success'] },
  { tool: 'hookbase_validate_against_schema', source: SCHEMAS, request: (s) => ({ method: 'POST', path: `/schemas/${s.schema}/validate`, body: { payload: { x: 1 } } }), reads: ['valid', 'errors'], echoes: () => [['valid', true]] },
  {
    tool: 'hookbase_create_route', source: ROUTES,
    request: (s) => ({ method: 'POST', path: '/routes', body: { name: 'Stripe → billing', sourceId: s.source, destinationId: s.destination, filterConditions: { logic: 'AND', conditions: [{ field: 'type', operator: 'equals', value: 'invoice.paid' }] }, transformId: s.transform, priority: 1, isActive: true } }),
    reads: ['route.id', 'route.name'], echoes: (s) => [['route.source_id', s.source], ['route.destination_id', s.destination], ['route.transform_id', s.transform], ['route.priority', 1], ['route.is_active', 1]],
    keep: (b, s) => { s.route = id(b, 'route', 'id'); },
  },
  { tool: 'hookbase_list_routes', source: ROUTES, request: () => ({ method: 'GET', path: '/routes' }), reads: each('routes', ['id', 'name', 'source_id', 'destination_id', 'priority', 'is_active', 'created_at', 'delivery_count']) },
  { tool: 'hookbase_get_route', source: ROUTES, request: (s) => ({ method: 'GET', path: `/routes/${s.route}` }), reads: ['route.id', 'route.filter_id', 'route.transform_id', 'route.schema_id', 'route.priority'] },
  { tool: 'hookbase_update_route', source: ROUTES, request: (s) => ({ method: 'PATCH', path: `/routes/${s.route}`, body: { name: 'Stripe → billing (2)', priority: 2, isActive: true } }), reads: ['route'], echoes: () => [['route.priority', 2]] },
  // An event is ingested before these (test/compatMcpTools.test.ts posts to the source's ingestUrl).
  {
    tool: 'hookbase_list_events', source: 'src/tools/events.ts', request: (s) => ({ method: 'GET', path: `/events?limit=10&sourceId=${s.source}` }),
    reads: [...each('events', ['id', 'source_id', 'event_type', 'status', 'signature_valid', 'delivery_count', 'received_at']), 'total', 'hasMore'],
    keep: (b, s) => { s.event = id(b, 'events', '0', 'id'); },
  },
  { tool: 'hookbase_get_event', source: 'src/tools/events.ts', request: (s) => ({ method: 'GET', path: `/events/${s.event}` }), reads: ['event.id', 'event.source_id', 'event.headers', 'event.payload', 'event.deliveries'] },
  // get_event_debug: the event, then its source (by the event's camelCase sourceId), to build a cURL to the ingest URL
  // with the payload it takes from beside `event` (top-level `payload`, mcp-server 5e44dfe).
  { tool: 'hookbase_get_event_debug', source: 'src/tools/events.ts', request: (s) => ({ method: 'GET', path: `/events/${s.event}` }), reads: ['event.id', 'event.sourceId', 'event.headers', 'payload'] },
  {
    tool: 'hookbase_list_deliveries', source: 'src/tools/deliveries.ts', request: (s) => ({ method: 'GET', path: `/deliveries?limit=10&eventId=${s.event}` }),
    reads: [...each('deliveries', ['id', 'event_id', 'route_id', 'destination_id', 'status', 'attempt_count', 'created_at']), 'total', 'hasMore'],
    keep: (b, s) => { s.delivery = id(b, 'deliveries', '0', 'id'); },
  },
  { tool: 'hookbase_get_delivery', source: 'src/tools/deliveries.ts', request: (s) => ({ method: 'GET', path: `/deliveries/${s.delivery}` }), reads: ['delivery.id', 'delivery.status', 'delivery.attempt_count', 'delivery.response_status', 'delivery.error_message'] },
  { tool: 'hookbase_replay_delivery', source: 'src/tools/deliveries.ts', request: (s) => ({ method: 'POST', path: `/deliveries/${s.delivery}/replay` }), reads: ['delivery.id', 'delivery.status'] },
  // replay_with_edit: the same POST as replay_delivery with the overrides in camelCase (src/lib/api.ts replayDeliveryWithEdit),
  // here to the failing destination the test created (state.failingDestination), so that a cluster exists next.
  {
    tool: 'hookbase_replay_with_edit', source: 'src/tools/deliveries.ts',
    request: (s) => ({ method: 'POST', path: `/deliveries/${s.delivery}/replay`, body: { modifiedPayload: { id: 'evt_1', edited: true }, destinationOverride: s.failingDestination, headersOverride: { 'X-Edit': 'yes' } } }),
    reads: ['message', 'newDeliveryId', 'overrides'], echoes: (s) => [['overrides.destinationOverride', s.failingDestination], ['overrides.headersOverride', ['x-edit']]],
    keep: (b, s) => { s.editedDelivery = id(b, 'newDeliveryId'); },
  },
  // list_delivery_clusters: GET delivery-clusters?sinceHours&limit; the tool reads every field below of each cluster.
  {
    tool: 'hookbase_list_delivery_clusters', source: 'src/tools/deliveries.ts', request: () => ({ method: 'GET', path: '/delivery-clusters?sinceHours=24&limit=50' }),
    reads: ['since', 'sinceHours', ...each('clusters', ['fingerprint', 'count', 'affectedEventCount', 'firstSeen', 'lastSeen', 'sampleDeliveryId', 'routeName', 'destinationName', 'responseStatus', 'errorMessageExcerpt', 'rcaCategory', 'recentRatePerMin', 'baselineRatePerMin'])],
    echoes: (s) => [['clusters.0.sampleDeliveryId', s.editedDelivery], ['clusters.0.responseStatus', 500], ['sinceHours', 24]],
    keep: (b, s) => { s.fingerprint = id(b, 'clusters', '0', 'fingerprint'); },
  },
  // replay_cluster: POST delivery-clusters/{fingerprint}/replay-all with replay_with_edit's overrides and a limit.
  {
    tool: 'hookbase_replay_cluster', source: 'src/tools/deliveries.ts',
    request: (s) => ({ method: 'POST', path: `/delivery-clusters/${s.fingerprint}/replay-all`, body: { headersOverride: { 'X-Edit': 'again' }, limit: 10 } }),
    reads: ['message', 'queued', 'skipped', 'fingerprint', 'overrides'], echoes: (s) => [['queued', 1], ['skipped', 0], ['fingerprint', s.fingerprint]],
  },
  { tool: 'hookbase_bulk_replay', source: 'src/tools/deliveries.ts', request: () => ({ method: 'POST', path: '/deliveries/bulk-replay', body: { deliveryIds: ['idl_none'] } }), reads: ['replayed', 'failed'], echoes: () => [['replayed', 0], ['failed', 1]] },
  { tool: 'hookbase_delete_route', source: ROUTES, request: (s) => ({ method: 'DELETE', path: `/routes/${s.route}` }), reads: ['success'] },
  { tool: 'hookbase_delete_filter', source: FILTERS, request: (s) => ({ method: 'DELETE', path: `/filters/${s.filter}` }), reads: ['success'] },
  { tool: 'hookbase_delete_transform', source: TRANSFORMS, request: (s) => ({ method: 'DELETE', path: `/transforms/${s.transform}` }), reads: ['success'] },
  { tool: 'hookbase_delete_schema', source: SCHEMAS, request: (s) => ({ method: 'DELETE', path: `/schemas/${s.schema}` }), reads: ['success'] },
  { tool: 'hookbase_delete_destination', source: DESTS, request: (s) => ({ method: 'DELETE', path: `/destinations/${s.destination}` }), reads: ['success'] },
  { tool: 'hookbase_delete_source', source: SOURCES, request: (s) => ({ method: 'DELETE', path: `/sources/${s.source}` }), reads: ['success'] },
];

/** Inbound tools not served yet: none since the four recovery tools (api/commands/inboundRecovery.ts). */
export const INBOUND_NOT_YET: readonly string[] = [];

/** The compat server's `api` call, as test/compatClient.ts makes it. */
type ApiCall = (method: string, path: string, body?: unknown) => Promise<{ status: number; text: string; body: unknown }>;

/**
 * Before `hookbase_replay_with_edit`: a destination that answers 500 with no retry (at `failingUrl`), so that the
 * edited replay sent there fails and forms a cluster for the cluster tools next. Once per state.
 */
export const ensureFailingDestination = async (api: ApiCall, state: ToolState, failingUrl: string): Promise<void> => {
  if (state.failingDestination !== undefined) return;
  const made = await api('POST', '/api/organizations/org_default/destinations', { name: 'Failing service', type: 'http', url: failingUrl, retryCount: 0 });
  if (made.status !== 201) throw new Error(`the failing destination was not created: ${made.status} ${made.text}`);
  state.failingDestination = String((made.body as { destination: { id: string } }).destination.id);
};
