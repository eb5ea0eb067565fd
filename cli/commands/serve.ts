import type { Command } from 'commander';

/** Each flag of `serve` sets the HOOKBASE_* variable of its name (README); a flag wins over the environment. */
export const SERVE_FLAGS: readonly (readonly [flag: string, value: string, description: string])[] = [
  ['port', '<n>', 'port to listen on (HOOKBASE_PORT, default 8080)'],
  ['host', '<address>', 'address to listen on (HOOKBASE_HOST, default 127.0.0.1)'],
  ['data-dir', '<dir>', 'embedded store and saved key (HOOKBASE_DATA_DIR, default ./.hookbase)'],
  ['roles', '<list>', 'api,projections,dispatcher or some of them (HOOKBASE_ROLES)'],
  ['store', '<kind>', 'embedded or esdb: both ports at once (HOOKBASE_STORE; esdb = EventStoreDB events + MongoDB read models)'],
  ['events', '<engine>', 'embedded or esdb: where the events are (HOOKBASE_EVENTS)'],
  ['reads', '<engine>', 'embedded or mongo: where the read models and operational state are (HOOKBASE_READS)'],
  ['esdb-url', '<url>', 'EventStoreDB connection string (HOOKBASE_ESDB_URL)'],
  ['mongo-url', '<url>', 'MongoDB connection string (HOOKBASE_MONGO_URL)'],
  ['background-thread', '<mode>', 'worker or inline (HOOKBASE_BACKGROUND_THREAD)'],
  ['api-key', '<key>', 'an admin key to register at start (HOOKBASE_API_KEY)'],
  ['master-key', '<key>', 'key that encrypts endpoint secrets (HOOKBASE_MASTER_KEY)'],
  ['retry-schedule', '<list>', 'delays between attempts (HOOKBASE_RETRY_SCHEDULE)'],
  ['allow-private-networks', '[bool]', 'deliver to private addresses (HOOKBASE_ALLOW_PRIVATE_NETWORKS)'],
  ['rate-limit-api', '<n>', 'API requests per minute per key (HOOKBASE_RATE_LIMIT_API)'],
  ['rate-limit-sends', '<n>', 'sends per minute per key (HOOKBASE_RATE_LIMIT_SENDS)'],
  ['rate-limit-portal-tokens', '<n>', 'portal tokens per hour per application (HOOKBASE_RATE_LIMIT_PORTAL_TOKENS)'],
  ['public-url', '<url>', 'base of magic links (HOOKBASE_PUBLIC_URL)'],
  ['org-id', '<id>', 'organization id of the cloud-compatible API (HOOKBASE_ORG_ID)'],
  ['org-name', '<name>', 'organization name (HOOKBASE_ORG_NAME)'],
  ['events-sync', '<mode>', 'full or normal: fsync of each commit of the embedded event store (HOOKBASE_EVENTS_SYNC)'],
  ['operational-app', '<uid>', 'application that receives the operational webhooks (HOOKBASE_OPERATIONAL_APP)'],
];

const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The parsed flags back as `--flag=value`, the form loadConfig mirrors onto HOOKBASE_* (cli/config.ts). */
export const configArgv = (opts: Record<string, unknown>, flags: readonly (readonly [string, ...unknown[]])[] = SERVE_FLAGS): string[] =>
  flags.flatMap(([flag]) => {
    const value = opts[camel(flag)];
    return value === undefined ? [] : [`--${flag}=${value === true ? 'true' : String(value)}`];
  });

export const addServeCommand = (program: Command): Command => {
  const serve = program.command('serve', { isDefault: true }).description('run Hookbase (every role unless --roles says otherwise); the default command, and what `npm start` runs');
  for (const [flag, value, description] of SERVE_FLAGS) serve.option(`--${flag} ${value}`, description);
  serve.option('--json', 'print the startup facts as one JSON line');
  serve.action(async (opts: Record<string, unknown>) => {
    // Loaded here: the client commands start without the server's modules (a second less per command).
    const [{ loadConfig }, { startHookbase, VERSION }] = await Promise.all([import('../config'), import('../hookbase')]);
    const config = loadConfig(process.env, configArgv(opts));
    // --json: stdout holds only the startup facts; the server's log lines go to stderr.
    const hookbase = await startHookbase(config, opts.json === true ? { log: (line: string) => console.error(line) } : {});
    if (opts.json === true) {
      const facts = { version: VERSION, url: hookbase.url, roles: config.roles, store: config.store, events: config.events, reads: config.reads, dataDir: config.dataDir, generatedApiKey: hookbase.generatedApiKey };
      console.log(JSON.stringify(facts));
    } else {
      console.log(`Hookbase ${VERSION} listening on ${hookbase.url}`);
      console.log(`  roles: ${config.roles.join(', ')}`);
      const layout = config.store === 'mixed' ? `events ${config.events}, read models ${config.reads}` : config.store;
      console.log(`  store: ${layout} (data in ${config.dataDir})`);
      if (hookbase.generatedApiKey) {
        console.log(`  API key (shown once, also saved to ${config.dataDir}/api-key):\n\n    ${hookbase.generatedApiKey}\n`);
      }
    }
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      if (opts.json !== true) console.log(`${signal}: stopping`);
      hookbase.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  return serve;
};
