import type { Command } from 'commander';
import { clientOf, jsonOption, print, table, withClientOptions } from './context';
import type { ClientOptions } from './context';

// `hookbase sources|destinations|routes|events|dlq …`: the inbound half over the /v1 API (docs/inbound.md), with
// --json for scripts. Plain HTTP: our SDK has no inbound resources yet.

type Row = Record<string, unknown>;
type Page = { data: Row[]; hasMore: boolean; nextCursor: string | null };
type Opts<T> = ClientOptions & T;

const query = (params: Record<string, string | undefined>): string => {
  const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  return q.size > 0 ? `?${q.toString()}` : '';
};

/** `<noun> list|get|delete`, and `create` from flags or a JSON body (`--body`). */
const crudCommands = (program: Command, noun: string, path: string, columns: string[], create: (c: Command) => Command, bodyOf: (opts: Row) => Row, filters: string[] = []): void => {
  const group = program.command(noun).description(`inbound ${noun}`);
  let list = group.command('list').description(`list ${noun}, newest first`).option('--limit <n>', 'how many (1-100)', '50');
  for (const f of filters) list = list.option(`--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} <value>`, `only those with this ${f}`);
  withClientOptions(list).action(async (opts: Opts<Row>) => {
    const client = clientOf(opts);
    const page = (await client.call('GET', `${path}${query({ limit: String(opts.limit), ...Object.fromEntries(filters.map((f) => [f, opts[f] as string | undefined])) })}`)) as Page;
    print(client, page, () => table(page.data, columns));
  });
  withClientOptions(group.command('get').description(`show one of ${noun}`).argument('<id>')).action(async (id: string, opts: ClientOptions) => {
    const client = clientOf(opts);
    const doc = (await client.call('GET', `${path}/${encodeURIComponent(id)}`)) as Row;
    print(client, doc, () => JSON.stringify(doc, null, 2));
  });
  withClientOptions(create(group.command('create').description(`create one of ${noun}`)).option('--body <json>', 'the whole request body as JSON (other flags are added to it)')).action(
    async (opts: Opts<Row>) => {
      const client = clientOf(opts);
      const body = { ...(opts.body ? (jsonOption('--body', String(opts.body)) as Row) : {}), ...bodyOf(opts) };
      const doc = (await client.call('POST', path, body)) as Row;
      print(client, doc, () => `Created ${String(doc.id)}${doc.ingestUrl ? `: POST webhooks to ${String(doc.ingestUrl)}` : ''}${doc.signingSecret ? `\nSigning secret (shown once): ${String(doc.signingSecret)}` : ''}`);
    },
  );
  withClientOptions(group.command('delete').description(`delete one of ${noun}`).argument('<id>')).action(async (id: string, opts: ClientOptions) => {
    const client = clientOf(opts);
    await client.call('DELETE', `${path}/${encodeURIComponent(id)}`);
    print(client, { deleted: id }, () => `Deleted ${id}.`);
  });
};

const defined = (entries: Record<string, unknown>): Row => Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));

export const addInboundCommands = (program: Command): void => {
  crudCommands(
    program, 'sources', '/v1/sources', ['id', 'slug', 'provider', 'isActive', 'ingestUrl'],
    (c) => c.option('--name <name>').option('--provider <provider>', 'stripe, github, shopify, slack, twilio, svix, paddle, linear, sendgrid, mailgun, generic').option('--signing-secret <secret>').option('--dedup <strategy>', 'none, header, payload_hash, event_id'),
    (o) => defined({ name: o.name, provider: o.provider, ...(o.signingSecret ? { signingSecret: o.signingSecret, verifySignature: true } : {}), dedupStrategy: o.dedup }),
  );
  crudCommands(
    program, 'destinations', '/v1/destinations', ['id', 'name', 'method', 'url', 'isActive'],
    // --to, not --url: --url is the server's address on every client command.
    (c) => c.option('--name <name>').option('--to <url>', 'where deliveries go').option('--method <method>'),
    (o) => defined({ name: o.name, url: o.to, method: o.method }),
  );
  crudCommands(
    program, 'routes', '/v1/routes', ['id', 'name', 'sourceId', 'destinationId', 'priority', 'isActive'],
    (c) => c.option('--name <name>').option('--source <sourceId>').option('--destination <destinationId>').option('--transform <transformId>').option('--filter <json>', 'filterConditions as JSON'),
    (o) => defined({ name: o.name, sourceId: o.source, destinationId: o.destination, transformId: o.transform, filterConditions: o.filter ? jsonOption('--filter', String(o.filter)) : undefined }),
    ['sourceId'],
  );

  const events = program.command('events').description('inbound events: what the sources received');
  withClientOptions(events.command('list').description('list inbound events, newest first').option('--source <sourceId>').option('--status <status>', 'received, routed, rejected').option('--limit <n>', 'how many (1-100)', '50')).action(
    async (opts: Opts<{ source?: string; status?: string; limit: string }>) => {
      const client = clientOf(opts);
      const page = (await client.call('GET', `/v1/inbound-events${query({ limit: opts.limit, sourceId: opts.source, status: opts.status })}`)) as Page;
      print(client, page, () => table(page.data, ['id', 'sourceId', 'status', 'eventType', 'receivedAt']));
    },
  );
  withClientOptions(events.command('get').description('an event with its deliveries and its history').argument('<eventId>')).action(async (id: string, opts: ClientOptions) => {
    const client = clientOf(opts);
    const doc = (await client.call('GET', `/v1/inbound-events/${encodeURIComponent(id)}`)) as Row;
    print(client, doc, () => JSON.stringify(doc, null, 2));
  });
  withClientOptions(events.command('replay').description('route the event again through the current routes').argument('<eventId>')).action(async (id: string, opts: ClientOptions) => {
    const client = clientOf(opts);
    const result = (await client.call('POST', `/v1/inbound-events/${encodeURIComponent(id)}/replay`)) as { deliveryIds: string[] };
    print(client, result, () => `Replayed ${id}: ${result.deliveryIds.length} deliveries.`);
  });

  const dlq = program.command('dlq').description('the dead-letter queue of inbound deliveries');
  withClientOptions(dlq.command('list').description('deliveries with no attempt left').option('--limit <n>', 'how many (1-100)', '50')).action(async (opts: Opts<{ limit: string }>) => {
    const client = clientOf(opts);
    const page = (await client.call('GET', `/v1/dlq${query({ limit: opts.limit })}`)) as Page;
    print(client, page, () => table(page.data, ['id', 'eventId', 'destinationId', 'attempts', 'lastError', 'exhaustedAt']));
  });
  for (const [name, what] of [['retry', 'retry'], ['delete', 'discard (kept in the log)']] as const) {
    withClientOptions(dlq.command(name).description(`${what} the named deliveries, or up to 100 without ids`).argument('[deliveryIds...]')).action(async (ids: string[], opts: ClientOptions) => {
      const client = clientOf(opts);
      const result = (await client.call('POST', `/v1/dlq/${name}`, ids.length > 0 ? { deliveryIds: ids } : {})) as { succeeded: string[]; failed: Row[] };
      print(client, result, () => `${result.succeeded.length} done, ${result.failed.length} failed${result.failed.map((f) => `\n  ${String(f.id)}: ${String(f.message)}`).join('')}`);
    });
  }
};

