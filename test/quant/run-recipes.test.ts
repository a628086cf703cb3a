// Runs of one recipe at several precisions share the passes that do not read the activation bit widths, and give
// the same models as separate runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeHwq } from '../../src/quant/hwq-export.js';
import { actBitsFreePasses, runRecipe, runRecipes } from '../../src/quant/pipeline/run.js';
import type { QuantRun } from '../../src/quant/pipeline/state.js';
import { toQdqBytes } from '../../src/quant/qdq.js';
import { findRecipe } from '../../src/quant/recipes.js';
import { calibration, model } from './tiny-net.js';

/** Runs at each (a, w), counting the weight passes that ran to their last layer and the calibrations of the quantized network. */
function runsOf(pairs: Array<[number, number]>, fits: { n: number; calibrations: number }): QuantRun[] {
  return pairs.map(([a, w]) => ({
    aBits: a, wBits: w, firstLast: null, positions: 64, seed: 1, calibration,
    progress: (stage, done, total) => {
      if (stage === 'quantize' && done === total) fits.n++;
      if (stage === 'calibrate' && done === total) fits.calibrations++;
    },
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
    const shared = { n: 0, calibrations: 0 };
    const together = await runRecipes(model, 'test', 'test', recipe, runsOf(pairs, shared));
    const alone = { n: 0, calibrations: 0 };
    for (const [k, run] of runsOf(pairs, alone).entries()) {
      const one = await runRecipe(model, 'test', 'test', recipe, run);
      assert.equal(toQdqBytes(together[k].model), toQdqBytes(one.model), `${name} a${pairs[k][0]}w${pairs[k][1]}: QDQ`);
      assert.equal(writeHwq(together[k].model), writeHwq(one.model), `${name} a${pairs[k][0]}w${pairs[k][1]}: .hwq`);
      assert.equal(together[k].report, one.report);
    }
    assert.is(alone.n, pairs.length);
    assert.is(shared.n, name === 'bitsplit-mnv2' ? 2 : pairs.length, `${name}: weight fits`);
    if (name === 'bitsplit-mnv2') assert.equal([alone.calibrations, shared.calibrations], [pairs.length, 2], 'calibrations of the weight-quantized network');
  }
});

test.run();
