// Named quantization recipes: the methods of the comparison table (reports/quantization/comparison.md) and the
// studies of src/experiments/plan.ts as lists of passes with their settings (src/quant/pipeline/spec.ts). A recipe
// is plain JSON: `hwq quantize --recipe NAME` runs one, `--list-recipes` lists them, the --json output records the
// one that ran. A new option is one pass (src/quant/pipeline/run.ts says how) plus an entry here.
import { UserError } from '../errors.js';
import { nearestName } from '../nearest.js';
import { LAPQ_DEFAULTS } from './lapq/lapq.js';
import { weightQuantizers } from './methods.js';
import { type ActsPass, type EcaqScope, type FitMode, PASS_NAMES, type PassSpec, type Recipe, type WeightsPass } from './pipeline/spec.js';

/** The exponent of the lp methods unless a recipe or --p says otherwise. */
export const DEFAULT_P = 2.4;
/** The damping of the damped Bit-split recipes (see reports/quantization/README.md for how it was chosen). */
export const BITSPLIT_DAMP = 0.01;

const weights = (method: string, more: Partial<WeightsPass> = {}): WeightsPass => ({ pass: 'weights', method, p: DEFAULT_P, damp: 0, floatInputs: false, biasCorrection: false, ...more });
const fit = (acts = 'mse', mode: FitMode = 'quantized') => ({ fit: { acts, mode } });
const acts = (method: string, network: ActsPass['network']): ActsPass => ({ pass: 'acts', method, p: DEFAULT_P, network });
const ecaq = (scope: EcaqScope): PassSpec => ({ pass: 'ecaq', scope });
const lapq = (searchWeights: boolean): PassSpec => ({ pass: 'lapq', weights: searchWeights, labels: true, maxEvals: LAPQ_DEFAULTS.maxEvals });
const EBC: PassSpec = { pass: 'empirical-bias' };
/** A rounding method: clips from the float network's statistics, weights rounded on their own. */
const rounding = (w: string, a: string, biasCorrection = false): PassSpec[] => [{ pass: 'calibrate' }, weights(w, { biasCorrection }), acts(a, 'float')];
const r = (name: string, describe: string, passes: PassSpec[]): Recipe => ({ name, describe, passes });

/** The recipe behind MobileNetV2's best A6W6 result: Bit-split weights fitted with float activations and a 1 %
 *  ridge towards the float weights, then output-error (omse) activation clips calibrated on the weight-quantized
 *  network, with per-channel ECAQ scales on the depthwise inputs. */
const MNV2: PassSpec[] = [weights('bitsplit', { damp: BITSPLIT_DAMP }), ecaq('depthwise'), acts('omse', 'quantized')];

