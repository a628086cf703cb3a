// Writing results safely: every file goes to a temporary name first and is renamed into place, so a failed
// run never leaves a half-written file behind.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes several files only after all of their contents exist (computed before any file is touched). */
export function writeFilesAtomic(files: Record<string, string | Uint8Array>): void {
  for (const [path, data] of Object.entries(files)) writeFileAtomic(path, data);
}
