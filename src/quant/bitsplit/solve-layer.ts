// One layer end to end: statistics of every group (gram.ts), then the chosen solver per group, assembled into
// the (integers, per-output-channel scale) form of a WeightQuantResult, channel-major.
import type { LayerData } from '../layer-data.js';
import { bitsplitSolve } from './bitsplit.js';
import type { SolveOptions } from './core.js';
import { buildProblems, dampTowards } from './gram.js';
import { logSolve } from './log-quant.js';

export type ReconMethod = 'bitsplit' | 'log';

export interface LayerSolution {
  /** outC x D integers, channel-major (group g holds channels g*OC .. (g+1)*OC - 1). */
  q: Int8Array;
  /** Per output channel: the weight is scales[c] * q[c, k] (for log: a power-of-two integer times alpha 2^-(L-1)). */
  scales: Float32Array;
  /** Per-channel mean squared output error after optimization, and for the initial (TF-Lite-style) rounding. */
  objective: Float64Array;
  initialObjective: Float64Array;
  /** Most sweeps any channel took. */
  sweeps: number;
  /** Wall time of the statistics and of the solver, milliseconds. */
  statsMs: number;
  solveMs: number;
}

/**
 * `weights` is outC x D in the im2col order of data's X (a conv weight [outC, inC/groups, kh, kw] as stored;
 * an fc weight per output neuron). Groups are independent problems solved one after the other.
 * `o.damp` > 0 adds a pull towards the float weights to every problem (gram.ts `dampTowards`); the reported
 * objectives then include that term.
 */
export async function solveLayer(data: LayerData, weights: Float32Array, method: ReconMethod, bits: number, o: SolveOptions & { damp?: number } = {}): Promise<LayerSolution> {
  const { N, D, OC, groups } = data;
  const outC = OC * groups.length;
  if (weights.length !== outC * D) throw new Error(`internal: ${weights.length} weights for ${outC} channels of ${D}`);
  const t0 = performance.now();
  const problems = await buildProblems(groups, N, D, OC);
  const t1 = performance.now();
  const q = new Int8Array(outC * D);
  const scales = new Float32Array(outC);
  const objective = new Float64Array(outC);
  const initialObjective = new Float64Array(outC);
  let sweeps = 0;
  for (let g = 0; g < problems.length; g++) {
    const w = weights.subarray(g * OC * D, (g + 1) * OC * D);
    if (o.damp) dampTowards(problems[g], w, o.damp);
    let r;
    if (method === 'bitsplit') {
      r = await bitsplitSolve(problems[g], w, { ...o, bits });
      q.set(r.q, g * OC * D);
      scales.set(r.alpha, g * OC);
    } else {
      r = await logSolve(problems[g], w, { ...o, bits });
      q.set(r.ints, g * OC * D);
      scales.set(r.scale, g * OC);
    }
    objective.set(r.objective, g * OC);
    initialObjective.set(r.initialObjective, g * OC);
    sweeps = Math.max(sweeps, r.sweeps);
  }
  return { q, scales, objective, initialObjective, sweeps, statsMs: t1 - t0, solveMs: performance.now() - t1 };
}
