// The bad-input suite: every row of bad-inputs/cases.ts through the real CLI entry (in this process), each
// must exit 2 with one line naming the bad input, print nothing on stdout and leave no file behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { BAD_CASES, judge, makeFixtures, runCase } from './bad-inputs/suite.js';
import type { Fixtures } from './bad-inputs/fixtures.js';

let fx: Fixtures;

test.before(async () => {
  fx = await makeFixtures();
});

test.after(() => {
  rmSync(fx.dir, { recursive: true, force: true });
});

test('the table has at least 100 cases over every kind of input', () => {
  assert.ok(BAD_CASES.length >= 100, `${BAD_CASES.length} cases`);
  assert.equal([...new Set(BAD_CASES.map((c) => c.kind))].sort(), ['config', 'flags', 'hwq', 'images', 'labels', 'onnx', 'output', 'precision']);
  const commands = new Set(BAD_CASES.map((c) => c.args[0]));
  for (const cmd of ['sim', 'sweep', 'zoo', 'quantize', 'eval', 'compare', 'rtl']) assert.ok(commands.has(cmd), `no case for hwq ${cmd}`);
});

for (const c of BAD_CASES) {
  test(`${c.kind}: ${c.what}`, async () => {
    const r = await runCase(c, fx);
    const problems = judge(c, r, fx);
    assert.equal(problems, [], `hwq ${c.args.join(' ')}\n  ${problems.join('\n  ')}\n  stderr: ${r.stderr}`);
  });
}

test.run();
