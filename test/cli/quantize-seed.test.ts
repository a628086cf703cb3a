// `--seed` makes a Bit-split run repeatable bit for bit: the same seed writes identical QDQ and .hwq files,
// another seed draws other calibration images and positions and writes different ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, withShared } from '../helpers.js';
import { hwq } from './run-hwq.js';

const T = tempDir('hwq-seed-');

withShared(test, 'bitsplit a4w4 with --seed: same seed -> identical files, other seed -> different', [['models', 'cifar10-resnet20.onnx'], ['data', 'cifar10', 'calib']], async ([model, calib]) => {
  const run = async (tag: string, seed: string) => {
    const out = join(T, `${tag}.onnx`), h = join(T, `${tag}.hwq`);
    const r = await hwq('quantize', model, '--a4w4', '--method', 'bitsplit', '--ecaq', '--calib', calib, '--calib-size', '12', '--positions', '600',
      '--sqnr-images', '0', '--seed', seed, '--out', out, '--hwq', h, '--json');
    assert.is(r.code, 0, r.stderr);
    return { onnx: readFileSync(out), hwq: readFileSync(h) };
  };
  const a = await run('a', '3');
  const b = await run('b', '3');
  const c = await run('c', '4');
  assert.ok(a.onnx.equals(b.onnx), 'same seed: QDQ files differ');
  assert.ok(a.hwq.equals(b.hwq), 'same seed: .hwq files differ');
  assert.not.ok(a.hwq.equals(c.hwq), 'another seed wrote the same integers');
});

test.run();
