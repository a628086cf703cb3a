// Writing results safely: every file goes to a temporary name in its target folder first and is renamed
// into place once all of a command's files are written, so a failed or interrupted run leaves neither a
// half-written file nor some files of a set without the others. Temporary names are registered with the
// cleanup registry (src/cleanup.ts) while they exist. Missing parent folders are created with the usual
// permissions (0777 less the umask).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { onCleanup } from './cleanup.js';
import { UserError } from './errors.js';

/** A fresh name beside `path`, hidden and recognisably hwq's, for a file or folder about to become `path`. */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.hwq-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Creates `dir` and its missing parents; returns the topmost folder it created (to undo), if any. */
function makeDirs(dir: string): string | undefined {
  return mkdirSync(dir, { recursive: true });
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeFilesAtomic({ [path]: data });
}

/**
 * Writes several files all or none: each to a temporary name beside its target, then every rename once all
 * are written. On a failure the temporary files and any folder this call created are removed.
 */
export function writeFilesAtomic(files: Record<string, string | Uint8Array>): void {
  const staged: Array<{ tmp: string; path: string }> = [];
  const created: string[] = [];
  const undo = () => {
    for (const s of staged) rmSync(s.tmp, { force: true });
    for (const d of created.reverse()) rmSync(d, { recursive: true, force: true });
  };
  const release = onCleanup(undo);
  try {
    for (const [path, data] of Object.entries(files)) {
      const top = makeDirs(dirname(path));
      if (top) created.push(top);
      const tmp = tempSibling(path);
      staged.push({ tmp, path });
      writeFileSync(tmp, data, { flag: 'wx' });
    }
    for (const s of staged) renameSync(s.tmp, s.path);
  } catch (e) {
    undo();
    throw e;
  } finally {
    release();
  }
}

/** A tree may replace an existing folder only when `replace` (--force) or when that folder is empty. */
export function checkTreeTarget(dir: string, replace: boolean, flag = 'out'): void {
  const nonEmpty = existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0);
  if (nonEmpty && !replace) throw new UserError(`--${flag} '${dir}' exists and is not empty: pass --force to replace it`);
}

/**
 * Writes a whole folder of files (relative name -> text) all or none: into a temporary sibling folder,
 * renamed into place at the end. An existing non-empty `dir` is refused unless `replace`, and then swapped
 * out only after the new tree is complete.
 */
export function writeTreeAtomic(dir: string, files: Map<string, string | Uint8Array>, replace: boolean, flag = 'out'): void {
  checkTreeTarget(dir, replace, flag);
  const createdParent = makeDirs(dirname(dir));
  const tmp = tempSibling(dir);
  const old = `${tmp}.old`;
  const undo = () => {
    rmSync(tmp, { recursive: true, force: true });
    if (createdParent) rmSync(createdParent, { recursive: true, force: true });
  };
  const release = onCleanup(undo);
  try {
    mkdirSync(tmp);
    for (const [name, data] of files) {
      mkdirSync(dirname(join(tmp, name)), { recursive: true });
      writeFileSync(join(tmp, name), data);
    }
    if (existsSync(dir)) {
      renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, dir);
    }
  } catch (e) {
    if (existsSync(old) && !existsSync(dir)) renameSync(old, dir);
    undo();
    throw e;
  } finally {
    release();
  }
}
