// --input-shape: an .onnx model exported with symbolic H and W is simulated at the dims the user gives, which
// must agree with every dim the file fixes; without it the refusal names the flag.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { saveModel } from '../../src/onnx/proto.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { tempDir } from '../helpers.js';
import { hwq, userError } from './run-hwq.js';

const T = tempDir('hwq-input-shape-');

/** Conv 3->8 3x3 -> Relu -> GlobalAveragePool -> Flatten -> Gemm 8->10, input [N, 3, H, W]. */
function model(dims: (number | string)[]): string {
  const path = join(T, `m-${dims.join('-')}.onnx`);
  saveModel(path, buildModel({
    inputs: [{ name: 'x', dims }],
    outputs: [{ name: 'y', dims: [dims[0], 10] }],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'fw'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
    initializers: { w: floatTensor([8, 3, 3, 3], new Array(216).fill(0.1)), fw: floatTensor([10, 8], new Array(80).fill(0.1)) },
  }));
  return path;
}

const macs = (stdout: string) => (JSON.parse(stdout) as { macs: number }).macs;

test('symbolic H and W: refused naming --input-shape; given, the MACs are those of the fixed-size export', async () => {
  const symbolic = model(['N', 3, 'H', 'W']);
  const fixed = model(['N', 3, 32, 48]);
  const refused = await hwq('sim', symbolic);
  assert.match(userError(refused, 'sim without --input-shape'), /symbolic dim 'H' at axis 2: .*--input-shape/);
  const [given, ref, bigger] = [await hwq('sim', symbolic, '--input-shape', '3x32x48', '--json'), await hwq('sim', fixed, '--json'), await hwq('sim', symbolic, '--input-shape', '3x64x96', '--json')];
  for (const r of [given, ref, bigger]) assert.is(r.code, 0, r.stderr);
  assert.is(macs(given.stdout), macs(ref.stdout));
  assert.is(macs(given.stdout), 32 * 48 * 8 * 27 + 80);
  assert.is(macs(bigger.stdout), 64 * 96 * 8 * 27 + 80);
  const sweep = await hwq('sweep', symbolic, '--input-shape', '3x32x48', '--precisions', 'a8w8', '--json');
  assert.is(sweep.code, 0, sweep.stderr);
});

test('--input-shape must agree with the model and name an .onnx model', async () => {
  const fixed = model(['N', 3, 32, 48]);
  const symbolic = model(['N', 3, 'H', 'W']);
  assert.match(userError(await hwq('sim', fixed, '--input-shape', '3x32x32'), 'disagreeing dims'), /--input-shape 3x32x32 disagrees with .*fixed at 3x32x48 per sample/);
  assert.match(userError(await hwq('sim', symbolic, '--input-shape', '32x32'), 'wrong rank'), /--input-shape 32x32 has 2 dims but .* has 3 per sample \(3xHxW\)/);
  assert.match(userError(await hwq('sim', symbolic, '--input-shape', '3x0x4'), 'zero dim'), /--input-shape '3x0x4' must be the dims of one sample/);
  assert.match(userError(await hwq('sim', 'resnet18', '--input-shape', '3x224x224'), 'zoo model'), /--input-shape applies to \.onnx models .*'resnet18'/);
});

test.run();
