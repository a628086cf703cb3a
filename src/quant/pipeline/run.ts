// The quantizer as a pipeline of named passes over one state (state.ts):
//   prepare -> [smooth] -> [calibrate] -> [ecaq] -> weights -> [ecaq] -> [acts] -> [lapq] -> [empirical-bias] -> export
// prepare (fold BatchNorm, find the layers, check the bit widths) and export (the QuantModel the QDQ and .hwq
// writers take) always run; a recipe (src/quant/recipes.ts) lists the passes between them with their settings.
// Every pass first checks its preconditions against the recipe and the run (all of them before any pass does
// work), then transforms the state and adds its columns to the per-layer report.
//
// Adding a quantization option is one pass plus one recipe entry: give the pass a spec type in spec.ts (its name
// and JSON settings) and a PassDef module here (check: its preconditions, with the flag names the user typed in
// the messages; apply: the state in, the state out), register it in PASSES below and in PASS_NAMES, then name a
// recipe in src/quant/recipes.ts that uses it (and, for a command-line flag, map the flag in from-options.ts).
import type { ModelProto } from '../../onnx/proto.js';
import { checkBits } from '../bits.js';
import { prepareModel } from '../prepare.js';
import type { QuantModel } from '../types.js';
import { actsPass } from './acts.js';
import { calibratePass } from './calibrate.js';
import { ecaqPass } from './ecaq.js';
import { empiricalBiasPass } from './empirical-bias.js';
import { lapqPass } from './lapq.js';
import { smoothPass } from './smooth.js';
import type { PassSpec, Recipe } from './spec.js';
import { type LayerReport, type PassDef, type QuantRun, type QuantState, bitsOf, exportModel } from './state.js';
import { weightsPass } from './weights.js';
import { UserError } from '../../errors.js';
import { nearestName } from '../../nearest.js';

const PASSES: { [K in PassSpec['pass']]: PassDef<Extract<PassSpec, { pass: K }>> } = {
  calibrate: calibratePass,
  smooth: smoothPass,
  ecaq: ecaqPass,
  weights: weightsPass,
  acts: actsPass,
  lapq: lapqPass,
  'empirical-bias': empiricalBiasPass,
};

function passOf(spec: PassSpec): PassDef<PassSpec> {
  return PASSES[spec.pass] as PassDef<PassSpec>;
}

/** The checks of prepare and of every pass of `recipe`, in order, before any work. */
export function checkRecipe(recipe: Recipe, run: QuantRun): void {
  checkBits(run.wBits, 'weight bit width');
  if (run.aBits !== null) checkBits(run.aBits, 'activation bit width');
  if (run.firstLast !== null) checkBits(run.firstLast, 'first/last layer bit width');
  for (const [name, b] of Object.entries(run.layerBits ?? {})) {
    if (run.aBits === null) throw new UserError('per-layer precisions set activation and weight bits: quantize activations too (--a<A>w<W>)');
    checkBits(b.a, `activation bit width of layer '${name}'`);
    checkBits(b.w, `weight bit width of layer '${name}'`);
  }
  if (recipe.passes.filter((p) => p.pass === 'weights').length !== 1) throw new UserError(`recipe ${recipe.name} must have exactly one weights pass`);
  recipe.passes.forEach((spec, index) => passOf(spec).check(spec, { recipe, index, run }));
}

/** Every per-layer precision names a quantized layer of the model. */
function checkLayerNames(run: QuantRun, names: string[], what: string): void {
  for (const name of Object.keys(run.layerBits ?? {})) {
    if (names.includes(name)) continue;
    const near = nearestName(name, names);
    throw new UserError(`per-layer precision for '${name}': ${what} has no such compute layer${near ? ` (did you mean '${near}'?)` : ''}; \`hwq sim ${what} --per-layer\` lists them`);
  }
}

export async function runRecipe(source: ModelProto, what: string, name: string, recipe: Recipe, run: QuantRun): Promise<RecipeResult> {
  return (await runRecipes(source, what, name, recipe, [run]))[0];
}

export interface RecipeResult {
  model: QuantModel;
  report: LayerReport[];
}

/** How many leading passes of `recipe` leave a state that does not depend on the activation bit widths. */
export function actBitsFreePasses(recipe: Recipe): number {
  const k = recipe.passes.findIndex((spec, index) => passOf(spec).actBitsFree?.(spec, { recipe, index }) !== true);
  return k < 0 ? recipe.passes.length : k;
}

/**
 * `recipe` once per run, the results in the runs' order, equal to separate runRecipe calls. Runs that differ only
 * in activation bit widths share the leading passes that do not read them (actBitsFreePasses): a precision search
 * measuring every (activation, weight) pair runs a Bit-split fit with float activations once per weight width.
 */
export async function runRecipes(
  source: ModelProto, what: string, name: string, recipe: Recipe, runs: readonly QuantRun[], onResult?: (k: number, r: RecipeResult) => void | Promise<void>,
): Promise<RecipeResult[]> {
  for (const run of runs) checkRecipe(recipe, run);
  const prep = prepareModel(source, what);
  for (const run of runs) checkLayerNames(run, prep.layers.map((l) => l.name), what);
  const start = (run: QuantRun): QuantState => ({
    source, what, name, recipe, run, prepared: prep.model, sites: prep.layers, inFit: {},
    layers: [], report: [], meanOf: [], weightMethod: '', actMethod: 'none',
  });
  const shared = actBitsFreePasses(recipe);
  const calibrations: unknown[] = [];
  const groups = new Map<string, number[]>();
  runs.forEach((run, k) => {
    const st = start(run);
    if (!calibrations.includes(run.calibration)) calibrations.push(run.calibration);
    const key = JSON.stringify([
      run.aBits === null, prep.layers.map((_, i) => bitsOf(st, i).w), run.positions, run.seed, run.sampleCap, calibrations.indexOf(run.calibration),
    ]);
    groups.set(key, [...(groups.get(key) ?? []), k]);
  });
  const results: RecipeResult[] = new Array(runs.length);
  for (const ks of groups.values()) {
    let base = start(runs[ks[0]]);
    for (const spec of recipe.passes.slice(0, shared)) base = await passOf(spec).apply(base, spec);
    for (const k of ks) {
      let st: QuantState = { ...base, run: runs[k] };
      for (const spec of recipe.passes.slice(shared)) st = await passOf(spec).apply(st, spec);
      results[k] = { model: exportModel(st), report: st.report };
      await onResult?.(k, results[k]);
    }
  }
  return results;
}
