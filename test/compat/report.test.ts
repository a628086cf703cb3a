// scripts/compat-report.ts: each command's outcome told apart (ok, refused with hwq's line, crash), and a run
// over a folder writing the table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../helpers.js';
import { runFile } from '../cli/run-hwq.js';
import { colourFolder } from '../eval/colour-fixtures.js';
import { saveModel } from '../../src/onnx/proto.js';
import { outcomeOf } from '../../scripts/compat-report.js';
import { conv1dNet, convTranspose1dNet, floatTwin } from './qmodels.js';

const T = tempDir('hwq-compat-report-');

test('outcomeOf: exit 0 is ok, exit 2 with one hwq line is refused (path shortened), anything else a crash', () => {
  const m = '/some/dir/m.onnx';
  assert.equal(outcomeOf({ code: 0, stdout: '{"n":3}', stderr: '' }, m, (o) => `n=${JSON.parse(o).n}`), { kind: 'ok', detail: 'n=3' });
  assert.equal(outcomeOf({ code: 2, stdout: '', stderr: `hwq: ${m}: op 'X' is not supported\n` }, m, () => ''), { kind: 'refused', reason: "m.onnx: op 'X' is not supported" });
  assert.is(outcomeOf({ code: 2, stdout: '', stderr: 'hwq: bad\n    at f (x.js:1:1)\n' }, m, () => '').kind, 'crash');
  assert.equal(outcomeOf({ code: 1, stdout: '', stderr: 'TypeError: boom\n' }, m, () => ''), { kind: 'crash', reason: 'exit 1: TypeError: boom' });
  assert.equal(outcomeOf({ code: null, stdout: '', stderr: '' }, m, () => ''), { kind: 'crash', reason: 'exit signal: exit null' });
});

test('a folder of models: one row each, with the source from sources.tsv, outcomes and layers', async () => {
  const dir = join(T, 'models');
  mkdirSync(dir);
  saveModel(join(dir, 'twin.onnx'), floatTwin());
  saveModel(join(dir, 'conv1d.onnx'), conv1dNet());
  saveModel(join(dir, 'ct.onnx'), convTranspose1dNet());
  writeFileSync(join(dir, 'sources.tsv'), 'twin.onnx\towner/repo\tmodels/twin.onnx\n');
  const images = colourFolder(join(T, 'images'), 4);
  const out = join(T, 'compat.md');
  const r = await runFile(join(REPO_ROOT, 'dist', 'scripts', 'compat-report.js'), [dir, '--calib', images, '--out', out], T);
  assert.is(r.code, 0, r.stderr);
  const md = readFileSync(out, 'utf8');
  const row = (name: string) => md.split('\n').find((l) => l.startsWith(`| ${name} |`)) ?? '';
  assert.match(row('twin.onnx'), /\| owner\/repo: models\/twin\.onnx \| hwq \| 13 \| x \[N, 3, 32, 32\] \| 3 \(368,664 MACs\) \| ok \| ok \(a8w8, 3 layers\) \| ok \(top-1 /);
  assert.match(row('conv1d.onnx'), /\| ok \| ok \(w8, 3 layers\) \| skipped: /);
  assert.match(row('ct.onnx'), /refused: ct\.onnx: op 'ConvTranspose' \(node 'dec'\) is a transposed convolution/);
  assert.match(md, /\| sim \| 2 \| 1 \| 0 \| 0 \|/);
});

test.run();
