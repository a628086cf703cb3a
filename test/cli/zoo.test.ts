// End-to-end tests of `hwq zoo`: the JSON listing scripts rely on and the human table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hwq } from './run-hwq.js';
import { zooNames } from '../../src/model/zoo.js';

interface ZooJson { name: string; description: string; computeLayers: number; macs: number; params: number; input: { c: number; h: number; w: number } }

test('zoo --json lists every network; resnet18 has 21 compute layers and 1,814,073,344 MACs', async () => {
  const r = await hwq('zoo', '--json');
  assert.is(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as ZooJson[];
  assert.equal(rows.map((x) => x.name), zooNames());
  const resnet18 = rows.find((x) => x.name === 'resnet18')!;
  assert.ok(resnet18, 'resnet18 listed');
  assert.is(resnet18.macs, 1814073344);
  assert.is(resnet18.computeLayers, 21);
  // torchvision's 11,689,512 parameters with BatchNorm folded: the 4,800 BN channels lose gamma and beta
  // (9,600) and their convs gain a bias each (4,800).
  assert.is(resnet18.params, 11689512 - 9600 + 4800);
  assert.equal(resnet18.input, { c: 3, h: 224, w: 224 });
  for (const x of rows) assert.ok(x.macs > 0 && x.computeLayers > 0 && x.description.length > 0, x.name);
});

test('zoo prints a table: header, rule, one row per network', async () => {
  const r = await hwq('zoo');
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^name\s+description\s+compute layers\s+MACs \(G\)\s+params \(M\)\s+input$/);
  assert.match(lines[1], /^-+( +-+)+$/);
  assert.is(lines.length, 2 + zooNames().length);
  const row = lines.find((l) => l.startsWith('resnet18 '));
  assert.ok(row, 'resnet18 row');
  assert.match(row!, /\s21\s+1\.814\s+11\.68\s+3x224x224$/);
});

test.run();
