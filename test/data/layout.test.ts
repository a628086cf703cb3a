// Channels-last images: the detection rules on a model's input, --layout's parsing, the HWC output of the
// preprocessing (the CHW one transposed, value for value) and fixing symbolic input dims for the quantizer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attr } from '../../src/onnx/attr.js';
import { buildModel, type NodeSpec } from '../../src/onnx/build.js';
import { GraphView } from '../../src/onnx/graph.js';
import { detectLayout, fixInputDims, modelInput } from '../../src/data/model-input.js';
import { PRESETS, preprocess, resolvePreprocess } from '../../src/data/preprocess.js';
import { inputDims, sampleSize } from '../../src/data/input-spec.js';
import { parseLayout } from '../../src/cli/data-options.js';
import { UserError } from '../../src/errors.js';

const transpose = (from: string, to: string, perm: number[]): NodeSpec => ({
  op: 'Transpose', inputs: [from], outputs: [to], attrs: { perm: attr.ints(perm) },
});

function inputOf(dims: (number | string)[], nodes: NodeSpec[]) {
  return modelInput(buildModel({ inputs: [{ name: 'x', dims }], outputs: [{ name: 'y' }], nodes }))!;
}

test('detection: a Transpose to NCHW as every reader (through Cast) wins; else the channel count picks the side', () => {
  const tf = inputOf(['N', 4, 4, 4], [transpose('x', 'y', [0, 3, 1, 2])]);
  assert.equal([tf.name, tf.dims, tf.transposedToNchw], ['x', ['N', 4, 4, 4], true]);
  assert.is(detectLayout(tf.dims!.slice(1), tf.transposedToNchw), 'nhwc', '4x4x4 read through the Transpose');
  const cast: NodeSpec = { op: 'Cast', inputs: ['x'], outputs: ['c'], attrs: { to: attr.int(1) } };
  assert.ok(inputOf(['N', 8, 8, 3], [cast, transpose('c', 'y', [0, 3, 1, 2])]).transposedToNchw, 'through a Cast');
  assert.not.ok(inputOf(['N', 8, 8, 3], [transpose('x', 'y', [0, 2, 3, 1])]).transposedToNchw, 'another perm');
  const twoReaders = inputOf(['N', 8, 8, 3], [transpose('x', 't', [0, 3, 1, 2]), { op: 'Relu', inputs: ['x'], outputs: ['y'] }]);
  assert.not.ok(twoReaders.transposedToNchw, 'a second reader');
  assert.is(detectLayout([3, 32, 32], false), 'nchw');
  assert.is(detectLayout([1, 28, 28], false), 'nchw');
  assert.is(detectLayout([224, 224, 3], false), 'nhwc');
  assert.is(detectLayout(['H', 'W', 4], false), 'nhwc');
  assert.is(detectLayout([3, 3, 3], false), 'nchw', 'ambiguous: the ONNX convention');
  assert.is(detectLayout([16, 8, 8], false), 'nchw', 'no channel count anywhere');
  assert.is(detectLayout(['C', 'H', 'W'], false), 'nchw');
});

test('--layout: nchw or nhwc in any case; anything else lists the choices', () => {
  assert.equal([parseLayout('NHWC'), parseLayout('nchw'), parseLayout(undefined)], ['nhwc', 'nchw', undefined]);
  assert.throws(() => parseLayout('hwc'), (e: Error) => e instanceof UserError && /unknown --layout 'hwc': valid choices are nchw, nhwc/.test(e.message));
});

test('nhwc output is the nchw output transposed, for rgb, bgr and gray', () => {
  const img = { width: 7, height: 5, channels: 3 as const, data: Uint8Array.from({ length: 105 }, (_, i) => (i * 37) % 256) };
  for (const channels of ['rgb', 'bgr', 'gray'] as const) {
    const chw = resolvePreprocess('cifar10', { crop: { height: 4, width: 6 }, channels, mean: [0.5], std: [0.25] });
    const hwc = { ...chw, layout: 'nhwc' as const };
    const [a, b] = [preprocess(img, chw), preprocess(img, hwc)];
    const c = channels === 'gray' ? 1 : 3;
    assert.equal(inputDims(hwc, 2), [2, 4, 6, c]);
    assert.is(sampleSize(hwc), a.length);
    for (let k = 0; k < c; k++) {
      for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) assert.is(b[(y * 6 + x) * c + k], a[k * 24 + y * 6 + x], `${channels} (${k}, ${y}, ${x})`);
    }
  }
  // a preset keeps its name in either layout: the values are the same ones
  assert.is(resolvePreprocess('cifar10', { layout: 'nhwc' }).name, PRESETS.cifar10.name);
});

test('fixInputDims sets the per-sample dims and keeps the batch dim', () => {
  const relu = { op: 'Relu', inputs: ['x'], outputs: ['y'] };
  const model = buildModel({ inputs: [{ name: 'x', dims: ['N', 3, 'H', 'W'] }], outputs: [{ name: 'y' }], nodes: [relu] });
  fixInputDims(model, 'x', [3, 24, 40]);
  assert.equal(new GraphView(model).inputs[0].dims, ['N', 3, 24, 40]);
});

test.run();
