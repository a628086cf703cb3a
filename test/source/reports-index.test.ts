// reports/README.md indexes every committed report: each file under reports/ must be named in it (a row may name
// several, separated by commas), and each named file must exist.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../helpers.js';

const REPORTS = join(REPO_ROOT, 'reports');

function files(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

/** Files named in the first column of each table, with the folder of the heading above it. */
function indexed(): string[] {
  const out: string[] = [];
  let folder = '';
  for (const line of readFileSync(join(REPORTS, 'README.md'), 'utf8').split('\n')) {
    const h = /^## (\S+\/)?/.exec(line);
    if (h) folder = h[1] ?? '';
    const row = /^\| ([^|]+) \|/.exec(line);
    if (row && !/^(file|---)/.test(row[1].trim())) out.push(...row[1].split(',').map((n) => folder + n.trim()));
  }
  return out;
}

test('every report file is in reports/README.md, and every file it names exists', () => {
  const listed = new Set(indexed());
  const present = files(REPORTS).map((f) => relative(REPORTS, f));
  assert.equal(present.filter((f) => !listed.has(f)), [], 'files missing from reports/README.md');
  assert.equal([...listed].filter((f) => !present.includes(f)), [], 'reports/README.md names files that do not exist');
});

test.run();
