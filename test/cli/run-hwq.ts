// Runs the CLI as a user does (a child `node bin/hwq.js ...` from the repository root) for the end-to-end
// tests in this folder, and checks the user-error contract in one place.
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers.js';

export interface Run { code: number; stdout: string; stderr: string }

/** Runs `file ...args` (through node when viaNode) in cwd; never rejects. */
export function runFile(file: string, args: string[], cwd: string, viaNode = true): Promise<Run> {
  const [cmd, argv] = viaNode ? [process.execPath, [file, ...args]] : [file, args];
  return new Promise((resolve) => {
    execFile(cmd, argv, { cwd, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

const cache = new Map<string, Promise<Run>>();

/** `hwq ...args` from the repository root. Identical invocations within one test file share one run. */
export function hwq(...args: string[]): Promise<Run> {
  const key = JSON.stringify(args);
  let run = cache.get(key);
  if (!run) {
    run = runFile(join(REPO_ROOT, 'bin', 'hwq.js'), args, REPO_ROOT);
    cache.set(key, run);
  }
  return run;
}

/** Several invocations, two at a time (the machine has 2 cores; each node start costs ~0.5 s of CPU). */
export async function hwqAll(list: string[][]): Promise<Run[]> {
  const out: Run[] = new Array(list.length);
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const i = next++;
      out[i] = await hwq(...list[i]);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
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
