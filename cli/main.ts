import { Command, CommanderError } from 'commander';
import { ConfigError } from './config';
import { VERSION } from './hookbase';
import { cliErrorOf, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './commands/context';
import { addAuditCommands, addProjectionCommands, addTailCommand } from './commands/operations';
import { addAppCommands, addEndpointCommands, addEventTypeCommands, addKeyCommands, addMessageCommands, addSendCommand } from './commands/resources';
import { addServeCommand } from './commands/serve';
import { PositionsUnsupportedError } from '../store/clientSemantics';
import { StoreUnreachableError } from '../store/unreachable';

/** The `hookbase` command: `serve` (the default, what `npm start` runs) and the client commands of README. */
const buildProgram = (): Command => {
  const program = new Command('hookbase')
    .description('Hookbase: run the server, or operate one over HTTP (HOOKBASE_URL, HOOKBASE_API_KEY)')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true);
  addServeCommand(program);
  addKeyCommands(program);
  addAppCommands(program);
  addEventTypeCommands(program);
  addEndpointCommands(program);
  addSendCommand(program);
  addTailCommand(program);
  addMessageCommands(program);
  addAuditCommands(program);
  addProjectionCommands(program);
  // Every command: no stray arguments, and a usage mistake ends with that command's usage line (exit 2).
  const configure = (command: Command): void => {
    command.allowExcessArguments(false).exitOverride((error) => {
      if (error.exitCode !== 0 && error.code !== 'commander.help' && error.code !== 'commander.helpDisplayed' && error.code !== 'commander.version') {
        process.stderr.write(`Usage: ${[...ancestry(command)].join(' ')} ${command.usage()}\n`);
      }
      throw error;
    });
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  return program;
};

function* ancestry(command: Command): Generator<string> {
  if (command.parent) yield* ancestry(command.parent);
  yield command.name();
}

const fail = (message: string, exitCode: number, json: unknown, asJson: boolean): void => {
  process.stderr.write(`hookbase: ${message}\n`);
  if (asJson) process.stdout.write(`${JSON.stringify(json)}\n`);
  process.exitCode = exitCode;
};

const main = async (argv: readonly string[]): Promise<void> => {
  const asJson = argv.includes('--json');
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too (exit code 0); every other parser error is a usage error.
      process.exitCode = error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      return;
    }
    if (error instanceof ConfigError) return fail(error.message, EXIT_USAGE, { error: { code: 'invalid_configuration', message: error.message } }, asJson);
    // A server that cannot be reached, or that Hookbase cannot work with: the message says which and why.
    if (error instanceof StoreUnreachableError || error instanceof PositionsUnsupportedError) {
      return fail(error.message, EXIT_FAILURE, { error: { code: 'store_unreachable', message: error.message } }, asJson);
    }
    const known = cliErrorOf(error);
    if (known) return fail(known.message, known.exitCode, known.json, asJson);
    console.error(error);
    process.exitCode = EXIT_FAILURE;
  }
};

await main(process.argv.slice(2));
