// Source lines stay readable in a side-by-side diff: none over MAX_LINE characters in the library, the drivers,
// the benchmarks or the tests. Long strings and tables wrap like any other line.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../helpers.js';
import { SOURCE_ROOTS } from './import-graph.js';

const MAX_LINE = 200;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : n.endsWith('.ts') ? [p] : [];
  });
}

test(`no source line over ${MAX_LINE} characters`, () => {
  const long: string[] = [];
  for (const file of [...SOURCE_ROOTS, 'test'].flatMap((r) => tsFiles(join(REPO_ROOT, r)))) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (line.length > MAX_LINE) long.push(`${relative(REPO_ROOT, file)}:${i + 1} (${line.length})`);
    });
  }
  assert.equal(long, [], `${long.length} lines over ${MAX_LINE} characters:\n${long.join('\n')}`);
});

test.run();