export const RECIPES: readonly Recipe[] = [
  r('tflite', 'TF-Lite: max-abs weights per channel, activations clipped at the calibrated maximum', rounding('tflite', 'tflite')),
  r('mse', 'per-channel MSE weight clips, MSE activation clips', rounding('mse', 'mse')),
  r('lp', `per-channel Lp weight clips, Lp activation clips (p = ${DEFAULT_P})`, rounding('lp', 'lp')),
  r('kl', 'TensorRT: max-abs weights, activation clips of minimal KL divergence', rounding('tflite', 'kl')),
  r('tflite+bc', 'tflite with the mean output shift of weight rounding subtracted from each bias', rounding('tflite', 'tflite', true)),
  r('lapq', 'LAPQ: lp clips searched jointly (weights and activations) against the network loss', [...rounding('lp', 'lp'), lapq(true)]),
  r('lapq+bc', 'LAPQ with bias correction of the weights at every point of the search (the paper\'s configuration)', [...rounding('lp', 'lp', true), lapq(true)]),
  r('bitsplit', 'Bit-split: each layer reconstructed on sampled inputs, MSE activation clips chosen in the fit', [weights('bitsplit', fit())]),
  r('bitsplit+ecaq', 'bitsplit with ECAQ per-channel activation scales on every layer but the first', [ecaq('all'), weights('bitsplit', fit())]),
  r('bitsplit+ecaq-dw', 'bitsplit with ECAQ on the depthwise layers only', [ecaq('depthwise'), weights('bitsplit', fit())]),
  r('bitsplit-float-inputs', 'bitsplit with each layer\'s inputs from the float network (the paper\'s code)', [weights('bitsplit', { ...fit(), floatInputs: true })]),
  r('bitsplit-unquantized-fit', 'bitsplit fitted to each layer\'s inputs before its own activation quantizer', [weights('bitsplit', fit('mse', 'unquantized'))]),
  r('bitsplit-acts-after', 'Bit-split weights fitted with float activations, MSE clips calibrated afterwards', [weights('bitsplit'), acts('mse', 'quantized')]),
  r('bitsplit+lapq-acts', 'Bit-split weights fitted with float activations, activation clips searched by LAPQ', [weights('bitsplit'), acts('lp', 'quantized'), lapq(false)]),
  r('bitsplit-acts-after-kl', 'Bit-split weights fitted with float activations, KL clips calibrated afterwards', [weights('bitsplit'), acts('kl', 'quantized')]),
  r('bitsplit-damp', `bitsplit with a ridge of ${BITSPLIT_DAMP} towards the float weights`, [weights('bitsplit', { ...fit(), damp: BITSPLIT_DAMP })]),
  r('bitsplit+bc', 'bitsplit with weight bias correction as each layer is fitted', [weights('bitsplit', { ...fit(), biasCorrection: true })]),
  r('bitsplit+ebc', 'bitsplit, then empirical bias correction layer by layer', [weights('bitsplit', fit()), EBC]),
  r('bitsplit-acts-after+ecaq-dw', 'bitsplit-acts-after with ECAQ scales on the depthwise inputs', [weights('bitsplit'), ecaq('depthwise'), acts('mse', 'quantized')]),
  r('bitsplit-omse', 'bitsplit with output-error (omse) activation clips chosen in the fit', [weights('bitsplit', fit('omse'))]),
  r('bitsplit-acts-after-omse', 'Bit-split weights fitted with float activations, omse clips calibrated afterwards', [weights('bitsplit'), acts('omse', 'quantized')]),
  r('bitsplit-acts-after-omse+ecaq-dw', 'bitsplit-acts-after-omse with ECAQ scales on the depthwise inputs', [weights('bitsplit'), ecaq('depthwise'), acts('omse', 'quantized')]),
  r('bitsplit-mnv2', 'MobileNetV2\'s best A6W6: damped Bit-split with float activations, then omse clips with depthwise ECAQ', MNV2),
  r('bitsplit-mnv2-smooth', 'bitsplit-mnv2 with SmoothQuant smoothing (alpha 0.5) of the layers reading many channels', [{ pass: 'smooth', alpha: 0.5 }, ...MNV2]),
  r('bitsplit-mnv2-smooth-auto', 'bitsplit-mnv2 with the smoothing strength (or none) chosen per layer by its output error', [{ pass: 'smooth', alpha: 'auto' }, ...MNV2]),
  r('bitsplit-acts-after+ecaq-dw+ebc', 'bitsplit-acts-after+ecaq-dw, then empirical bias correction', [weights('bitsplit'), ecaq('depthwise'), acts('mse', 'quantized'), EBC]),
  r('bitsplit-acts-after+ebc', 'bitsplit-acts-after, then empirical bias correction', [weights('bitsplit'), acts('mse', 'quantized'), EBC]),
  r('log', 'power-of-two weight levels fitted like bitsplit (layers above 4 bits stay uniform)', [weights('log', fit())]),
];

export const RECIPE_NAMES: readonly string[] = RECIPES.map((x) => x.name);

