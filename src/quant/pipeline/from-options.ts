// The low-level options (hwq quantize's method flags, quantizeModel's QuantizeOptions) as a recipe, so every
// quantization runs through one path: rounding methods calibrate the float network and clip from it;
// reconstruction methods (and ECAQ) choose the clips inside the fit, or, with actFit 'after', fit with float
// activations and calibrate the clips on the weight-quantized network; LAPQ starts from the lp methods (or
// another method's fixed weights) and searches; empirical bias correction comes last.
import { UserError } from '../../errors.js';
import { LAPQ_DEFAULTS } from '../lapq/lapq.js';
import { weightQuantizers } from '../methods.js';
import { RECIPES } from '../recipes.js';
import type { QuantizeOptions } from '../options.js';
import type { PassSpec, Recipe, WeightsPass } from './spec.js';
import type { QuantRun } from './state.js';

/** Weight-only methods name the activation method they come with: Bit-split and log quantization come with
 *  MSE-clipped per-layer activations, as in the Bit-split paper. */
const ACT_PARTNER: Record<string, string> = { bitsplit: 'mse', log: 'mse' };
/** Activation-only methods name the weight method they come with as --method: TensorRT's KL calibration
 *  keeps max-abs weights; the output-error clip pairs with per-channel MSE weights. */
const ACT_ONLY_WEIGHTS: Record<string, string> = { kl: 'tflite', omse: 'mse' };

export function passesFromOptions(o: QuantizeOptions): PassSpec[] {
  const lapq = o.weightMethod === 'lapq' || o.actMethod === 'lapq';
  const frozen = o.weightMethod !== 'lapq';
  // LAPQ weights come with LAPQ activations (a joint search); LAPQ activations may sit on another method's
  // weights, which then stay fixed while the activation clips are searched.
  if (lapq && o.aBits !== null && o.actMethod !== 'lapq') {
    throw new UserError("LAPQ searches activation clips (with its own weights or another method's): use --method lapq, "
      + `or --act-method lapq with any --weight-method (got weights ${o.weightMethod}, activations ${o.actMethod})`);
  }
  const wName = lapq && !frozen ? 'lp' : o.weightMethod;
  const aName = lapq ? 'lp' : o.actMethod;
  const method = ACT_ONLY_WEIGHTS[wName] ?? wName;
  const actMethod = ACT_PARTNER[aName] ?? aName;
  const { p } = o.methodOptions;
  const needsData = weightQuantizers(o.methodOptions).find((m) => m.name === method)?.needsData === true;
  const actFit = o.reconstruction?.actFit ?? 'quantized';
  const after = actFit === 'after' && o.aBits !== null && needsData;
  const layerwise = needsData || o.ecaq !== undefined;
  const weights: WeightsPass = {
    pass: 'weights', method, p, damp: o.methodOptions.damp ?? 0, floatInputs: o.reconstruction?.floatInputs ?? false, biasCorrection: o.biasCorrection === 'weights',
    ...(layerwise && !after ? { fit: { acts: actMethod, mode: actFit === 'quantized' ? 'quantized' as const : 'unquantized' as const } } : {}),
  };
  const ecaq: PassSpec[] = o.ecaq ? [{ pass: 'ecaq', scope: o.ecaq }] : [];
  return [
    ...(o.smooth !== undefined ? [{ pass: 'smooth' as const, alpha: o.smooth }] : []),
    ...(layerwise ? [] : [{ pass: 'calibrate' as const }]),
    ...(after ? [] : ecaq),
    weights,
    ...(after ? ecaq : []),
    ...(layerwise ? [] : [{ pass: 'acts' as const, method: actMethod, p, network: 'float' as const }]),
    ...(after ? [{ pass: 'acts' as const, method: actMethod, p, network: 'quantized' as const }] : []),
    ...(lapq ? [{
      pass: 'lapq' as const,
      weights: !frozen,
      labels: o.lapq?.labels ?? true,
      maxEvals: o.lapq?.maxEvals ?? LAPQ_DEFAULTS.maxEvals,
      ...(o.lapq?.images !== undefined ? { images: o.lapq.images } : {}),
    }] : []),
    ...(o.biasCorrection === 'empirical' ? [{ pass: 'empirical-bias' as const }] : []),
  ];
}

/** The options' recipe, named after the named recipe with the same passes when there is one. */
export function recipeFromOptions(o: QuantizeOptions): Recipe {
  const passes = passesFromOptions(o);
  const same = RECIPES.find((x) => JSON.stringify(x.passes) === JSON.stringify(passes));
  return same ? { ...same, passes } : { name: 'options', describe: 'the passes of the low-level method flags', passes };
}

export function runFromOptions(o: QuantizeOptions): QuantRun {
  return {
    aBits: o.aBits, wBits: o.wBits, firstLast: o.firstLast, calibration: o.calibration, sampleCap: o.sampleCap,
    positions: o.reconstruction?.positions, seed: o.reconstruction?.seed, progress: o.progress,
    ...(o.layerBits ? { layerBits: o.layerBits } : {}),
  };
}
