// Sufficient statistics of a layer-wise reconstruction problem (Bit-split paper, Eq. 11):
//   J(alpha, q) = (1/N) ||y - alpha X q||^2 = yy - 2 alpha xy.q + alpha^2 q.G q
// with G = X^T X / N, xy = X^T y / N and yy = y.y / N for each output channel. Once these are known the
// solvers never touch the N samples again, so the O(N D^2) products are the only heavy linear algebra; they run
// as one onnxruntime MatMul (MLAS: 15-20 GMAC/s on this 2-core machine under load, JS loops < 1) on a tiny
// graph built here.
import { attr } from '../../onnx/attr.js';
import { buildModel } from '../../onnx/build.js';
import { encodeModel } from '../../onnx/proto.js';
import { openModel, type OrtModel } from '../../onnx/run.js';
import { DataType } from '../../onnx/tensor.js';

/**
 * One output-channel group's problem. Scaled by 1/N so the objective is a per-sample mean squared error and its
 * magnitude does not depend on how many positions were sampled.
 */
export interface LayerProblem {
  /** Samples the statistics were taken over. */
  N: number;
  /** Reduction length (im2col patch size of one group). */
  D: number;
  /** Output channels of the group. */
  OC: number;
  /** G = X^T X / N, D x D row-major (symmetric). */
  gram: Float64Array;
  /** xy[c * D + k] = sum_n X[n, k] Y[n, c] / N: one contiguous D-vector per output channel. */
  xy: Float64Array;
  /** yy[c] = sum_n Y[n, c]^2 / N. */
  yy: Float64Array;
}

/** One group's samples: X is N x D, Y is N x OC, both row-major (the layout of LayerData's GroupData). */
export interface GroupSamples {
  X: Float32Array;
  Y: Float32Array;
}

function checkSizes(g: GroupSamples, N: number, D: number, OC: number): void {
  if (g.X.length !== N * D) throw new Error(`internal: X has ${g.X.length} values, expected N*D = ${N}*${D}`);
  if (g.Y.length !== N * OC) throw new Error(`internal: Y has ${g.Y.length} values, expected N*OC = ${N}*${OC}`);
  if (N <= 0) throw new Error('internal: a reconstruction problem needs at least one sample');
}

function outputEnergy(Y: Float32Array, N: number, OC: number): Float64Array {
  const yy = new Float64Array(OC);
  for (let n = 0; n < N; n++) {
    const row = n * OC;
    for (let c = 0; c < OC; c++) yy[c] += Y[row + c] * Y[row + c];
  }
  for (let c = 0; c < OC; c++) yy[c] /= N;
  return yy;
}

/** Splits the MatMul result P = X^T [X | Y] (D x (D + OC)) into G and the channel-major cross term. */
function fromProduct(P: ArrayLike<number>, off: number, N: number, D: number, OC: number, yy: Float64Array): LayerProblem {
  const E = D + OC;
  const gram = new Float64Array(D * D);
  const xy = new Float64Array(OC * D);
  for (let i = 0; i < D; i++) {
    const row = off + i * E;
    for (let j = 0; j < D; j++) gram[i * D + j] = P[row + j] / N;
    for (let c = 0; c < OC; c++) xy[c * D + i] = P[row + D + c] / N;
  }
  // MLAS may sum (i, j) and (j, i) in different orders; the solvers rely on exact symmetry.
  for (let i = 0; i < D; i++) {
    for (let j = i + 1; j < D; j++) {
      const v = 0.5 * (gram[i * D + j] + gram[j * D + i]);
      gram[i * D + j] = v;
      gram[j * D + i] = v;
    }
  }
  return { N, D, OC, gram, xy, yy };
}

