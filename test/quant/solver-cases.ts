// Reconstruction problems shared by the Bit-split and log solver tests.
import { type LayerProblem, buildProblemJs } from '../../src/quant/bitsplit/gram.js';
import { rng } from '../helpers.js';

export function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

export interface Case { X: Float32Array; Y: Float32Array; W: Float32Array; N: number; D: number; OC: number; p: LayerProblem }

/** Post-ReLU-like correlated inputs, Gaussian weights, Y = X W^T + noise (not exactly reachable). */
export function makeCase(seed: number, N: number, D: number, OC: number, noise: number): Case {
  const r = rng(seed);
  const X = new Float32Array(N * D), W = new Float32Array(OC * D), Y = new Float32Array(N * OC);
  for (let n = 0; n < N; n++) {
    const u = gauss(r);
    for (let d = 0; d < D; d++) X[n * D + d] = Math.max(0, 0.8 * u + 0.6 * gauss(r) + 0.2);
  }
  for (let i = 0; i < W.length; i++) W[i] = gauss(r);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < OC; c++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += X[n * D + d] * W[c * D + d];
      Y[n * OC + c] = s + noise * gauss(r);
    }
  }
  return { X, Y, W, N, D, OC, p: buildProblemJs(X, Y, N, D, OC) };
}
