// Runs of one recipe at several precisions share the passes that do not read the activation bit widths, and give
// the same models as separate runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Batch } from '../../src/data/batches.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { writeHwq } from '../../src/quant/hwq-export.js';
import { actBitsFreePasses, runRecipe, runRecipes } from '../../src/quant/pipeline/run.js';
import type { QuantRun } from '../../src/quant/pipeline/state.js';
import { toQdqBytes } from '../../src/quant/qdq.js';
import { findRecipe } from '../../src/quant/recipes.js';
import { rng } from '../helpers.js';

const r = rng(41);
const rand = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * (r() * 2 - 1));

const model = buildModel({
  inputs: [{ name: 'x', dims: ['N', 3, 8, 8] }],
  outputs: [{ name: 'y' }],
  nodes: [
    { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
    { op: 'Conv', name: 'dw', inputs: ['r1', 'w2'], outputs: ['c2'], attrs: { pads: attr.ints([1, 1, 1, 1]), group: attr.int(6) } },
    { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
    { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['p'] },
    { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
    { op: 'Gemm', name: 'fc', inputs: ['f', 'w3', 'b3'], outputs: ['y'], attrs: { transB: attr.int(1) } },
  ],
  initializers: {
    w1: floatTensor([6, 3, 3, 3], rand(162, 0.5)), b1: floatTensor([6], rand(6, 0.1)), w2: floatTensor([6, 1, 3, 3], rand(54)),
    w3: floatTensor([5, 6], rand(30)), b3: floatTensor([5], rand(5, 0.1)),
  },
});
const images = [0, 1].map((k) => ({ start: 4 * k, count: 4, data: rand(4 * 3 * 64, 2), labels: new Int32Array(4) }));

/** Runs at each (a, w), counting the weight passes that ran to their last layer. */
function runsOf(pairs: Array<[number, number]>, fits: { n: number }): QuantRun[] {
  const calibration = { batches: async function* (): AsyncGenerator<Batch> { yield* images; }, count: 2, inputDims: (b: Batch) => [b.count, 3, 8, 8] };
  return pairs.map(([a, w]) => ({
    aBits: a, wBits: w, firstLast: null, positions: 64, seed: 1, calibration,
    progress: (stage, done, total) => { if (stage === 'quantize' && done === total) fits.n++; },
  }));
}

test('the passes before the first that reads activation bits: none with clips in the fit, the weights (and ECAQ mark) without', () => {
  assert.is(actBitsFreePasses(findRecipe('bitsplit')), 0);
  assert.is(actBitsFreePasses(findRecipe('bitsplit-mnv2')), 2);
  assert.is(actBitsFreePasses(findRecipe('bitsplit-acts-after')), 1);
  assert.is(actBitsFreePasses(findRecipe('bitsplit+ecaq-dw')), 1, 'the ECAQ mark, then a fit it acts inside');
  assert.is(actBitsFreePasses(findRecipe('tflite')), 2, 'calibrate and rounding weights');
  assert.is(actBitsFreePasses(findRecipe('bitsplit-mnv2-smooth')), 0);
});

test('runs differing in activation bits share the weights fit and equal separate runs byte for byte', async () => {
  const pairs: Array<[number, number]> = [[2, 4], [4, 4], [8, 4], [4, 8], [2, 8]];
  for (const name of ['bitsplit-mnv2', 'bitsplit']) {
    const recipe = findRecipe(name);
    const shared = { n: 0 };
    const together = await runRecipes(model, 'test', 'test', recipe, runsOf(pairs, shared));
    const alone = { n: 0 };
    for (const [k, run] of runsOf(pairs, alone).entries()) {
      const one = await runRecipe(model, 'test', 'test', recipe, run);
      assert.equal(toQdqBytes(together[k].model), toQdqBytes(one.model), `${name} a${pairs[k][0]}w${pairs[k][1]}: QDQ`);
      assert.equal(writeHwq(together[k].model), writeHwq(one.model), `${name} a${pairs[k][0]}w${pairs[k][1]}: .hwq`);
      assert.equal(together[k].report, one.report);
    }
    assert.is(alone.n, pairs.length);
    assert.is(shared.n, name === 'bitsplit-mnv2' ? 2 : pairs.length, `${name}: weight fits`);
  }
});

test.run();