/** The named recipe, or exit 2 naming the nearest valid name. */
export function findRecipe(name: string): Recipe {
  const found = RECIPES.find((x) => x.name === name);
  if (found) return structuredClone(found);
  const near = nearestName(name, RECIPE_NAMES);
  throw new UserError(`unknown recipe '${name}'${near ? ` (did you mean '${near}'?)` : ''}: hwq quantize --list-recipes lists them`);
}

/** The tuning settings a recipe takes from outside: the exponent of the lp methods, the ridge of the fit, LAPQ's
 *  loss and budget. Each set field replaces the setting in every pass that has it. */
export interface RecipeTuning {
  p?: number;
  damp?: number;
  lapqEvals?: number;
  lapqLabels?: boolean;
}

export function tuneRecipe(recipe: Recipe, t: RecipeTuning): Recipe {
  const passes = recipe.passes.map((p): PassSpec => {
    if (p.pass === 'weights') return { ...p, ...(t.p !== undefined ? { p: t.p } : {}), ...(t.damp !== undefined ? { damp: t.damp } : {}) };
    if (p.pass === 'acts') return { ...p, ...(t.p !== undefined ? { p: t.p } : {}) };
    if (p.pass === 'lapq') return { ...p, ...(t.lapqEvals !== undefined ? { maxEvals: t.lapqEvals } : {}), ...(t.lapqLabels !== undefined ? { labels: t.lapqLabels } : {}) };
    return p;
  });
  return { ...recipe, passes };
}

/** Whether the recipe's weights pass reconstructs layers on sampled positions (the runner records them). */
export function reconstructs(recipe: Recipe): boolean {
  const w = recipe.passes.find((p): p is WeightsPass => p.pass === 'weights');
  return w !== undefined && weightQuantizers({ p: w.p, damp: w.damp }).some((m) => m.name === w.method && m.needsData);
}

export function weightMethodOf(recipe: Recipe): string | undefined {
  return recipe.passes.find((p): p is WeightsPass => p.pass === 'weights')?.method;
}

export function searchesClips(recipe: Recipe): boolean {
  return recipe.passes.some((p) => p.pass === 'lapq');
}

/** A recipe read back from JSON, checked for shape (the passes check their settings when they run). */
export function parseRecipe(json: unknown): Recipe {
  const o = json as Partial<Recipe> | null;
  if (!o || typeof o !== 'object' || typeof o.name !== 'string' || typeof o.describe !== 'string' || !Array.isArray(o.passes)) {
    throw new UserError('a recipe is an object with a name, a describe text and a list of passes');
  }
  for (const p of o.passes as Array<{ pass?: unknown }>) {
    if (!p || typeof p !== 'object' || !PASS_NAMES.includes(p.pass as PassSpec['pass'])) {
      throw new UserError(`recipe ${o.name}: unknown pass ${JSON.stringify(p?.pass)}: valid passes are ${PASS_NAMES.join(', ')}`);
    }
  }
  return { name: o.name, describe: o.describe, passes: o.passes as PassSpec[] };
}

/** One line per pass, for --list-recipes. */
export function describePasses(recipe: Recipe): string {
  return recipe.passes.map((p) => {
    switch (p.pass) {
      case 'weights': return `weights ${p.method}${p.fit ? ` (${p.fit.acts} clips in the ${p.fit.mode} fit)` : ''}${p.damp ? ` damp ${p.damp}` : ''}`
        + `${p.floatInputs ? ' float-inputs' : ''}${p.biasCorrection ? ' +bias' : ''}`;
      case 'acts': return `acts ${p.method} (${p.network} network)`;
      case 'smooth': return `smooth ${p.alpha}`;
      case 'ecaq': return `ecaq ${p.scope}`;
      case 'lapq': return `lapq ${p.weights ? 'weights+acts' : 'acts'}`;
      default: return p.pass;
    }
  }).join(' -> ');
}
