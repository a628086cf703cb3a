// The quantization pipeline's passes and recipes: each pass refuses the combinations it cannot run (with the
// flag-level messages the command line shows), every named recipe survives a JSON round trip, the low-level
// options resolve to the named recipe they spell, and a run of a recipe writes the same model as its flags.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../src/errors.js';
import { checkRecipe } from '../../src/quant/pipeline/run.js';
import { recipeFromOptions } from '../../src/quant/pipeline/from-options.js';
import type { PassSpec, Recipe } from '../../src/quant/pipeline/spec.js';
import type { QuantRun } from '../../src/quant/pipeline/state.js';
import type { QuantizeOptions } from '../../src/quant/options.js';
import { BITSPLIT_DAMP, RECIPES, findRecipe, parseRecipe, tuneRecipe } from '../../src/quant/recipes.js';

const CAL: QuantRun['calibration'] = { batches: async function* () {}, count: 0, inputDims: () => [] };
const A4W4: QuantRun = { aBits: 4, wBits: 4, firstLast: 8, calibration: CAL };
const W4: QuantRun = { ...A4W4, aBits: null };

const recipe = (passes: PassSpec[]): Recipe => ({ name: 'test', describe: 'a recipe under test', passes });
const weights = (method: string, more: object = {}): PassSpec => ({ pass: 'weights', method, p: 2.4, damp: 0, floatInputs: false, biasCorrection: false, ...more });
const fit = { fit: { acts: 'mse', mode: 'quantized' } };

function refuses(r: Recipe, run: QuantRun, re: RegExp): void {
  try {
    checkRecipe(r, run);
  } catch (e) {
    assert.ok(e instanceof UserError, `not a UserError: ${e}`);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`${JSON.stringify(r.passes)} was accepted`);
}

test('every named recipe passes its own checks at A4W4 and weight-only (where it has no activation-only pass)', () => {
  for (const r of RECIPES) {
    checkRecipe(r, A4W4);
    const activationOnly = r.passes.some((p) => p.pass === 'ecaq' || p.pass === 'smooth' || (p.pass === 'lapq' && !p.weights));
    if (!activationOnly) checkRecipe(r, W4);
  }
});

