import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import type { HistoryEvent } from '@hookbase/sdk';
import { clientOf, jsonOption, print, table, withClientOptions } from './context';
import type { ClientOptions } from './context';

type Opts<T> = ClientOptions & T;

const list = (raw: string | undefined): string[] | undefined => (raw === undefined ? undefined : raw.split(',').map((s) => s.trim()).filter(Boolean));

/** Every page of a list (event types and endpoints are few): `{data}` in the list's order. */
const everyPage = async <T>(page: (cursor: string | undefined) => Promise<{ data: T[]; nextCursor: string | null }>): Promise<{ data: T[] }> => {
  const data: T[] = [];
  let cursor: string | undefined;
  do {
    const res = await page(cursor);
    data.push(...res.data);
    cursor = res.nextCursor ?? undefined;
  } while (cursor);
  return { data };
};

const positiveInt = (name: string) => (raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError(`${name} must be a whole number from 1 to 100 (got "${raw}").`);
  return n;
};

export const addKeyCommands = (program: Command): void => {
  const keys = program.command('keys').description('admin API keys');
  withClientOptions(keys.command('create').description('create an API key (the key is shown once)').requiredOption('--name <name>', 'what the key is for'))
    .action(async (opts: Opts<{ name: string }>) => {
      const client = clientOf(opts);
      const key = (await client.call('POST', '/v1/admin/api-keys', { name: opts.name })) as { id: string; key: string };
      print(client, key, () => `Created ${key.id}. The key (shown once):\n\n    ${key.key}\n`);
    });
  withClientOptions(keys.command('list').description('list API keys (never the keys themselves)')).action(async (opts: ClientOptions) => {
    const client = clientOf(opts);
    const res = (await client.call('GET', '/v1/admin/api-keys')) as { data: Record<string, unknown>[] };
    print(client, res, () => table(res.data, ['id', 'name', 'revoked', 'createdAt']));
  });
  withClientOptions(keys.command('revoke').description('revoke an API key').argument('<keyId>', 'the key id (key_...)')).action(async (keyId: string, opts: ClientOptions) => {
    const client = clientOf(opts);
    await client.call('DELETE', `/v1/admin/api-keys/${encodeURIComponent(keyId)}`);
    print(client, { id: keyId, revoked: true }, () => `Revoked ${keyId}.`);
  });
};

export const addAppCommands = (program: Command): void => {
  const apps = program.command('apps').description('applications (your customers)');
  withClientOptions(apps.command('list').description('list applications, newest first').option('--limit <n>', 'how many (1-100)', positiveInt('--limit'), 50)).action(
    async (opts: Opts<{ limit: number }>) => {
      const client = clientOf(opts);
      const page = await client.sdk.applications.list({ limit: opts.limit });
      print(client, page, () => table(page.data as unknown as Record<string, unknown>[], ['id', 'uid', 'name', 'createdAt']));
    },
  );
  withClientOptions(apps.command('create').description('create an application').requiredOption('--name <name>', 'display name').option('--uid <uid>', 'your own id for it')).action(
    async (opts: Opts<{ name: string; uid?: string }>) => {
      const client = clientOf(opts);
      const app = await client.sdk.applications.create({ name: opts.name, ...(opts.uid ? { uid: opts.uid } : {}) });
      print(client, app, () => `Created ${app.id} (${app.name}).`);
    },
  );
  withClientOptions(apps.command('get').description('show an application').argument('<appId>', 'its id (app_...) or uid')).action(async (appId: string, opts: ClientOptions) => {
    const client = clientOf(opts);
    const app = await client.sdk.applications.get(appId);
    print(client, app, () => table([app as unknown as Record<string, unknown>], ['id', 'uid', 'name', 'createdAt', 'updatedAt']));
  });
};

export const addEventTypeCommands = (program: Command): void => {
  const types = program.command('event-types').description('the event types messages are sent as');
  withClientOptions(types.command('list').description('list event types').option('--include-archived', 'archived ones too')).action(
    async (opts: Opts<{ includeArchived?: boolean }>) => {
      const client = clientOf(opts);
      const page = await everyPage((cursor) => client.sdk.eventTypes.list({ limit: 100, ...(cursor ? { cursor } : {}), ...(opts.includeArchived ? { includeArchived: true } : {}) }));
      print(client, page, () => table(page.data as unknown as Record<string, unknown>[], ['name', 'description', 'archived', 'createdAt']));
    },
  );
  withClientOptions(
    types
      .command('create')
      .description('define an event type')
      .argument('<name>', 'e.g. invoice.paid')
      .option('--description <text>', 'what it means')
      .option('--schema <json>', 'JSON Schema its payloads must match'),
  ).action(async (name: string, opts: Opts<{ description?: string; schema?: string }>) => {
    const client = clientOf(opts);
    const schema = opts.schema === undefined ? undefined : (jsonOption('--schema', opts.schema) as Record<string, unknown>);
    const type = await client.sdk.eventTypes.create({ name, ...(opts.description ? { description: opts.description } : {}), ...(schema ? { schema } : {}) });
    print(client, type, () => `Created event type ${type.name}.`);
  });
};

