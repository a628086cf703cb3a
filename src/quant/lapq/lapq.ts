// LAPQ (Nahshan et al., "Loss aware post-training quantization", Algorithm 1) on a QuantModel from the
// pipeline: (1) layer-wise Lp clips for several p, the network loss L(p) of each on the calibration images,
// a parabola through (p, L(p)) and its vertex p*; (2) Powell's method on the joint vector of log activation
// clips and log per-layer weight-clip multipliers from the best of those points; (3) the loss is the
// cross-entropy against the labels (or KL divergence from the float model's softmax when there are none).
import type { Batch } from '../../data/batches.js';
import { UserError } from '../../errors.js';
import { calibrate } from '../calibrate.js';
import type { QuantModel } from '../types.js';
import { type ClipParam, ClipSpace, type CorrectBias } from './clips.js';
import { LossEvaluator, imageChunks } from './evaluator.js';
import { type PowellStep, powell } from './powell.js';
import { type QuadraticFit, fitQuadratic } from './quadratic.js';

export interface LapqOptions {
  /** Batch.labels are real labels: minimize cross-entropy. false: KL divergence to the float model. */
  labels: boolean;
  /** The p values of the layer-wise Lp initialization (at least 3 distinct). */
  ps: number[];
  /** Calibration images the loss is evaluated on (the first ones of the batches); statistics use all. */
  images: number;
  /** Images per onnxruntime run. */
  runSize: number;
  /** Loss evaluations in total (initialization included); the search stops with its best point when spent. */
  maxEvals: number;
  /** Powell sweeps over all coordinates. */
  maxIter: number;
  /** Powell stops when a sweep lowers the loss by less than this relative amount. */
  ftol: number;
  /** Line-search tolerance and first step, in log-clip units (0.01 = 1 % of the clip). */
  xtol: number;
  step: number;
  /** Loss evaluations per line search. */
  lineEvals: number;
  /** Search 8-bit quantizers too (by default they keep their Lp clips at p* unless every quantizer is 8-bit). */
  searchEightBit: boolean;
  /** Keep the model's integer weights and scales (from another weight method); search activation clips only. */
  frozenWeights: boolean;
  threads: number;
  /** Activation values kept per tensor for the Lp histograms. */
  sampleCap: number;
  progress?: (stage: string, done: number, total: number) => void;
}

export const LAPQ_DEFAULTS: Omit<LapqOptions, 'labels'> = {
  ps: [2, 2.5, 3, 3.5, 4], images: 256, runSize: 128, maxEvals: 800, maxIter: 3, ftol: 1e-3, xtol: 0.02, step: 0.1, lineEvals: 8,
  searchEightBit: false, frozenWeights: false, threads: 2, sampleCap: 1 << 20,
};

/** Each coordinate stays within a factor 1/16 .. 4 of its starting clip (multiplier). */
const BOX_DOWN = Math.log(16);
const BOX_UP = Math.log(4);

export interface LapqInput {
  /** The pipeline's model (lp methods): layers, bit widths and formats LAPQ keeps; its clips are replaced. */
  model: QuantModel;
  /** Cached calibration batches (with labels when options.labels). */
  calibration: readonly Batch[];
  /** Per-image input dims (C, H, W). */
  imageDims: number[];
  options: Partial<LapqOptions> & { labels: boolean };
  /** The bias of layer i for re-rounded weights (bias correction); without it the layers keep their bias. */
  correctBias?: CorrectBias;
}

export interface LapqTrace {
  loss: 'cross-entropy' | 'kl';
  images: number;
  params: { kind: 'act' | 'weight'; label: string; layers: string[]; bits: number }[];
  /** Loss of the input model as given. */
  inputLoss: number;
  sweep: { p: number; loss: number }[];
  fit: QuadraticFit;
  pStarLoss: number;
  /** Where Powell started: the p* clips, or a sampled p when its loss was lower. */
  start: { p: number; loss: number };
  powell: { iterations: number; evaluations: number; stop: string; history: PowellStep[] };
  finalLoss: number;
  evaluations: number;
  msPerEval: number;
  totalMs: number;
  layers: { name: string; actClip: number | null; wMult: number }[];
}