test('smooth: refused beside LAPQ, out of range, without activation bits, on a rounding method, with clips in the fit', () => {
  const after = [weights('bitsplit'), { pass: 'acts', method: 'mse', p: 2.4, network: 'quantized' }] as PassSpec[];
  refuses(recipe([
    { pass: 'smooth', alpha: 0.5 }, { pass: 'calibrate' }, weights('lp'), { pass: 'acts', method: 'lp', p: 2.4, network: 'float' },
    { pass: 'lapq', weights: true, labels: true, maxEvals: 10 },
  ]), A4W4, /not with LAPQ's joint clip search/);
  refuses(recipe([{ pass: 'smooth', alpha: 2 }, ...after]), A4W4, /^--smooth 2: the smoothing strength alpha must be in \(0, 1\]/);
  refuses(recipe([{ pass: 'smooth', alpha: 0.5 }, ...after]), W4, /needs activation bits/);
  refuses(recipe([{ pass: 'smooth', alpha: 0.5 }, weights('mse'), { pass: 'acts', method: 'mse', p: 2.4, network: 'quantized' }]), A4W4, /reconstruction method .* not weight method mse/);
  refuses(recipe([{ pass: 'smooth', alpha: 'auto' }, weights('bitsplit', fit)]), A4W4, /use it with --act-fit after/);
  checkRecipe(recipe([{ pass: 'smooth', alpha: 'auto' }, ...after]), A4W4);
});

test('ecaq: needs activation bits; after the fit only depthwise and only before an acts pass on the quantized network', () => {
  refuses(recipe([{ pass: 'ecaq', scope: 'all' }, weights('bitsplit', fit)]), W4, /^--ecaq quantizes activations per input channel: it needs activation bits/);
  refuses(recipe([weights('bitsplit'), { pass: 'ecaq', scope: 'all' }, { pass: 'acts', method: 'mse', p: 2.4, network: 'quantized' }]), A4W4, /use one of them, or --ecaq depthwise/);
  refuses(recipe([weights('bitsplit', fit), { pass: 'ecaq', scope: 'depthwise' }]), A4W4, /acts pass on the quantized network/);
  refuses(recipe([{ pass: 'ecaq', scope: 'all' }, weights('bitsplit')]), A4W4, /inside the fit/);
});

test('weights and acts: method names, damp on a rounding method, calibration, clips chosen twice or never', () => {
  refuses(recipe([weights('gptq', fit)]), A4W4, /unknown weight method 'gptq'/);
  refuses(recipe([weights('bitsplit', { fit: { acts: 'max', mode: 'quantized' } })]), A4W4, /unknown activation method 'max'/);
  refuses(recipe([{ pass: 'calibrate' }, weights('mse', { damp: 0.1 }), { pass: 'acts', method: 'mse', p: 2.4, network: 'float' }]), A4W4,
    /^--damp weights the reconstruction .* not weight method mse$/);
  refuses(recipe([weights('bitsplit', fit)]), { ...A4W4, calibration: undefined }, /weight method 'bitsplit' works on each layer's sampled inputs: it needs calibration images/);
  refuses(recipe([{ pass: 'calibrate' }, weights('mse'), { pass: 'acts', method: 'mse', p: 2.4, network: 'float' }]), { ...A4W4, calibration: undefined },
    /^activation quantization needs calibration images/);
  refuses(recipe([weights('bitsplit', fit), { pass: 'acts', method: 'mse', p: 2.4, network: 'quantized' }]), A4W4, /keep one/);
  refuses(recipe([weights('bitsplit')]), A4W4, /quantizes no activations/);
  refuses(recipe([weights('mse'), { pass: 'acts', method: 'mse', p: 2.4, network: 'float' }]), A4W4, /need a calibrate pass/);
  refuses(recipe([weights('mse'), weights('lp')]), W4, /exactly one weights pass/);
  refuses(recipe([weights('mse', { p: 11 })]), W4, /--p 11/);
  refuses(recipe([weights('mse')]), { ...W4, wBits: 9 }, /^weight bit width 9 is outside 2\.\.8/);
});

test('lapq and empirical bias: calibration, something to search, the last pass', () => {
  const lapqActs = recipe([weights('bitsplit'), { pass: 'lapq', weights: false, labels: true, maxEvals: 10 }]);
  refuses(lapqActs, W4, /got weights bitsplit, activations lapq/);
  refuses(findRecipe('lapq'), { ...W4, calibration: undefined }, /^LAPQ searches clip values against the network loss/);
  refuses(findRecipe('bitsplit+ebc'), { ...W4, calibration: undefined }, /weight method 'bitsplit' works/);
  refuses(recipe([{ pass: 'calibrate' }, weights('mse'), { pass: 'empirical-bias' }, { pass: 'acts', method: 'mse', p: 2.4, network: 'float' }]), A4W4, /is the last pass/);
});

test('recipes are JSON: every named recipe and a tuned one round-trip; unknown passes and shapes are refused', () => {
  for (const r of RECIPES) assert.equal(parseRecipe(JSON.parse(JSON.stringify(r))), r, r.name);
  const tuned = tuneRecipe(findRecipe('lapq'), { p: 3, lapqEvals: 50, lapqLabels: false });
  assert.equal(parseRecipe(JSON.parse(JSON.stringify(tuned))), tuned);
  assert.equal(tuned.passes.map((p) => ('p' in p ? p.p : p.pass === 'lapq' ? [p.maxEvals, p.labels] : null)), [null, 3, 3, [50, false]]);
  assert.throws(() => parseRecipe({ name: 'x', describe: 'y', passes: [{ pass: 'quantize' }] }), /unknown pass "quantize": valid passes are calibrate, smooth/);
  assert.throws(() => parseRecipe({ name: 'x', passes: [] }), /a recipe is an object/);
  // tuning copies: the named recipe is left as it was
  assert.is((findRecipe('lapq').passes[1] as { p: number }).p, 2.4);
});

test('unknown recipe: the nearest name', () => {
  assert.throws(() => findRecipe('bitsplit-mnv3'), (e: Error) => e instanceof UserError && /unknown recipe 'bitsplit-mnv3' \(did you mean 'bitsplit-mnv2'\?\)/.test(e.message));
  assert.throws(() => findRecipe('zzzzzzzz'), (e: Error) => /^unknown recipe 'zzzzzzzz': hwq quantize --list-recipes/.test(e.message));
});

const opts = (more: Partial<QuantizeOptions>): QuantizeOptions => ({
  aBits: 6, wBits: 6, firstLast: 8, weightMethod: 'tflite', actMethod: 'tflite', methodOptions: { p: 2.4 },
  reconstruction: { positions: 100, floatInputs: false, seed: 0, actFit: 'quantized' }, ...more,
});

test('the method flags resolve to the named recipe they spell', () => {
  const after = { positions: 100, floatInputs: false, seed: 0, actFit: 'after' as const };
  const cases: Array<[string, Partial<QuantizeOptions>]> = [
    ['tflite', {}],
    ['kl', { weightMethod: 'kl', actMethod: 'kl' }],
    ['tflite+bc', { biasCorrection: 'weights' }],
    ['lapq', { weightMethod: 'lapq', actMethod: 'lapq', lapq: { labels: true } }],
    ['bitsplit', { weightMethod: 'bitsplit', actMethod: 'bitsplit' }],
    ['bitsplit+ecaq', { weightMethod: 'bitsplit', actMethod: 'bitsplit', ecaq: 'all' }],
    ['bitsplit+ebc', { weightMethod: 'bitsplit', actMethod: 'bitsplit', biasCorrection: 'empirical' }],
    ['bitsplit+lapq-acts', { weightMethod: 'bitsplit', actMethod: 'lapq', reconstruction: after }],
    ['bitsplit-mnv2', { weightMethod: 'bitsplit', actMethod: 'omse', methodOptions: { p: 2.4, damp: BITSPLIT_DAMP }, ecaq: 'depthwise', reconstruction: after }],
    ['bitsplit-mnv2-smooth-auto', { weightMethod: 'bitsplit', actMethod: 'omse', methodOptions: { p: 2.4, damp: BITSPLIT_DAMP }, ecaq: 'depthwise', smooth: 'auto', reconstruction: after }],
  ];
  for (const [name, o] of cases) assert.is(recipeFromOptions(opts(o)).name, name, JSON.stringify(o));
  // a combination no named recipe has keeps its passes under a plain name
  const other = recipeFromOptions(opts({ weightMethod: 'lp', actMethod: 'kl' }));
  assert.is(other.name, 'options');
  assert.equal(other.passes.map((p) => p.pass), ['calibrate', 'weights', 'acts']);
  // activations after the fit on a rounding method: the rounding path (no fit to come after)
  assert.is(recipeFromOptions(opts({ weightMethod: 'mse', actMethod: 'mse', reconstruction: after })).name, 'mse');
  assert.throws(() => recipeFromOptions(opts({ weightMethod: 'lapq', actMethod: 'mse' })), /use --method lapq, or --act-method lapq with any --weight-method \(got weights lapq, activations mse\)/);
});

test.run();
