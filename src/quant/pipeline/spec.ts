// What a recipe is made of: the passes by name with their settings, as plain JSON data (a recipe file, the
// --json output of `hwq quantize` and the experiment plan all hold these).

/** Which layers ECAQ gives per-input-channel activation scales: every layer but the first, or only those whose
 *  output channels each read one input channel (depthwise convolutions), where folding the scales into the
 *  per-output-channel weight scales is exact and costs the weights nothing. */
export type EcaqScope = 'all' | 'depthwise';
export const ECAQ_SCOPES: readonly EcaqScope[] = ['all', 'depthwise'];

/** How a layer-by-layer weights pass picks activation clips while it fits: 'quantized' fits each layer to its
 *  quantized inputs (its own quantizer applied to the samples, Algorithm 1 of the Bit-split paper); 'unquantized'
 *  leaves the layer's own quantizer out of the fit. Both take the inputs from the network quantized so far. */
export type FitMode = 'quantized' | 'unquantized';

/** Activation statistics of the float network (for activation clips chosen without a fit, and weight bias correction). */
export interface CalibratePass { pass: 'calibrate' }

/** SmoothQuant's per-channel division of the inputs of layers reading many channels, folded into the weights before
 *  the fit: a strength alpha in (0, 1], or 'auto' per layer by its proxy output error. */
export interface SmoothPass { pass: 'smooth'; alpha: number | 'auto' }

/** Error Compensated Activation Quantization: per-input-channel activation scales folded into the weights. Before
 *  the weights pass it works inside the fit; after it (depthwise only) on the clips of the weight-quantized network. */
export interface EcaqPass { pass: 'ecaq'; scope: EcaqScope }

export interface WeightsPass {
  pass: 'weights';
  /** A weight method of src/quant/methods.ts (tflite, mse, lp, bitsplit, log). */
  method: string;
  /** Exponent of the lp methods. */
  p: number;
  /** Reconstruction methods: ridge towards the float weights (0: none). */
  damp: number;
  /** Reconstruction methods: each layer's inputs from the float network instead of the partly quantized one. */
  floatInputs: boolean;
  /** Activation clips chosen layer by layer inside the fit, by this activation method (absent: the activations
   *  stay float while the weights are fitted and a later pass quantizes them). */
  fit?: { acts: string; mode: FitMode };
  /** Subtract each output channel's expected shift caused by weight rounding, from the input means (Banner et al.),
   *  as each layer is rounded (later layers of a fit see the corrected bias). */
  biasCorrection: boolean;
}

/** Activation clips, one per layer input, by an activation method: from the float network's statistics (the
 *  calibrate pass; the float weights weigh channels), or calibrated on the network with its weights quantized. */
export interface ActsPass { pass: 'acts'; method: string; p: number; network: 'float' | 'quantized' }

/** LAPQ's joint search of the clips against the network loss, from the clips and weights so far: with `weights`
 *  the weight clips are searched too (re-rounded from the float weights at every point), else they stay fixed. */
export interface LapqPass { pass: 'lapq'; weights: boolean; labels: boolean; maxEvals: number; images?: number }

/** Empirical bias correction: each layer's mean output on the calibration set, through the quantized network,
 *  set to the float network's. */
export interface EmpiricalBiasPass { pass: 'empirical-bias' }

export type PassSpec = CalibratePass | SmoothPass | EcaqPass | WeightsPass | ActsPass | LapqPass | EmpiricalBiasPass;
export type PassName = PassSpec['pass'];
export const PASS_NAMES: readonly PassName[] = ['calibrate', 'smooth', 'ecaq', 'weights', 'acts', 'lapq', 'empirical-bias'];

/** A named, documented list of passes: what `hwq quantize --recipe` runs between the always-present prepare and
 *  export. */
export interface Recipe {
  name: string;
  describe: string;
  passes: PassSpec[];
}
