import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../api/packageRoot';
import { Command } from 'commander';
import { addAuditCommands, addProjectionCommands, addTailCommand } from './commands/operations';
import { addAppCommands, addEndpointCommands, addEventTypeCommands, addKeyCommands, addMessageCommands, addSendCommand } from './commands/resources';
import { addServeCommand } from './commands/serve';
import { addDoctorCommand } from './commands/doctor';
import { addInboundCommands, addListenCommand } from './commands/inbound';

/** The `hookbase` command: `serve` (the default, what `npm start` runs) and the client commands of README. */
/** The package's version (cli/hookbase.ts's VERSION), read without loading the server's modules. */
const VERSION = (JSON.parse(readFileSync(join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as { version: string }).version;

export const buildProgram = (): Command => {
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
  addDoctorCommand(program);
  addInboundCommands(program);
  addListenCommand(program);
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
