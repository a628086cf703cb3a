// Shared test utilities: where ../shared is, ways to register data- or tool-backed tests that skip with a reason,
// and temporary folders that are gone when the test file ends.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { hasTool } from '../rtl/sim.js';
import { UserError } from '../src/errors.js';
import { mulberry32, randInt } from '../src/random.js';

/** The repository root (tests run from dist/test/...). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = process.env.HWQ_SHARED ?? join(REPO_ROOT, '..', 'shared');
/** Set by `npm run test:unit`: data-backed tests skip as if ../shared were absent, so the tier runs fast anywhere. */
export const NO_SHARED = process.env.HWQ_NO_SHARED === '1';

/** Path inside ../shared, or undefined when that file or folder is absent (always, under HWQ_NO_SHARED=1). */
export function sharedPath(...parts: string[]): string | undefined {
  if (NO_SHARED) return undefined;
  const p = join(SHARED, ...parts);
  return existsSync(p) ? p : undefined;
}

/** Registers a skipped test and prints why, so a run without data or tools still shows what it did not check. */
export function skipTest(t: Test, name: string, reason: string): void {
  console.log(`  skip '${name}': ${reason}`);
  t.skip(name, () => {});
}

/** Registers `fn` when every path exists; otherwise a skipped test that says which path was missing. */
export function withShared(t: Test, name: string, paths: string[][], fn: (p: string[]) => unknown | Promise<unknown>): void {
  const found = paths.map((p) => sharedPath(...p));
  const missing = paths.filter((_, i) => !found[i]).map((p) => join(SHARED, ...p));
  if (missing.length) return skipTest(t, name, NO_SHARED ? 'HWQ_NO_SHARED=1 (unit tier)' : `missing ${missing.join(', ')}`);
  t(name, async () => {
    await fn(found as string[]);
  });
}

/** Registers `fn` when every tool is on PATH; otherwise a skipped test that says which tool was missing. */
export function withTools(t: Test, tools: string[], name: string, fn: () => unknown | Promise<unknown>): void {
  const missing = tools.filter((tool) => !hasTool(tool));
  if (missing.length) return skipTest(t, name, `${missing.join(' and ')} not found on PATH`);
  t(name, async () => {
    await fn();
  });
}

export const withVerilator = (t: Test, name: string, fn: () => unknown | Promise<unknown>): void => withTools(t, ['verilator'], name, fn);
export const withIcarus = (t: Test, name: string, fn: () => unknown | Promise<unknown>): void => withTools(t, ['iverilog'], name, fn);

const tempDirs: string[] = [];

/**
 * A fresh folder under os.tmpdir() named `<prefix>XXXXXX`, removed with everything in it when the test process
 * exits, whether its tests passed, failed or threw.
 */
export function tempDir(prefix = 'hwq-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (tempDirs.length === 0) process.on('exit', () => {
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });
  tempDirs.push(dir);
  return dir;
}

/** Deterministic PRNG, the one the data sampling uses, so property tests are repeatable. */
export const rng = mulberry32;

export { randInt };

/** Asserts that `fn` throws a UserError whose message matches `re`. */
export function throwsUser(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a UserError matching ${re}`);
}
