import { CommanderError } from 'commander';
import { ConfigError } from './config';
import { cliErrorOf, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './commands/context';
import { buildProgram } from './program';
import { PositionsUnsupportedError } from '../store/clientSemantics';
import { StoreUnreachableError } from '../store/unreachable';

const fail = (message: string, exitCode: number, json: unknown, asJson: boolean): void => {
  process.stderr.write(`hookbase: ${message}\n`);
  if (asJson) process.stdout.write(`${JSON.stringify(json)}\n`);
  process.exitCode = exitCode;
};

const main = async (argv: readonly string[]): Promise<void> => {
  const asJson = argv.includes('--json');
  const program = buildProgram();
  // serve is the default command (`hookbase --port 9000`): a word that names no command is a mistake, not serve's.
  const first = argv[0];
  if (first !== undefined && first !== 'help' && !first.startsWith('-') && !program.commands.some((c) => c.name() === first || c.aliases().includes(first))) {
    process.stderr.write(`error: unknown command '${first}' (see hookbase --help)\nUsage: hookbase ${program.usage()}\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
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
