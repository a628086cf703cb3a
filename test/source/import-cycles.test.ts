import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../helpers.js';
import { importCycles, importGraph } from './import-graph.js';

test('the finder sees a cycle and the imports behind it', () => {
  const g = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']], ['e.ts', ['e.ts']]]);
  assert.equal(importCycles(g), [['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
  assert.equal(importCycles(new Map([['a.ts', ['b.ts']], ['b.ts', []]])), []);
});

test('the graph holds the source tree and resolves relative imports', () => {
  const g = importGraph(REPO_ROOT);
  assert.ok(g.size > 100, `only ${g.size} source files found`);
  assert.ok(g.get('src/cli/main.ts')?.includes('src/cli/run.ts'), 'src/cli/main.ts -> src/cli/run.ts not seen');
});

test('no import cycle in the library, the scripts or the benchmarks', () => {
  const cycles = importCycles(importGraph(REPO_ROOT));
  assert.equal(cycles.map((c) => c.join(' <-> ')), [], `import cycles:\n${cycles.map((c) => '  ' + c.join(' <-> ')).join('\n')}`);
});

test.run();