/** `listen`: events per page read, pages read at most per look (50,000 events), ids kept to tell new ones. */
const PAGE = 100;
const MAX_PAGES_PER_LOOK = 500;
const SEEN_KEPT = 100_000;

type EventRow = { id: string; status: string; receivedAt: string; contentType: string | null; payload: unknown };

/**
 * `hookbase listen SOURCE --forward URL`: forwards the source's new events to a local service during development.
 * It polls the source's event list (`--interval`, 500 ms by default) from the moment it starts, reading back to the
 * last event it saw (so a burst larger than a page between two looks is forwarded whole); each new received
 * event's payload is POSTed to the URL with its content type, and a line (or a JSON line) says what the service
 * answered. The body is the payload as the API answers it: JSON re-serialised (same keys and values, whitespace not
 * kept), anything else as text. Runs until interrupted.
 */
export const addListenCommand = (program: Command): void => {
  withClientOptions(
    program
      .command('listen')
      .description("forward a source's new inbound events to a local URL (development)")
      .argument('<source>', 'the source id (src_...) or slug')
      .requiredOption('--forward <url>', 'where to POST each event, e.g. http://127.0.0.1:3000/webhooks')
      .option('--interval <ms>', 'how often to look for new events', '500'),
  ).action(async (sourceRef: string, opts: Opts<{ forward: string; interval: string }>) => {
    const client = clientOf(opts);
    const source = sourceRef.startsWith('src_')
      ? ((await client.call('GET', `/v1/sources/${encodeURIComponent(sourceRef)}`)) as Row)
      : ((await client.call('GET', '/v1/sources?limit=100')) as Page).data.find((s) => s.slug === sourceRef);
    if (!source) throw new Error(`No source ${sourceRef}`);
    const sourceId = String(source.id);
    const seen = new Set<string>();
    const remember = (id: string): void => {
      seen.add(id);
      // Bounded: the oldest ids go first (the list is read newest first, so they no longer come back).
      if (seen.size > SEEN_KEPT) for (const old of seen) if (seen.delete(old) && seen.size <= SEEN_KEPT) break;
    };
    type EventPage = { data: EventRow[]; nextCursor: string | null };
    const pageAt = async (cursor: string | undefined): Promise<EventPage> =>
      (await client.call('GET', `/v1/inbound-events${query({ sourceId, limit: String(PAGE), cursor })}`)) as EventPage;
    // The list is newest first: read on, page after page, down to an event already seen, so that more than a page
    // arriving between two looks is forwarded whole.
    const newSinceLastLook = async (): Promise<EventRow[]> => {
      const rows: EventRow[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < MAX_PAGES_PER_LOOK; pages++) {
        const { data, nextCursor } = await pageAt(cursor);
        rows.push(...data.filter((e) => !seen.has(e.id)));
        if (nextCursor === null || data.some((e) => seen.has(e.id))) break;
        cursor = nextCursor;
      }
      return rows;
    };
    for (const e of (await pageAt(undefined)).data) remember(e.id);
    // On stderr, with --json too: stdout is for the forwarded events only.
    process.stderr.write(`Listening to ${String(source.slug)} (${sourceId}); forwarding to ${opts.forward}\n`);
    const interval = Math.max(50, Number(opts.interval) || 500);
    for (;;) {
      const fresh = (await newSinceLastLook()).reverse();
      for (const e of fresh) {
        remember(e.id);
        if (e.status === 'rejected') continue;
        const body = typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload ?? null);
        let status: number | null = null;
        let error: string | null = null;
        try {
          const res = await fetch(opts.forward, { method: 'POST', headers: { 'content-type': e.contentType ?? 'application/json', 'x-hookbase-event-id': e.id }, body });
          status = res.status;
          await res.arrayBuffer();
        } catch (cause) {
          error = cause instanceof Error ? cause.message : String(cause);
        }
        print(client, { eventId: e.id, status, error }, () => `${e.receivedAt} ${e.id} → ${status ?? `failed: ${error ?? ''}`}`);
      }
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  });
};