export const addEndpointCommands = (program: Command): void => {
  const endpoints = program.command('endpoints').description("an application's webhook endpoints");
  const appOption = (c: Command): Command => c.requiredOption('--app <appId>', 'the application (id or uid)');
  withClientOptions(appOption(endpoints.command('list').description('list endpoints'))).action(async (opts: Opts<{ app: string }>) => {
    const client = clientOf(opts);
    const page = await everyPage((cursor) => client.sdk.endpoints.list(opts.app, { limit: 100, ...(cursor ? { cursor } : {}) }));
    print(client, page, () => table(page.data as unknown as Record<string, unknown>[], ['id', 'url', 'eventTypes', 'disabled']));
  });
  withClientOptions(
    appOption(endpoints.command('create').description('add an endpoint (its signing secret is shown once)'))
      .requiredOption('--endpoint-url <url>', 'where webhooks are POSTed')
      .option('--event-types <names>', 'comma-separated; none means every type')
      .option('--description <text>', 'what it is'),
  ).action(async (opts: Opts<{ app: string; endpointUrl: string; eventTypes?: string; description?: string }>) => {
    const client = clientOf(opts);
    const eventTypes = list(opts.eventTypes);
    const endpoint = await client.sdk.endpoints.create(opts.app, {
      url: opts.endpointUrl,
      ...(eventTypes ? { eventTypes } : {}),
      ...(opts.description ? { description: opts.description } : {}),
    });
    print(client, endpoint, () => `Created ${endpoint.id} → ${endpoint.url}\nSigning secret (shown once): ${endpoint.secret}`);
  });
  for (const [name, description] of [
    ['disable', 'stop delivering to an endpoint'],
    ['enable', 'deliver to an endpoint again (closes its circuit)'],
  ] as const) {
    withClientOptions(appOption(endpoints.command(name).description(description).argument('<endpointId>', 'ep_...'))).action(async (endpointId: string, opts: Opts<{ app: string }>) => {
      const client = clientOf(opts);
      const endpoint = name === 'disable' ? await client.sdk.endpoints.disable(opts.app, endpointId) : await client.sdk.endpoints.enable(opts.app, endpointId);
      print(client, endpoint, () => `${endpoint.id} is ${endpoint.disabled ? 'disabled' : 'enabled'}.`);
    });
  }
  withClientOptions(
    appOption(endpoints.command('recover').description("deliver again what failed to an endpoint since a time").argument('<endpointId>', 'ep_...'))
      .requiredOption('--since <time>', 'ISO 8601 date-time')
      .option('--until <time>', 'ISO 8601 date-time (default now)'),
  ).action(async (endpointId: string, opts: Opts<{ app: string; since: string; until?: string }>) => {
    const client = clientOf(opts);
    const res = await client.sdk.endpoints.recover(opts.app, endpointId, { since: opts.since, ...(opts.until ? { until: opts.until } : {}) });
    print(client, res, () => `Requeued ${res.requeued} deliveries to ${endpointId}.`);
  });
};

export const addSendCommand = (program: Command): void => {
  withClientOptions(
    program
      .command('send')
      .description('send a message to every endpoint of an application subscribed to its type')
      .requiredOption('--app <appId>', 'the application (id or uid)')
      .requiredOption('--type <eventType>', 'its event type')
      .requiredOption('--payload <json>', 'its payload, JSON')
      .option('--event-id <id>', 'your id for it: the same id is delivered once, forever'),
  ).action(async (opts: Opts<{ app: string; type: string; payload: string; eventId?: string }>) => {
    const payload = jsonOption('--payload', opts.payload);
    const client = clientOf(opts);
    const message = await client.sdk.messages.send(opts.app, { eventType: opts.type, payload, ...(opts.eventId ? { eventId: opts.eventId } : {}) });
    print(client, message, () => `Sent ${message.id} (${message.eventType}) to ${message.outbound.length} endpoint(s).`);
  });
};

const describe = (e: HistoryEvent): string => {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of ['eventType', 'endpointId', 'attemptNumber', 'responseStatus', 'latencyMs', 'error', 'dueAt', 'reason']) {
    if (d[key] !== undefined && d[key] !== null) parts.push(`${key}=${typeof d[key] === 'object' ? JSON.stringify(d[key]) : String(d[key])}`);
  }
  return parts.join(' ');
};

export const addMessageCommands = (program: Command): void => {
  const messages = program.command('messages').description('messages and their deliveries');
  withClientOptions(
    messages
      .command('history')
      .description('every event of a message and its deliveries, from the event store, in commit order')
      .argument('<messageId>', 'msg_...')
      .requiredOption('--app <appId>', 'the application it was sent to (id or uid)'),
  ).action(async (messageId: string, opts: Opts<{ app: string }>) => {
    const client = clientOf(opts);
    const history = await client.sdk.messages.history(opts.app, messageId);
    print(client, history, () => {
      const width = Math.max(8, ...history.data.map((e) => String(e.position).length));
      return history.data
        .map((e) => `${String(e.position).padStart(width)}  ${e.recordedAt}  ${e.stream}@${e.revision}  ${e.type.padEnd(17)} ${describe(e)}`.trimEnd())
        .join('\n');
    });
  });
};
