// The experiment plan behind reports/quantization: which method variants run where, so a change to a variant's
// scope shows up here before it silently drops cells from the comparison table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXPERIMENT_PLANS, SETTINGS, STUDY_LIMITS, VARIANTS, drawnRuns, inPlan, modelRunConfig, resultKey } from '../../src/experiments/plan.js';
import { checkRecipe } from '../../src/quant/pipeline/run.js';
import { findRecipe } from '../../src/quant/recipes.js';

const setting = (label: string) => SETTINGS.find((s) => s.label === label)!;
const variant = (name: string) => VARIANTS.find((v) => v.name === name)!;
const key = (setting: string, method: string, calib: number) => resultKey({ experiment: 'compare', setting, method, calib_images: String(calib) });
const keys = (stem: string) => EXPERIMENT_PLANS.compare.runs(stem).map((r) => resultKey({
  experiment: 'compare', setting: r.setting.label, method: r.variant.name, calib_images: String(r.calib), seed: String(r.seed ?? 0),
}));

test('the compare plan names each (setting, method) once', () => {
  for (const stem of ['resnet20', 'mobilenetv2']) assert.is(new Set(keys(stem)).size, keys(stem).length, stem);
});

test('every planned method runs at every setting it applies to, on every model', () => {
  for (const stem of ['resnet20', 'resnet32', 'mobilenetv2']) {
    for (const name of ['tflite', 'mse', 'lp', 'kl', 'lapq', 'bitsplit', 'bitsplit+ecaq', 'log', 'tflite+bc', 'bitsplit+bc']) {
      const v = variant(name);
      assert.not.ok(v.study, name);
      for (const s of SETTINGS) assert.is(inPlan(stem, v, s), v.applies(s), `${stem} ${s.label} ${name}`);
    }
  }
});

test('study variants run everywhere on the ResNets and at the limited settings on MobileNetV2', () => {
  const study = VARIANTS.filter((v) => v.study && !v.models);
  assert.ok(study.length > 5);
  for (const v of study) {
    assert.is(inPlan('resnet20', v, setting('A3W3')), v.applies(setting('A3W3')), v.name);
    assert.not.ok(inPlan('mobilenetv2', v, setting('A3W3')), v.name);
    assert.not.ok(inPlan('mobilenetv2', v, setting('A8W8')), v.name);
  }
  assert.ok(inPlan('mobilenetv2', variant('bitsplit-omse'), setting('A6W6')));
  assert.equal(STUDY_LIMITS.mobilenetv2, ['W4', 'A8W4', 'A6W6', 'A4W4']);
});

test('MobileNetV2-only variants stay off the ResNets; float-inputs stays at 4 bits and below', () => {
  assert.not.ok(inPlan('resnet20', variant('bitsplit+ecaq-dw'), setting('A4W4')));
  assert.ok(inPlan('mobilenetv2', variant('bitsplit+ecaq-dw'), setting('A4W4')));
  assert.ok(inPlan('mobilenetv2', variant('bitsplit-acts-after-omse+ecaq-dw'), setting('A3W3')));
  assert.not.ok(inPlan('resnet20', variant('bitsplit-float-inputs'), setting('A6W6')));
  assert.ok(keys('resnet20').includes(key('W3', 'bitsplit-float-inputs', 256)));
  assert.ok(keys('mobilenetv2').includes(key('A4W4', 'bitsplit-float-inputs', 128)));
  assert.ok(keys('mobilenetv2').includes(key('W4', 'bitsplit-float-inputs', 128)));
  assert.not.ok(keys('mobilenetv2').includes(key('W3', 'bitsplit-float-inputs', 128)));
});

test('the A6W6 seed study draws other samples of the compare rows, on MobileNetV2 only', () => {
  const runs = EXPERIMENT_PLANS['a6w6-seeds'].runs('mobilenetv2');
  assert.is(runs.length, 15);
  assert.ok(runs.every((r) => r.seed !== undefined && r.seed > 0 && r.setting.label === 'A6W6'));
  assert.is(runs.filter((r) => r.calib === 512).length, 3);
  assert.is(EXPERIMENT_PLANS['a6w6-seeds'].runs('resnet20').length, 0);
  // a row without a seed column is seed 0, so the compare rows keep their keys
  assert.is(
    resultKey({ experiment: 'compare', setting: 'A6W6', method: 'bitsplit', calib_images: '128' }),
    resultKey({ experiment: 'compare', setting: 'A6W6', method: 'bitsplit', calib_images: '128', seed: '0' }),
  );
  assert.is.not(
    resultKey({ experiment: 'x', setting: 'A6W6', method: 'bitsplit', calib_images: '128', seed: '1' }),
    resultKey({ experiment: 'x', setting: 'A6W6', method: 'bitsplit', calib_images: '128' }),
  );
});

test('the target draws repeat compare rows of the targets with other seeds', () => {
  for (const stem of ['resnet20', 'resnet32', 'mobilenetv2']) {
    const runs = EXPERIMENT_PLANS['target-seeds'].runs(stem);
    assert.ok(runs.length >= 6, stem);
    assert.ok(runs.every((r) => r.seed !== undefined && r.seed > 0 && r.calib === modelRunConfig(stem).calib), stem);
    // seed 0 of each draw is a compare row, so the plan must measure it
    for (const d of drawnRuns(stem).filter((x) => x.calib === modelRunConfig(stem).calib)) assert.ok(keys(stem).includes(key(d.setting, d.method, d.calib)), `${stem} ${d.setting} ${d.method}`);
  }
  assert.ok(EXPERIMENT_PLANS['target-seeds'].runs('resnet20').some((r) => r.setting.label === 'A8W4' && r.variant.name === 'bitsplit'));
});

test('every variant runs a named recipe that passes its checks at every setting it applies to', () => {
  const calibration = { batches: async function* () {}, count: 0, inputDims: () => [] };
  for (const v of VARIANTS) {
    const recipe = findRecipe(v.recipe);
    for (const s of SETTINGS.filter((x) => v.applies(x))) checkRecipe(recipe, { aBits: s.a, wBits: s.w, firstLast: 8, calibration });
  }
  assert.is(variant('bitsplit-acts-after-omse+ecaq-dw-damp').recipe, 'bitsplit-mnv2');
});

test.run();
