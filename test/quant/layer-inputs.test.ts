import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { withOutputs } from '../../src/onnx/expose.js';
import { GraphView } from '../../src/onnx/graph.js';
import { loadModel, type IModelProto } from '../../src/onnx/proto.js';
import { openModel } from '../../src/onnx/run.js';
import { extractSegment, segmentInputs } from '../../src/onnx/segment.js';
import { floatTensor, tensorToProto } from '../../src/onnx/tensor.js';
import { type BatchTensor, LayerInputs, lastReads } from '../../src/quant/layer-inputs.js';
import { rng, withShared } from '../helpers.js';

const r = rng(29);
/** A [4, 4, 1, 1] weight initializer. */
const floatTensorProto = (name: string, v: Float32Array) => tensorToProto(name, floatTensor([4, 4, 1, 1], v));
const rand = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);

/** conv -> relu -> conv (a) and a 1x1 shortcut conv (b) of the same relu output, added, then two heads on the sum. */
function residualNet(): IModelProto {
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, 6, 6] }],
    outputs: [{ name: 'y' }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w0'], outputs: ['c0'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'Relu', inputs: ['c0'], outputs: ['r0'] },
      { op: 'Conv', inputs: ['r0', 'w1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'Conv', inputs: ['r0', 'w2'], outputs: ['c2'] },
      { op: 'Add', inputs: ['c1', 'c2'], outputs: ['s'] },
      { op: 'Relu', inputs: ['s'], outputs: ['r1'] },
      { op: 'Conv', inputs: ['r1', 'w3'], outputs: ['c3'] },
      { op: 'Add', inputs: ['c3', 'r1'], outputs: ['y'] },
    ],
    initializers: {
      w0: floatTensor([4, 3, 3, 3], rand(108)), w1: floatTensor([4, 4, 3, 3], rand(144)), w2: floatTensor([4, 4, 1, 1], rand(16)),
      w3: floatTensor([4, 4, 1, 1], rand(16)),
    },
  });
}

async function runFull(model: IModelProto, input: BatchTensor[], tensor: string): Promise<BatchTensor[]> {
  const m = await openModel(withOutputs(model, [tensor]), 2, 'basic');
  try {
    const out: BatchTensor[] = [];
    for (const b of input) {
      const got = (await m.run({ x: b }, [tensor])).get(tensor)!;
      out.push({ data: got.data as Float32Array, dims: got.dims });
    }
    return out;
  } finally {
    await m.release();
  }
}

test('a segment reads exactly the known tensors on its paths and nothing it does not need', () => {
  const view = new GraphView(residualNet());
  assert.equal(segmentInputs(view, new Set(['x']), ['r1']).inputs, ['x']);
  assert.equal(segmentInputs(view, new Set(['x', 'r0']), ['r1']).inputs, ['r0']);
  // the residual operand r1 is read twice on the way to y: once as known
  const s = segmentInputs(view, new Set(['x', 'r0', 'r1']), ['y']);
  assert.equal(s.inputs, ['r1']);
  assert.is(s.nodes.size, 2);
  assert.throws(() => segmentInputs(view, new Set(), ['y']), /needs 'x', which nothing known/);
  const seg = extractSegment(residualNet(), new Set(['r0']), ['r1']);
  assert.equal(seg.model.graph!.node!.map((n) => n.opType), ['Conv', 'Conv', 'Add', 'Relu']);
  assert.equal(seg.model.graph!.initializer!.map((t) => t.name).sort(), ['w1', 'w2']);
});