/** The statistics in float64 JS loops: the reference the onnxruntime path is tested against. */
export function buildProblemJs(X: Float32Array, Y: Float32Array, N: number, D: number, OC: number): LayerProblem {
  checkSizes({ X, Y }, N, D, OC);
  const gram = new Float64Array(D * D);
  const xy = new Float64Array(OC * D);
  for (let n = 0; n < N; n++) {
    const xr = n * D, yr = n * OC;
    for (let i = 0; i < D; i++) {
      const xi = X[xr + i];
      if (xi === 0) continue;
      for (let j = i; j < D; j++) gram[i * D + j] += xi * X[xr + j];
      for (let c = 0; c < OC; c++) xy[c * D + i] += xi * Y[yr + c];
    }
  }
  for (let i = 0; i < D; i++) {
    for (let j = i; j < D; j++) {
      const v = gram[i * D + j] / N;
      gram[i * D + j] = v;
      gram[j * D + i] = v;
    }
  }
  for (let k = 0; k < xy.length; k++) xy[k] /= N;
  return { N, D, OC, gram, xy, yy: outputEnergy(Y, N, OC) };
}

// One session per graph serves every shape (all dims symbolic).
let gramSess: Promise<OrtModel> | undefined;
let productSess: Promise<OrtModel> | undefined;

/** P[g] = X[g]^T [X[g] | Y[g]] in float32. */
function gramModel(): Uint8Array {
  return encodeModel(buildModel({
    inputs: [{ name: 'X', dims: ['g', 'n', 'd'] }, { name: 'Y', dims: ['g', 'n', 'e'] }],
    outputs: [{ name: 'P', dims: ['g', 'd', 'f'] }],
    nodes: [
      { op: 'Concat', inputs: ['X', 'Y'], outputs: ['Z'], attrs: { axis: attr.int(2) } },
      { op: 'Transpose', inputs: ['X'], outputs: ['Xt'], attrs: { perm: attr.ints([0, 2, 1]) } },
      { op: 'MatMul', inputs: ['Xt', 'Z'], outputs: ['P'] },
    ],
    graphName: 'hwq_gram',
  }));
}

/** P = Q G in float64 (MLAS DGEMM: ~30x the JS loop for OC = 320, D = 960). */
function productModel(): Uint8Array {
  return encodeModel(buildModel({
    inputs: [{ name: 'Q', dims: ['c', 'd'], elemType: DataType.DOUBLE }, { name: 'G', dims: ['d', 'd'], elemType: DataType.DOUBLE }],
    outputs: [{ name: 'P', dims: ['c', 'd'], elemType: DataType.DOUBLE }],
    nodes: [{ op: 'MatMul', inputs: ['Q', 'G'], outputs: ['P'] }],
    graphName: 'hwq_gram_product',
  }));
}

/** Frees the cached onnxruntime sessions (a later call opens new ones). */
export async function releaseGramSession(): Promise<void> {
  const all = [gramSess, productSess];
  gramSess = productSess = undefined;
  for (const s of all) if (s) await (await s).release();
}

/** Below this many multiply-adds the JS loop beats an onnxruntime call (depthwise groups: D = 9, OC = 1). */
const ORT_MIN_WORK = 1 << 18;

/**
 * Q G for OC row vectors Q (OC x D, channel-major) and the problem's Gram matrix: the solvers' starting
 * G q for every channel at once, in float64 either way (onnxruntime DOUBLE MatMul or JS; they agree to ~1e-12).
 */
export async function gramTimes(p: LayerProblem, Q: Float64Array): Promise<Float64Array> {
  const { D, OC, gram } = p;
  if (Q.length !== OC * D) throw new Error(`internal: ${Q.length} values for an OC x D = ${OC} x ${D} product`);
  if (D * D * OC < ORT_MIN_WORK) {
    const out = new Float64Array(OC * D);
    for (let c = 0; c < OC; c++) {
      const o = c * D;
      for (let i = 0; i < D; i++) {
        const qi = Q[o + i];
        if (qi === 0) continue;
        const row = i * D;
        for (let j = 0; j < D; j++) out[o + j] += qi * gram[row + j];
      }
    }
    return out;
  }
  productSess ??= openModel(productModel(), 2, 'all');
  const m = await productSess;
  const res = await m.run({ Q: { dims: [OC, D], data: Q }, G: { dims: [D, D], data: gram } });
  return Float64Array.from(res.get('P')!.data as Float64Array);
}

