import { ConfigError, loadConfig } from './config';
import { startHookbase, VERSION } from './hookbase';
import { PositionsUnsupportedError } from '../store/clientSemantics';
import { StoreUnreachableError } from '../store/unreachable';

/** `hookbase` / `npm start`: every role of API.md in one process unless HOOKBASE_ROLES says otherwise. */
const main = async (): Promise<void> => {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`hookbase ${VERSION}\n\nUsage: hookbase [--port N] [--host H] [--data-dir D] [--roles api,projections,dispatcher] [--allow-private-networks]\nEvery flag mirrors a HOOKBASE_* variable (see README).`);
    return;
  }
  const config = loadConfig(process.env, argv);
  const hookbase = await startHookbase(config);
  console.log(`Hookbase ${VERSION} listening on ${hookbase.url}`);
  console.log(`  roles: ${config.roles.join(', ')}`);
  console.log(`  store: ${config.store} (data in ${config.dataDir})`);
  if (hookbase.generatedApiKey) {
    console.log(`  API key (shown once, also saved to ${config.dataDir}/api-key):\n\n    ${hookbase.generatedApiKey}\n`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
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
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`hookbase: ${error.message}`);
    process.exit(2);
  }
  // A server that cannot be reached, or that Hookbase cannot work with: the message says which and why.
  if (error instanceof StoreUnreachableError || error instanceof PositionsUnsupportedError) {
    console.error(`hookbase: ${error.message}`);
    process.exit(1);
  }
  console.error(error);
  process.exit(1);
});