test('each layer\'s input moved on from the earlier ones equals the network run from the images, kept or not', async () => {
  const model = residualNet();
  const images = [0, 1, 2].map(() => ({ data: rand(2 * 3 * 36), dims: [2, 3, 6, 6] }));
  const targets = ['x', 'r0', 'r0', 'r1'];
  assert.equal([...lastReads(model, 'x', targets)].sort(), [['r0', 3], ['x', 1]]);
  for (const budget of [Infinity, 0]) {
    const li = new LayerInputs(targets, model, 'x', images, budget);
    for (let i = 0; i < targets.length; i++) {
      const got = await li.compute(model, i);
      const want = await runFull(model, images, targets[i]);
      got.forEach((g, b) => {
        assert.equal(g.dims, want[b].dims);
        assert.ok(g.data.every((v, k) => v === want[b].data[k]), `layer ${i} batch ${b} (budget ${budget})`);
      });
      li.done(i);
    }
    assert.is(li.keptBytes, 0);
  }
});

test('tensors are kept while a later layer reads them, within the budget', async () => {
  const model = residualNet();
  const images = [{ data: rand(2 * 3 * 36), dims: [2, 3, 6, 6] }];
  const li = new LayerInputs(['x', 'r0', 'r0', 'r1'], model, 'x', images);
  await li.compute(model, 0);
  await li.compute(model, 1);
  assert.is(li.keptBytes, 2 * 4 * 36 * 4, 'r0 is read by layers 2 and 3');
  li.done(1);
  assert.is(li.keptBytes, 2 * 4 * 36 * 4);
  await li.compute(model, 2);
  li.done(2);
  assert.is(li.keptBytes, 2 * 4 * 36 * 4, 'layer 3 computes r1 from r0');
  await li.compute(model, 3);
  assert.is(li.keptBytes, 2 * 4 * 36 * 4, 'r1 is read by no later layer: not kept');
  li.done(3);
  assert.is(li.keptBytes, 0);
  const none = new LayerInputs(['x', 'r0', 'r0', 'r1'], model, 'x', images, 100);
  await none.compute(model, 1);
  assert.is(none.keptBytes, 0, 'over the budget: computed, not kept');
});

test('a graph changed after the tensors at hand runs from them and equals that graph run from the images', async () => {
  const model = residualNet();
  // the same network with the last conv's weights replaced: r1 and everything before it are unchanged
  const changed = structuredClone(model);
  const w3 = changed.graph!.initializer!.find((t) => t.name === 'w3')!;
  changed.graph!.initializer!.splice(changed.graph!.initializer!.indexOf(w3), 1, { ...floatTensorProto('w3', rand(16)) });
  const images = [0, 1].map(() => ({ data: rand(2 * 3 * 36), dims: [2, 3, 6, 6] }));
  const li = new LayerInputs(['x', 'r0', 'r1'], model, 'x', images);
  for (let i = 0; i < 3; i++) await li.compute(model, i);
  const r1 = await li.compute(model, 2);
  const got = await li.through(changed, 'y', new Map([['r1', r1]]));
  const want = await runFull(changed, images, 'y');
  got.forEach((g, b) => assert.ok(g.data.every((v, k) => v === want[b].data[k]), `batch ${b}`));
  const before = await runFull(model, images, 'y');
  assert.ok(got[0].data.some((v, k) => v !== before[0].data[k]), 'the change shows');
});

withShared(test, 'ResNet-20: every layer input from the kept tensors equals the full network\'s', [['models', 'cifar10-resnet20.onnx']], async ([path]) => {
  const model = loadModel(path);
  const input = new GraphView(model).inputs[0].name;
  const view = new GraphView(model);
  const targets = view.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm').map((n) => n.inputs[0]);
  const images = [{ data: rand(3 * 3 * 32 * 32), dims: [3, 3, 32, 32] }];
  const li = new LayerInputs(targets, model, input, images);
  const full = await openModel(withOutputs(model, targets), 2, 'basic');
  try {
    const all = await full.run({ [input]: images[0] }, [...new Set(targets)]);
    for (let i = 0; i < targets.length; i++) {
      const [got] = await li.compute(model, i);
      const want = all.get(targets[i])!.data as Float32Array;
      assert.ok(got.data.every((v, k) => v === want[k]), `input of layer ${i} (${targets[i]})`);
      li.done(i);
    }
  } finally {
    await full.release();
  }
});

test.run();
