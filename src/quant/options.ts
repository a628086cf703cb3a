// quantizeModel's low-level options: methods and switches by name, as the command-line flags give them. They
// resolve to a recipe (src/quant/pipeline/from-options.ts).
import type { Batch } from '../data/batches.js';
import type { MethodOptions } from './methods.js';
import type { EcaqScope } from './pipeline/spec.js';

/**
 * How a reconstruction method treats activation quantization while it fits the weights:
 * - 'quantized': each layer is fitted to its quantized inputs (its own quantizer applied to the samples),
 *   taken from the network with every earlier layer's weights and activations quantized (Algorithm 1);
 * - 'unquantized': the same network, but the layer's own quantizer is left out of the fit;
 * - 'after': the weights are fitted with float activations everywhere (as weight-only quantization), and the
 *   activation quantizers are calibrated afterwards on the weight-quantized network.
 * At inference the activations are quantized in every case.
 */
export type ActFit = 'quantized' | 'unquantized' | 'after';
export const ACT_FITS: readonly ActFit[] = ['quantized', 'unquantized', 'after'];

export type BiasCorrection = 'weights' | 'empirical';
export const BIAS_CORRECTIONS: readonly BiasCorrection[] = ['weights', 'empirical'];

export interface QuantizeOptions {
  /** Activation bits, or null for weight-only quantization (float activations). */
  aBits: number | null;
  wBits: number;
  /** Activation and weight bits of single layers by IR layer name (see QuantRun.layerBits). */
  layerBits?: Readonly<Record<string, { a: number; w: number }>>;
  /** First and last layer at this many bits (null: no exception). */
  firstLast: number | null;
  weightMethod: string;
  actMethod: string;
  methodOptions: MethodOptions;
  /** Calibration batches (only needed when activations are quantized), how many, and their input dims. */
  calibration?: { batches: () => AsyncIterable<Batch>; count: number; inputDims: (b: Batch) => number[] };
  sampleCap?: number;
  /** Layer-wise reconstruction (methods that need data): positions sampled per layer, and whether each
   *  layer's inputs come from the float network (as the Bit-split paper's code) instead of the partly
   *  quantized one; `actFit` says how activation quantization enters the fit (see ActFit). */
  reconstruction?: { positions: number; floatInputs: boolean; seed: number; actFit?: ActFit };
  /** Bias correction: 'weights' subtracts each output channel's mean shift caused by weight quantization
   *  (from the input means); 'empirical' sets each layer's bias so that its mean output on the calibration set,
   *  through the quantized network, equals the float network's (src/quant/empirical-bias.ts). */
  biasCorrection?: BiasCorrection;
  /** LAPQ options (when either method is 'lapq'): loss against labels (cross-entropy) or the float model (KL),
   *  and the search budget. */
  lapq?: { labels: boolean; maxEvals?: number; images?: number };
  /** Error Compensated Activation Quantization: per-input-channel activation scales folded into the weights
   *  (needs activation quantization); the scope says which layers (see EcaqScope). */
  ecaq?: EcaqScope;
  /** Activation smoothing strength alpha in (0, 1] (src/quant/smooth.ts): the layers that read many channels
   *  (not the first or last, not depthwise) divide their input per channel and fold the scales into the weights
   *  before the fit; 'auto' picks alpha (or none) per layer by its proxy output error (src/quant/smooth-search.ts).
   *  Needs activation bits and actFit 'after'. */
  smooth?: number | 'auto';
  progress?: (stage: string, done: number, total: number) => void;
}
