// The CLI contract: every `hwq` command is registered here; each lives in src/cli/commands/<name>.ts.
// User errors (UserError, ConfigError, command-line mistakes, and file-system errors on paths the user gave)
// print one line and exit 2; Ctrl-C and SIGTERM clean up and exit 130 and 143; anything else is a bug: it
// prints the message, the stack and where to report it, and exits 1.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from '../errors.js';
import { ConfigError } from '../../hw/config.js';
import { Interrupted, runCleanups } from '../cleanup.js';
import { commands } from './commands/index.js';
import { expandPrecisionFlags } from './argv.js';
import { exitForSignal, installSignalHandlers, restoreTerminal } from './interrupt.js';
import { internalErrorText, pathErrorLine } from './failures.js';

export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 1;
const COMMAND_NAMES = commands.map((c) => String(c.command).split(' ')[0]);
const GLOBAL_FLAGS = ['--help', '-h', '--version'];
const USAGE_HINT = "Run 'hwq --help' (or 'hwq <command> --help') for usage.";

function isUserError(e: unknown): e is Error {
  return e instanceof UserError || e instanceof ConfigError;
}

function usageFailure(line: string): never {
  process.stderr.write(`hwq: ${line}\n${USAGE_HINT}\n`);
  process.exit(EXIT_USAGE);
}

/** Options belong after the command name (`hwq sim --batch 4`), where that command's help lists them. */
function checkOptionPlacement(argv: string[]): void {
  const at = argv.findIndex((t) => COMMAND_NAMES.includes(t));
  if (at <= 0) return;
  const early = argv.slice(0, at).filter((t) => t.startsWith('-') && !GLOBAL_FLAGS.includes(t));
  if (early.length) usageFailure(`option ${early[0]} comes before the command name: write 'hwq ${argv[at]} ${early.join(' ')} ...'`);
}

/**
 * What yargs would pass silently: a non-array option given twice reaches a command as an array, and
 * `--json=abc` reads as false.
 */
function checkValues(argv: Record<string, unknown>, raw: string[], arrays: string[], booleans: string[]): true {
  for (const t of raw) {
    const m = /^--([^=]+)=(.*)$/.exec(t);
    if (m && booleans.includes(m[1]) && !/^(true|false)$/.test(m[2])) throw new UserError(`--${m[1]} is a switch: write --${m[1]} or --no-${m[1]}, not '${t}'`);
  }
  for (const [k, v] of Object.entries(argv)) {
    if (k === '_' || k === '$0' || !Array.isArray(v) || arrays.includes(k)) continue;
    if (raw.some((t) => t === `--${k}` || t.startsWith(`--${k}=`))) throw new UserError(`--${k} is given more than once (${v.map((x) => `'${String(x)}'`).join(', ')}): give it once`);
  }
  return true;
}

export async function main(argv: string[]): Promise<void> {
  installSignalHandlers();
  checkOptionPlacement(argv);
  const expanded = expandPrecisionFlags(argv);
  let cli = yargs(expanded)
    .scriptName('hwq')
    .usage('hwq <command> [options]\n\nHardware/quantization co-design for Bit Fusion accelerators.')
    .strict()
    .demandCommand(1, 'Name a command (see the list above).')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(120, process.stdout.columns || 100))
    .check((a, opts: { array?: string[]; boolean?: string[] }) => checkValues(a, expanded, opts?.array ?? [], opts?.boolean ?? []), true)
    .fail((msg, err) => {
      // yargs' own parse errors (YError), including those the option checks throw while coercing values,
      // are usage errors; anything else came from a command and is handled below.
      if (err && err.name !== 'YError') throw err;
      // yargs spreads some messages over lines; the contract is one line naming the input and the choices.
      let line = (msg ?? err?.message ?? '').replace(/\s*\n\s*/g, ' ').trim();
      if (/^Unknown argument/.test(line) && !argv.some((a) => COMMAND_NAMES.includes(a))) line += ` (commands: ${COMMAND_NAMES.join(', ')})`;
      usageFailure(line);
    });
  for (const c of commands) cli = cli.command(c as any);
  try {
    await cli.parseAsync();
  } catch (e) {
    if (e instanceof Interrupted) exitForSignal(e.signal);
    runCleanups();
    restoreTerminal();
    const line = isUserError(e) ? e.message : pathErrorLine(e);
    if (line !== undefined) {
      process.stderr.write(`hwq: ${line}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(internalErrorText(e));
    process.exitCode = EXIT_INTERNAL;
  }
}

await main(hideBin(process.argv));
