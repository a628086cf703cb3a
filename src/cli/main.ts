// The CLI contract: every `hwq` command is registered here; each lives in src/cli/commands/<name>.ts.
// User errors (UserError, ConfigError) print one line and exit 2; anything else is a bug and shows its stack.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from '../errors.js';
import { ConfigError } from '../../hw/config.js';
import { commands } from './commands/index.js';
import { expandPrecisionFlags } from './argv.js';

export const EXIT_USAGE = 2;
const COMMAND_NAMES = commands.map((c) => String(c.command).split(' ')[0]);

function isUserError(e: unknown): e is Error {
  return e instanceof UserError || e instanceof ConfigError;
}

export async function main(argv: string[]): Promise<void> {
  let cli = yargs(expandPrecisionFlags(argv))
    .scriptName('hwq')
    .usage('hwq <command> [options]\n\nHardware/quantization co-design for Bit Fusion accelerators.')
    .strict()
    .demandCommand(1, 'Name a command (see the list above).')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(120, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      // yargs spreads some messages over lines; the contract is one line naming the input and the choices.
      let line = msg.replace(/\s*\n\s*/g, ' ').trim();
      if (/^Unknown argument/.test(line) && !argv.some((a) => COMMAND_NAMES.includes(a))) line += ` (commands: ${COMMAND_NAMES.join(', ')})`;
      process.stderr.write(`hwq: ${line}\nRun 'hwq --help' (or 'hwq <command> --help') for usage.\n`);
      process.exit(EXIT_USAGE);
    });
  for (const c of commands) cli = cli.command(c as any);
  try {
    await cli.parseAsync();
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`hwq: ${e.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    throw e;
  }
}

await main(hideBin(process.argv));