/** Groups per onnxruntime call: bounds the packed copy of X (and onnxruntime's Concat/Transpose copies). */
const CHUNK_VALUES = 8 * 1024 * 1024;

/**
 * The statistics of every group of a layer (one group for ordinary convolutions and fc layers, `groups` for
 * grouped and depthwise ones). Groups are packed into batched MatMul calls so 960 depthwise 3x3 problems
 * cost a handful of onnxruntime runs, not 960. MatMul accumulates in float32 (relative error ~1e-6 at
 * N = 12,000, far below the 4-bit reconstruction error); G is then symmetrized and kept in float64.
 */
export async function buildProblems(groups: GroupSamples[], N: number, D: number, OC: number): Promise<LayerProblem[]> {
  for (const g of groups) checkSizes(g, N, D, OC);
  gramSess ??= openModel(gramModel(), 2, 'all');
  const m = await gramSess;
  const out: LayerProblem[] = [];
  const per = Math.max(1, Math.floor(CHUNK_VALUES / (N * (D + OC))));
  for (let g0 = 0; g0 < groups.length; g0 += per) {
    const part = groups.slice(g0, g0 + per);
    const G = part.length;
    let X: Float32Array, Y: Float32Array;
    if (G === 1) {
      X = part[0].X;
      Y = part[0].Y;
    } else {
      X = new Float32Array(G * N * D);
      Y = new Float32Array(G * N * OC);
      part.forEach((p, i) => {
        X.set(p.X, i * N * D);
        Y.set(p.Y, i * N * OC);
      });
    }
    const res = await m.run({ X: { dims: [G, N, D], data: X }, Y: { dims: [G, N, OC], data: Y } });
    const P = res.get('P')!.data as Float32Array;
    part.forEach((p, i) => out.push(fromProduct(P, i * D * (D + OC), N, D, OC, outputEnergy(p.Y, N, OC))));
  }
  return out;
}

/** J[c] = yy - 2 alpha xy.q + alpha^2 q.G q for given per-channel scales and (real-valued) levels q (OC x D). */
export function reconstructionError(p: LayerProblem, q: ArrayLike<number>, alpha: ArrayLike<number>): Float64Array {
  const { D, OC, gram, xy, yy } = p;
  const J = new Float64Array(OC);
  for (let c = 0; c < OC; c++) {
    const a = alpha[c];
    let bq = 0, qGq = 0;
    for (let i = 0; i < D; i++) {
      const qi = q[c * D + i];
      if (qi === 0) continue;
      bq += xy[c * D + i] * qi;
      let s = 0;
      for (let j = 0; j < D; j++) s += gram[i * D + j] * q[c * D + j];
      qGq += qi * s;
    }
    J[c] = yy[c] - 2 * a * bq + a * a * qGq;
  }
  return J;
}

/**
 * Adds lambda ||alpha q - w||^2 to every channel's objective, lambda = damp * mean(diag G), in place:
 * G += lambda I, xy += lambda w, yy += lambda w.w. A ridge towards the float weights w (OC x D, the
 * problem's channel-major layout): where the sampled positions hardly constrain a direction of the weights
 * (N not much above D, or inputs that are nearly collinear), the fit follows w instead of the sample's noise.
 */
export function dampTowards(p: LayerProblem, w: ArrayLike<number>, damp: number): void {
  const { D, OC, gram, xy, yy } = p;
  if (w.length !== OC * D) throw new Error(`internal: ${w.length} weights for OC x D = ${OC} x ${D}`);
  if (!(damp >= 0)) throw new Error(`internal: damp ${damp} must be >= 0`);
  let trace = 0;
  for (let k = 0; k < D; k++) trace += gram[k * D + k];
  const lambda = (damp * trace) / D;
  if (!(lambda > 0)) return;
  for (let k = 0; k < D; k++) gram[k * D + k] += lambda;
  for (let c = 0; c < OC; c++) {
    let ww = 0;
    for (let k = 0; k < D; k++) {
      const v = w[c * D + k];
      xy[c * D + k] += lambda * v;
      ww += v * v;
    }
    yy[c] += lambda * ww;
  }
}
