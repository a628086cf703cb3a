// The one rule for where a command may write, checked before any work starts: a file output must not be a
// folder, a folder output must not be a file, neither may be one of the command's inputs or another output,
// and the place must accept new files (tried for real: permission bits say nothing when running as root).
// Missing parent folders are fine: the writers in src/fsutil.ts create them.
import { closeSync, existsSync, openSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { tempSibling } from '../fsutil.js';
import { UserError } from '../errors.js';
import { reasonOf } from './failures.js';

export interface OutputSpec {
  /** The option naming it, without dashes ('out'). */
  flag: string;
  path: string;
  kind: 'file' | 'dir';
}

export interface InputSpec {
  /** How messages name it ('the input model'). */
  what: string;
  path: string;
}

/** The path with symbolic links and '..' resolved as far as it exists, so two spellings of one file compare equal. */
function canonical(p: string): string {
  const abs = resolve(p);
  if (existsSync(abs)) return realpathSync(abs);
  const parent = dirname(abs);
  return parent === abs ? abs : join(canonical(parent), basename(abs));
}

function nearestExisting(p: string): string {
  let q = resolve(p);
  while (!existsSync(q) && dirname(q) !== q) q = dirname(q);
  return q;
}

/** Tries to create (and removes) a file in `dir`; returns the error code when it cannot. */
function cannotCreateIn(dir: string): string | undefined {
  const probe = tempSibling(join(dir, 'probe'));
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'error';
  }
}

function checkOne(o: OutputSpec): void {
  const name = `--${o.flag} '${o.path}'`;
  if (o.path.trim() === '') throw new UserError(`--${o.flag} is empty: give a ${o.kind === 'dir' ? 'folder' : 'file'} path`);
  const abs = resolve(o.path);
  if (existsSync(abs)) {
    const isDir = statSync(abs).isDirectory();
    if (o.kind === 'file' && isDir) throw new UserError(`${name} is a folder: give a file name`);
    if (o.kind === 'dir' && !isDir) throw new UserError(`${name} exists and is a file, not a folder`);
  } else if (o.kind === 'file' && /[/\\]$/.test(o.path)) {
    throw new UserError(`${name} ends in a path separator: give a file name`);
  }
  // Files are created beside the target (temporary name, then rename), a folder output as a sibling folder.
  const home = nearestExisting(dirname(abs));
  if (!statSync(home).isDirectory()) throw new UserError(`cannot write ${name}: '${home}' is a file, not a folder`);
  const code = cannotCreateIn(home);
  if (code) throw new UserError(`cannot write ${name}: cannot create files in '${home}' (${reasonOf(code)})`);
}

/**
 * Checks every output of a command against the rule above; returns their absolute paths. Throws a
 * UserError naming the offending path.
 */
export function checkOutputs(outputs: OutputSpec[], inputs: InputSpec[] = []): string[] {
  for (const o of outputs) checkOne(o);
  const seen = new Map<string, OutputSpec>();
  for (const o of outputs) {
    const c = canonical(o.path);
    const input = inputs.find((i) => canonical(i.path) === c);
    if (input) throw new UserError(`--${o.flag} '${o.path}' is ${input.what} '${input.path}': write the result to another path`);
    const other = seen.get(c);
    if (other) throw new UserError(`--${o.flag} '${o.path}' and --${other.flag} '${other.path}' name the same path: give each output its own`);
    seen.set(c, o);
  }
  return outputs.map((o) => resolve(o.path));
}
