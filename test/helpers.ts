// Shared test utilities: where ../shared is, and a way to register data-backed tests that skip with a reason.
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'uvu';
import { mulberry32, randInt } from '../src/data/sampling.js';

/** The repository root (tests run from dist/test/...). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = process.env.HWQ_SHARED ?? join(REPO_ROOT, '..', 'shared');

/** Path inside ../shared, or undefined when that file or folder is absent. */
export function sharedPath(...parts: string[]): string | undefined {
  const p = join(SHARED, ...parts);
  return existsSync(p) ? p : undefined;
}

/** Registers `fn` when every path exists; otherwise a skipped test that says which path was missing. */
export function withShared(t: Test, name: string, paths: string[][], fn: (p: string[]) => unknown | Promise<unknown>): void {
  const found = paths.map((p) => sharedPath(...p));
  const missing = paths.filter((_, i) => !found[i]).map((p) => join(SHARED, ...p));
  if (missing.length) {
    console.log(`  skip '${name}': missing ${missing.join(', ')}`);
    t.skip(name, () => {});
    return;
  }
  t(name, async () => {
    await fn(found as string[]);
  });
}

/** Deterministic PRNG, the one the data sampling uses, so property tests are repeatable. */
export const rng = mulberry32;

export { randInt };
