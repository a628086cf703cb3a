// Runs the CLI for the end-to-end tests in this folder and checks the user-error contract in one place.
// `hwq(...)` runs the command line through runCli (the entry point bin/hwq.js calls) in this process with
// stdout and stderr captured: the same parsing, errors and exit codes as a child process, without a second or
// so of node start-up per call. Tests of what only a real process shows (signals, the bundle) use runFile.
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { runCli } from '../../src/cli/run.js';

export interface Run { code: number; stdout: string; stderr: string }

/** Runs `file ...args` (through node when viaNode) in cwd; never rejects. */
export function runFile(file: string, args: string[], cwd: string, viaNode = true): Promise<Run> {
  const [cmd, argv] = viaNode ? [process.execPath, [file, ...args]] : [file, args];
  return new Promise((resolve) => {
    execFile(cmd, argv, { cwd, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * One command line through runCli with stdout and stderr captured. Runs are queued one after another: the
 * capture replaces the process's write functions, so two runs at once would mix their output.
 */
export function runCaptured(args: string[]): Promise<Run> {
  const run = queue.then(async () => {
    const out: string[] = [];
    const err: string[] = [];
    const [writeOut, writeErr] = [process.stdout.write, process.stderr.write];
    process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
      return { code: await runCli(args), stdout: out.join(''), stderr: err.join('') };
    } finally {
      process.stdout.write = writeOut;
      process.stderr.write = writeErr;
      // runCli leaves its code in process.exitCode for the real entry point; the test process must not inherit it
      process.exitCode = undefined;
    }
  });
  queue = run.catch(() => undefined);
  return run;
}

const cache = new Map<string, Promise<Run>>();

/** `hwq ...args`. Identical invocations within one test file share one run. */
export function hwq(...args: string[]): Promise<Run> {
  const key = JSON.stringify(args);
  let run = cache.get(key);
  if (!run) {
    run = runCaptured(args);
    cache.set(key, run);
  }
  return run;
}

/** Several invocations (run one after another, see runCaptured). */
export async function hwqAll(list: string[][]): Promise<Run[]> {
  return Promise.all(list.map((args) => hwq(...args)));
}

export const USAGE_HINT = "Run 'hwq --help' (or 'hwq <command> --help') for usage.";

/**
 * Asserts a user error: exit 2, nothing on stdout, no stack trace, and exactly one `hwq: ...` message line
 * on stderr (yargs' own parse errors may add the fixed usage hint line after it). Returns the message line.
 */
export function userError(r: Run, what: string): string {
  assert.is(r.code, 2, `${what}: expected exit 2, got ${r.code}; stderr: ${r.stderr}`);
  assert.is(r.stdout, '', `${what}: nothing on stdout`);
  assert.not.ok(r.stderr.includes('    at '), `${what}: stack trace printed:\n${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '' && l !== USAGE_HINT);
  assert.is(lines.length, 1, `${what}: one message line, got:\n${r.stderr}`);
  assert.ok(lines[0].startsWith('hwq: '), `${what}: message starts with 'hwq: ': ${lines[0]}`);
  return lines[0];
}
