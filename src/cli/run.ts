// The CLI contract: every `hwq` command is registered here; each lives in src/cli/commands/<name>.ts.
// User errors (UserError, ConfigError, command-line mistakes, and file-system errors on paths the user gave)
// print one line and exit 2; Ctrl-C and SIGTERM clean up and exit 130 and 143; anything else is a bug: it
// prints the message, the stack and where to report it, and exits 1. `runCli` returns the exit code rather
// than exiting, so the bad-input suite can run hundreds of command lines in one process.
import yargs from 'yargs';
import { UserError } from '../errors.js';
import { nearestName } from '../nearest.js';
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

/**
 * yargs' own messages in the house style of every other one: the option as the user writes it (--per-layer,
 * not perLayer), the nearest valid name for a typo, the valid choices.
 */
function yargsLine(line: string, argv: string[], options: string[]): string {
  const command = commands.find((c) => argv.includes(String(c.command).split(' ')[0]));
  let m = /^Invalid values: Argument: (\S+), Given: "(.*)", Choices: (.*)$/.exec(line);
  if (m) return `unknown --${m[1]} '${m[2]}': valid choices are ${m[3].split(/,\s*/).map((x) => x.replace(/^"|"$/g, '')).join(', ')}`;
  if (/^Unknown arguments?: /.test(line) || /^Did you mean/.test(line)) {
    if (!command) {
      const word = argv.find((t) => !t.startsWith('-')) ?? argv[0] ?? '';
      const near = nearestName(word, COMMAND_NAMES);
      return `unknown command '${word}'${near ? ` (did you mean '${near}'?)` : ''}: the commands are ${COMMAND_NAMES.join(', ')}`;
    }
    const unknown = (/^Unknown arguments?: (.*)$/.exec(line)?.[1] ?? '').split(/,\s*/);
    const valid = options.filter((o) => o.length > 1 && !/[A-Z]/.test(o) && o !== '$0');
    const parts: string[] = [];
    for (const u of unknown) {
      // yargs lists a kebab-case option twice, once camel-cased
      if (/[A-Z]/.test(u) && unknown.includes(u.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))) continue;
      const typed = argv.find((t) => t === `--${u}` || t.startsWith(`--${u}=`) || t === `-${u}` || t === `--no-${u}`);
      if (typed === undefined) {
        parts.push(`unexpected argument '${u}' (hwq ${String(command.command)} takes no more)`);
        continue;
      }
      const near = nearestName(u, valid);
      parts.push(`unknown option ${typed.split('=')[0]}${near ? ` (did you mean --${near}?)` : ''}`);
    }
    return parts.join('; ');
  }
  if ((m = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(line))) return `--${m[1]} and --${m[2]} cannot be given together`;
  if ((m = /^Not enough arguments following: (\S+)$/.exec(line))) return `--${m[1]} needs a value`;
  if ((m = /^Missing required arguments?: (.*)$/.exec(line))) return `missing required ${m[1].split(/,\s*/).map((x) => `--${x}`).join(', ')}`;
  if (/^Not enough non-option arguments/.test(line) && command) return `missing argument: write 'hwq ${String(command.command).replace('..', ' ...')}'`;
  return line;
}

/** A command-line mistake: reported with the usage hint. */
class UsageFailure extends Error {}

function usageFailure(line: string): never {
  throw new UsageFailure(line);
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
    // an option whose value parses into a list (--input-shape 3x224x224) is an array once given: count the flags
    const given = raw.filter((t) => t === `--${k}` || t.startsWith(`--${k}=`)).length;
    if (given > 1) throw new UserError(`--${k} is given more than once (${v.map((x) => `'${String(x)}'`).join(', ')}): give it once`);
  }
  return true;
}

/** Runs one `hwq` command line and returns its exit code. */
export async function runCli(argv: string[]): Promise<number> {
  installSignalHandlers();
  process.exitCode = undefined;
  try {
    checkOptionPlacement(argv);
    await parse(argv);
  } catch (e) {
    if (e instanceof Interrupted) exitForSignal(e.signal);
    runCleanups();
    restoreTerminal();
    if (e instanceof UsageFailure) {
      process.stderr.write(`hwq: ${e.message}\n${USAGE_HINT}\n`);
      return EXIT_USAGE;
    }
    const line = isUserError(e) ? e.message : pathErrorLine(e);
    if (line !== undefined) {
      process.stderr.write(`hwq: ${line}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(internalErrorText(e));
    return EXIT_INTERNAL;
  }
  // a command reports a failed check (rtl --verify) through the exit code
  return Number(process.exitCode ?? 0);
}

async function parse(argv: string[]): Promise<void> {
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
    .exitProcess(false)
    .wrap(Math.min(120, process.stdout.columns || 100))
    .check((a, opts: { array?: string[]; boolean?: string[] }) => checkValues(a, expanded, opts?.array ?? [], opts?.boolean ?? []), true)
    .fail((msg, err) => {
      // yargs' own parse errors (YError), including those the option checks throw while coercing values,
      // are usage errors; anything else came from a command and is handled below.
      if (err && err.name !== 'YError') throw err;
      // yargs spreads some messages over lines; the contract is one line naming the input and the choices.
      const raw = (msg ?? err?.message ?? '').replace(/\s*\n\s*/g, ' ').trim();
      // at this point the instance holds the options of the command being parsed
      const options = Object.keys((cli as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
      usageFailure(yargsLine(raw, argv, options));
    });
  for (const c of commands) cli = cli.command(c as any);
  await cli.parseAsync();
}