export async function lapqOptimize(input: LapqInput): Promise<{ model: QuantModel; trace: LapqTrace }> {
  const t0 = performance.now();
  const o: LapqOptions = { ...LAPQ_DEFAULTS, ...input.options };
  if (new Set(o.ps).size < 3 || o.ps.some((p) => !(p > 0 && p <= 10))) throw new UserError(`LAPQ needs at least 3 distinct p values in (0, 10]; got ${o.ps.join(', ')}`);
  if (!Number.isInteger(o.images) || o.images < 1) throw new UserError(`LAPQ calibration images ${o.images} must be a positive integer`);
  if (o.maxEvals < o.ps.length + 3) throw new UserError(`LAPQ evaluation budget ${o.maxEvals} is too small: the initialization alone takes ${o.ps.length + 2}`);
  const q = input.model;
  const imageSize = input.imageDims.reduce((a, b) => a * b, 1);
  const space = new ClipSpace(q, o.frozenWeights, input.correctBias);

  const acts = q.layers.filter((l) => l.act).map((l) => l.inputTensor);
  const stats = acts.length === 0 ? new Map() : await calibrate(q.prepared, acts, (async function* () { yield* input.calibration; })(), (b) => [b.count, ...input.imageDims], {
    sampleCap: o.sampleCap, batches: input.calibration.length, onBatch: (d) => o.progress?.('lapq statistics', d, input.calibration.length),
  });
  const chunks = imageChunks(input.calibration, o.images, o.runSize, imageSize);
  const ev = await LossEvaluator.open(q, chunks, { labels: o.labels, imageDims: input.imageDims, threads: o.threads });
  try {
    const inputLoss = await ev.loss(q);
    const sweep: { p: number; loss: number }[] = [];
    const states = space.lpStates(o.ps, stats);
    for (const [k, p] of o.ps.entries()) {
      sweep.push({ p, loss: await ev.loss(space.model(states[k])) });
      o.progress?.('lapq init', sweep.length, o.ps.length + 1);
    }
    const fit = fitQuadratic(sweep.map((s) => s.p), sweep.map((s) => s.loss));
    const starIdx = o.ps.indexOf(fit.pStar);
    const starState = starIdx >= 0 ? states[starIdx] : space.lpState(fit.pStar, stats);
    const pStarLoss = starIdx >= 0 ? sweep[starIdx].loss : await ev.loss(space.model(starState));
    o.progress?.('lapq init', o.ps.length + 1, o.ps.length + 1);
    // The paper starts at p*; a sampled p that the parabola misjudged is a better start when its loss is lower.
    let start = { p: fit.pStar, loss: pStarLoss, state: starState };
    sweep.forEach((s, i) => { if (s.loss < start.loss) start = { p: s.p, loss: s.loss, state: states[i] }; });

    const all = o.searchEightBit;
    const params = space.params(all);
    const x0 = space.toVector(start.state, params);
    const lo = x0.map((v) => v - BOX_DOWN), hi = x0.map((v) => v + BOX_UP);
    const clamp = (x: Float64Array) => x.map((v, i) => Math.min(hi[i], Math.max(lo[i], v)));
    const budget = o.maxEvals - ev.evaluations;
    const res = await powell(async (x) => {
      const loss = await ev.loss(space.model(space.fromVector(start.state, params, clamp(x))));
      o.progress?.('lapq search', ev.evaluations, o.maxEvals);
      return loss;
    }, x0, { maxIter: o.maxIter, maxEvals: budget, ftol: o.ftol, xtol: o.xtol, step: o.step, lineEvals: o.lineEvals, maxStep: BOX_DOWN });
    const finalState = space.fromVector(start.state, params, clamp(res.x));
    const model = space.model(finalState);
    const trace: LapqTrace = {
      loss: o.labels ? 'cross-entropy' : 'kl',
      images: ev.images,
      params: params.map((p: ClipParam) => ({ kind: p.kind, label: p.label, layers: p.layers.map((i) => q.layers[i].name), bits: p.bits })),
      inputLoss, sweep, fit, pStarLoss, start: { p: start.p, loss: start.loss },
      powell: { iterations: res.iterations, evaluations: res.evaluations, stop: res.stop, history: res.history },
      finalLoss: res.fx,
      evaluations: ev.evaluations,
      msPerEval: ev.msPerEval(),
      totalMs: performance.now() - t0,
      layers: q.layers.map((l, i) => ({ name: l.name, actClip: l.act ? finalState.actClip[i] : null, wMult: finalState.wMult[i] })),
    };
    return { model, trace };
  } finally {
    await ev.release();
  }
}
