import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { calibrate } from '../../src/quant/calibrate.js';
import type { Batch } from '../../src/data/batches.js';

test('a one-layer network: the only tensor to calibrate is the graph input, taken from the batch', async () => {
  const model = buildModel({
    inputs: [{ name: 'x', dims: ['N', 2, 3, 3] }],
    outputs: [{ name: 'y', dims: ['N', 1, 2, 2] }],
    nodes: [{ op: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: attr.ints([2, 2]) } }],
    initializers: { w: floatTensor([1, 2, 2, 2], [1, 0, 0, 1, 0, 1, 1, 0]) },
  });
  const data = Float32Array.from({ length: 2 * 18 }, (_, i) => (i % 7) - 2);
  async function* batches(): AsyncIterable<Batch> {
    yield { data, count: 2, labels: new Int32Array(2) } as unknown as Batch;
  }
  const stats = await calibrate(model, ['x'], batches(), (b) => [b.count, 2, 3, 3], { sampleCap: 1024, batches: 1 });
  assert.equal([stats.get('x')!.min, stats.get('x')!.max], [-2, 4]);
});

test.run();
