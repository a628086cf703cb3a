// How an integer layer's input activations map to codes: one scale and zero point per layer on a b-bit grid,
// optionally with per-input-channel scales folded into the producing layer's requantization.
import { gridMax, gridMin } from './grid.js';

export interface ActQuant {
  bits: number;
  /** Unsigned after ReLU/ReLU6 (zero point 0, range 0..2^bits-1); signed otherwise (-2^(b-1)..2^(b-1)-1). */
  signed: boolean;
  scale: number;
  zeroPoint: number;
  /**
   * ECAQ (Error Compensated Activation Quantization): per-input-channel scales beta. The input is divided by
   * beta[c] before the per-layer quantizer (scale is then 1: the codes are the integers the layer sees), and the
   * layer's weights already carry beta. In hardware the division folds into the producing layer's
   * per-channel requantization, so the layer itself computes an ordinary integer convolution.
   */
  channelScales?: Float32Array;
}

/** Integer range of a b-bit activation and the float interval it represents. */
export interface ActRange {
  qmin: number;
  qmax: number;
  lo: number;
  hi: number;
}

export function actRange(a: ActQuant): ActRange {
  const qmin = gridMin(a.bits, a.signed);
  const qmax = gridMax(a.bits, a.signed);
  return { qmin, qmax, lo: (qmin - a.zeroPoint) * a.scale, hi: (qmax - a.zeroPoint) * a.scale };
}
