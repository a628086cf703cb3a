// The co-design campaign: each layer's sensitivity at each candidate precision (cached), the cost tables of every
// config, the exact search for the goal (a whole front, the best mix within a budget, or the cheapest mix within an
// accuracy drop), and every chosen mix made real and measured beside the uniform precisions. Side effects are the
// cache and the callbacks; the caller writes the files.
import type { HwConfig } from '../../hw/config.js';
import { type Network, type Precision, computeLayers } from '../model/ir.js';
import { pairedTop1 } from '../eval/metrics.js';
import { UserError } from '../errors.js';
import { type KeyPart, cached, contentKey } from './cache.js';
import { type CostTable, type Objective, candidateGrid, costTable, objectiveCost, packedWeightBytes } from './cost-table.js';
import { encodeModel } from '../onnx/proto.js';
import { type FrontPoint, bestWithin, predictedFront } from './front.js';
import {
  type EvalSetup, type HeldOutSetup, type Materializer, type QuantizeSetup, type QuantizedMix, localMaterializer, simulateHwq,
} from './materialize.js';
import type { SensitivityTable } from './sensitivity.js';
import { spearman } from './rank-correlation.js';

export type Goal = { kind: 'front'; points: number } | { kind: 'budget'; budget: number } | { kind: 'max-drop'; drop: number };

export interface CodesignInput {
  quantize: QuantizeSetup;
  /** The network IR the cost tables are built on (its compute layers are the quantizer's layers). */
  net: Network;
  configs: HwConfig[];
  batch: number;
  objective: Objective;
  goal: Goal;
  /** Candidate widths of activations and weights (every pair is a candidate). */
  widths: readonly number[];
  /** Layers held at one precision (by name): they take no part in the search. */
  fixed: Readonly<Record<string, Precision>>;
  /** Held-out calibration images the sensitivities are measured on (never the evaluation images). */
  heldOut: HeldOutSetup & { key: KeyPart };
  evaluation: EvalSetup;
  /** Where sensitivities are measured and mixes quantized and evaluated (default: this process, localMaterializer). */
  materialize?: Materializer;
  /** The uniform settings measured for comparison, and the width their first and last layers keep. */
  uniform: { precisions: Precision[]; firstLast: number | null };
  /** Budgets tried per config for the predicted front (spread evenly in log cost). */
  steps: number;
  progress?: (stage: string, done: number, total: number) => void;
  log?: (line: string) => void;
}

export interface MixCosts {
  latencyMs: number;
  energyUJ: number;
  weightBytes: number;
}

export interface PointResult {
  /** 'p1', 'p2', ... for searched mixes (cheapest first), 'a4w4' ... for uniform ones ('a4w4-<config>' with several configs). */
  id: string;
  kind: 'searched' | 'uniform';
  /** The uniform setting of a uniform point (its first and last layer may differ), else null. */
  uniform: Precision | null;
  config: string;
  /** Per compute layer, in the network's order. */
  precisions: Precision[];
  predicted: MixCosts & { damage: number };
  measured: MixCosts & { cycles: number; top1: number; top5: number; drop: number; dropSe: number; onlyFloat: number; onlyQuantized: number };
  /** Not beaten in both measured accuracy and the objective by another measured point (of either kind). */
  onFront: boolean;
  /** The files of the quantized mix (shared by the configs it runs on). */
  files: { hwq: Uint8Array; qdq: Uint8Array };
}

export interface CodesignResult {
  layers: string[];
  float: { top1: number; top5: number; images: number };
  sensitivity: SensitivityTable & { cached: boolean };
  /** The predicted front over all configs: config, per-layer precisions, damage and the objective's cost. */
  predictedFront: Array<{ config: string; precisions: Precision[]; damage: number; cost: number }>;
  points: PointResult[];
  /** Spearman correlation of predicted damage and measured drop over the distinct measured mixes. */
  rankCorrelation: number | null;
  /** The point that answers a budget or a maximum drop (null when none qualifies; absent for a front). */
  chosen?: string | null;
  seconds: { sensitivity: number; search: number; measure: number };
  cache: { quantizeHits: number; quantizeRuns: number; evalHits: number; evalRuns: number };
}

const label = (p: Precision) => `a${p.a}w${p.w}`;
const mixKey = (ps: readonly Precision[]) => ps.map(label).join(',');

/** 'a4w4 x12, a2w4 x6, a8w8 x2': how many layers run at each precision, the most used first. */
export function describeMix(ps: readonly Precision[]): string {
  const counts = new Map<string, number>();
  for (const p of ps) counts.set(label(p), (counts.get(label(p)) ?? 0) + 1);
  return [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([k, n]) => `${k} x${n}`).join(', ');
}

/** A point's figure in the objective's unit (ms, uJ or bytes). */
export function objectiveOf(c: MixCosts, objective: Objective): number {
  return objective === 'latency' ? c.latencyMs : objective === 'energy' ? c.energyUJ : c.weightBytes;
}

/** Targets spread evenly in log cost over [lo, hi], each taken by the nearest front point once. */
export function spreadPoints<T extends { cost: number }>(front: readonly T[], n: number): T[] {
  if (front.length <= n) return [...front];
  const lo = Math.log(Math.max(front[0].cost, Number.MIN_VALUE)), hi = Math.log(front[front.length - 1].cost);
  const picked = new Set<number>();
  for (let k = 0; k < n; k++) {
    const target = n === 1 ? hi : lo + ((hi - lo) * k) / (n - 1);
    let best = -1;
    for (let i = 0; i < front.length; i++) {
      if (picked.has(i)) continue;
      if (best < 0 || Math.abs(Math.log(front[i].cost) - target) < Math.abs(Math.log(front[best].cost) - target)) best = i;
    }
    picked.add(best);
  }
  return [...picked].sort((a, b) => a - b).map((i) => front[i]);
}

/** Points no other point beats in both accuracy and cost (equal points both kept). */
function markFront(points: PointResult[], objective: Objective): void {
  const cost = (p: PointResult) => objectiveOf(p.measured, objective);
  for (const p of points) {
    p.onFront = !points.some((q) => q !== p && cost(q) <= cost(p) && q.measured.top1 >= p.measured.top1 && (cost(q) < cost(p) || q.measured.top1 > p.measured.top1));
  }
}

export async function runCodesign(i: CodesignInput): Promise<CodesignResult> {
  const log = i.log ?? (() => {});
  const layers = computeLayers(i.net);
  const names = layers.map((l) => l.name);
  const candidates = candidateGrid(i.widths);
  const t0 = Date.now();
  const sensKey = contentKey('sensitivity', [...i.quantize.key, i.heldOut.key, candidates.map(label)]);
  const mat = i.materialize ?? localMaterializer(i.quantize, i.evaluation, i.heldOut);
  const sens = await cached<SensitivityTable>(i.quantize.cacheDir, sensKey, () => mat.sensitivity(candidates, i.progress));
  const table = sens.value;
  log(sens.hit ? `sensitivities: from the cache (${table.layers.length} layers x ${candidates.length} precisions)`
    : `sensitivities: measured ${table.layers.length} layers x ${candidates.length} precisions on ${table.images} held-out images (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (table.layers.join('\n') !== names.join('\n')) {
    throw new UserError(`the quantizer's layers (${table.layers.length}) are not the network's compute layers (${names.length}) of ${i.net.name}: `
      + 'co-design needs every compute layer quantizable');
  }
  const row = (name: string) => table.layers.indexOf(name);
  const damageOf = (layer: number, p: Precision): number => {
    const c = candidates.findIndex((q) => q.a === p.a && q.w === p.w);
    return c < 0 ? 0 : table.damage[row(names[layer])][c];
  };
  const candidatesOf = (_l: unknown, k: number): Precision[] => (i.fixed[names[k]] ? [i.fixed[names[k]]] : candidates);

  const t1 = Date.now();
  const tables = i.configs.map((cfg) => costTable(i.net, cfg, candidatesOf, i.batch));
  const damage = (t: CostTable) => t.layers.map((l, k) => l.candidates.map((p) => damageOf(k, p)));
  const precisionsOf = (t: CostTable, choice: number[]) => choice.map((c, k) => t.layers[k].candidates[c]);
  const tableOf = (config: string) => tables[i.configs.findIndex((c) => c.name === config)];
  const front = await predictedFront(tables, damage, i.objective, i.steps, (d, n) => i.progress?.('search', d, n));
  const searchSeconds = (Date.now() - t1) / 1000;

  const stats = { quantizeHits: 0, quantizeRuns: 0, evalHits: 0, evalRuns: 0 };
  const t2 = Date.now();
  const [floatAcc] = await mat.evaluate([encodeModel(i.quantize.source)]);
  stats[floatAcc.hit ? 'evalHits' : 'evalRuns']++;
  const measuredMixes = new Map<string, { files: PointResult['files']; acc: typeof floatAcc }>();
  const bitsOf = (ps: Precision[]) => Object.fromEntries(ps.map((p, k) => [names[k], p]));
  /** Mixes quantized and evaluated ahead, together: locally, mixes with equal weight widths share the recipe's passes
   *  that ignore activation widths; as jobs, they run side by side. */
  const quantized = new Map<string, QuantizedMix>();
  const evaluated = new Map<string, typeof floatAcc>();
  const measureAhead = async (mixes: Precision[][]) => {
    const t = Date.now();
    const got = await mat.quantize(mixes.map(bitsOf), (d, n) => i.progress?.('quantize mixes', d, n));
    got.forEach((q, k) => quantized.set(mixKey(mixes[k]), q));
    const ran = got.filter((q) => !q.hit).length;
    if (ran) log(`quantized ${ran} mixes in ${((Date.now() - t) / 1000).toFixed(1)} s (${got.length - ran} from the cache)`);
    const accs = await mat.evaluate(got.map((q) => q.qdq), (d, n) => i.progress?.('evaluate mixes', d, n));
    accs.forEach((a, k) => evaluated.set(mixKey(mixes[k]), a));
  };
  const measureMix = async (ps: Precision[]) => {
    const key = mixKey(ps);
    let m = measuredMixes.get(key);
    if (!m) {
      const tq = Date.now();
      const ahead = quantized.get(key);
      const q = ahead ?? (await mat.quantize([bitsOf(ps)]))[0];
      stats[q.hit ? 'quantizeHits' : 'quantizeRuns']++;
      const te = Date.now();
      const accAhead = evaluated.get(key);
      const acc = accAhead ?? (await mat.evaluate([q.qdq]))[0];
      stats[acc.hit ? 'evalHits' : 'evalRuns']++;
      m = { files: { hwq: q.hwq, qdq: q.qdq }, acc };
      measuredMixes.set(key, m);
      const took = (from: number, to: number, hit: boolean) => (hit ? 'cached' : `${((to - from) / 1000).toFixed(1)} s`);
      log(`measured ${describeMix(ps)}: top-1 ${(100 * acc.top1).toFixed(2)} % (float ${(100 * floatAcc.top1).toFixed(2)} %; `
        + `quantized ${ahead && !q.hit ? 'ahead' : took(tq, te, q.hit)}, evaluated ${accAhead && !acc.hit ? 'ahead' : took(te, Date.now(), acc.hit)})`);
    }
    return m;
  };
  const pointOf = async (id: string, uniform: Precision | null, cfg: HwConfig, ps: Precision[]): Promise<PointResult> => {
    const { files, acc } = await measureMix(ps);
    const t = tableOf(cfg.name);
    const choice = ps.map((p, k) => t.layers[k].candidates.findIndex((q) => q.a === p.a && q.w === p.w));
    const sum = (f: (k: number, c: number) => number) => choice.reduce((s, c, k) => s + (c < 0 ? NaN : f(k, c)), 0);
    const predicted = {
      damage: ps.reduce((s, p, k) => s + damageOf(k, p), 0),
      latencyMs: sum((k, c) => objectiveCost(t, t.layers[k].costs[c], 'latency')),
      energyUJ: sum((k, c) => t.layers[k].costs[c].energyUJ),
      weightBytes: sum((k, c) => t.layers[k].costs[c].weightBytes),
    };
    const sim = simulateHwq(files.hwq, i.quantize.name, cfg, i.batch);
    const paired = pairedTop1(floatAcc.top1Hits, acc.top1Hits);
    return {
      id, kind: uniform ? 'uniform' : 'searched', uniform, config: cfg.name, precisions: ps, predicted,
      measured: {
        ...sim, weightBytes: ps.reduce((s, p, k) => s + packedWeightBytes(layers[k], p.w), 0), top1: acc.top1, top5: acc.top5,
        drop: 100 * (floatAcc.top1 - acc.top1), dropSe: paired.seTop1, onlyFloat: paired.onlyA, onlyQuantized: paired.onlyB,
      },
      onFront: false, files,
    };
  };

  /** The objective's total of a mix on a table (NaN when a layer's precision is not among its candidates). */
  const mixCostOf = (t: CostTable, ps: Precision[]): number => ps.reduce((s, p, k) => {
    const c = t.layers[k].candidates.findIndex((q) => q.a === p.a && q.w === p.w);
    return s + (c < 0 ? NaN : objectiveCost(t, t.layers[k].costs[c], i.objective));
  }, 0);
  const cfgByName = (name: string) => i.configs.find((c) => c.name === name)!;
  const asMix = (p: FrontPoint) => ({ cfg: cfgByName(p.config), ps: precisionsOf(tableOf(p.config), p.choice), cost: p.cost });
  const searched: Array<ReturnType<typeof asMix>> = [];
  /** For a budget or a maximum drop: the searched mix (mix key @ config) that answers it. */
  let answer: string | null | undefined;
  const goal = i.goal;
  const uniformMixes = i.uniform.precisions.map((u) => ({
    u, ps: names.map((n, j) => i.fixed[n] ?? (i.uniform.firstLast !== null && (j === 0 || j === names.length - 1) ? { a: i.uniform.firstLast, w: i.uniform.firstLast } : u)),
  }));
  if (goal.kind === 'front') {
    searched.push(...spreadPoints(front, goal.points).map(asMix));
    // and, on each config, the least damaging mix that costs no more than each uniform setting: the mix that
    // answers "what should I run instead of uniform A4W4?"
    for (const t of tables) {
      for (const { ps } of uniformMixes) {
        const cost = mixCostOf(t, ps);
        const p = Number.isFinite(cost) ? await bestWithin(t, damage(t), i.objective, cost) : null;
        if (p) searched.push(asMix(p));
      }
    }
    const seen = new Set<string>();
    searched.splice(0, searched.length, ...searched.filter((m) => {
      const key = `${mixKey(m.ps)}@${m.cfg.name}`;
      return !seen.has(key) && seen.add(key);
    }));
  } else if (goal.kind === 'budget') {
    for (const t of tables) {
      const p = await bestWithin(t, damage(t), i.objective, goal.budget);
      if (p) searched.push(asMix(p));
    }
  } else {
    // The cheapest front point whose measured drop is within the limit, by bisection along the front: the measured
    // drop falls as the cost grows (up to the evaluation's noise), so about log2(front size) mixes are measured.
    let lo = 0, hi = front.length - 1;
    answer = null;
    const steps = Math.ceil(Math.log2(front.length + 1));
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = asMix(front[mid]);
      searched.push(m);
      i.progress?.('bisect the front', searched.length, steps);
      const { acc } = await measureMix(m.ps);
      if (100 * (floatAcc.top1 - acc.top1) <= goal.drop) {
        answer = `${mixKey(m.ps)}@${m.cfg.name}`;
        hi = mid - 1;
      } else lo = mid + 1;
    }
  }
  searched.sort((a, b) => a.cost - b.cost);
  await measureAhead([...searched.map((m) => m.ps), ...uniformMixes.map((u) => u.ps)]);
  const total = searched.length + i.uniform.precisions.length;
  const points: PointResult[] = [];
  for (const [k, m] of searched.entries()) {
    i.progress?.('measure mixes', k, total);
    points.push(await pointOf(`p${k + 1}`, null, m.cfg, m.ps));
  }
  let chosen: string | null | undefined;
  if (goal.kind === 'max-drop') chosen = answer ? points.find((p) => `${mixKey(p.precisions)}@${p.config}` === answer)!.id : null;
  if (goal.kind === 'budget') {
    const within = points.filter((p) => objectiveOf(p.measured, i.objective) <= goal.budget * (1 + 1e-9));
    chosen = within.length ? within.reduce((b, p) => (p.measured.top1 > b.measured.top1 ? p : b)).id : null;
  }
  for (const [k, { u, ps }] of uniformMixes.entries()) {
    i.progress?.('measure mixes', searched.length + k, total);
    for (const cfg of i.configs) points.push(await pointOf(i.configs.length === 1 ? label(u) : `${label(u)}-${cfg.name}`, u, cfg, ps));
  }
  markFront(points, i.objective);
  const distinct = [...new Map(points.map((p) => [mixKey(p.precisions), p])).values()];
  return {
    layers: names,
    float: { top1: floatAcc.top1, top5: floatAcc.top5, images: floatAcc.images },
    sensitivity: { ...table, cached: sens.hit },
    predictedFront: front.map((p) => ({ config: p.config, precisions: precisionsOf(tableOf(p.config), p.choice), damage: p.damage, cost: p.cost })),
    points,
    rankCorrelation: spearman(distinct.map((p) => p.predicted.damage), distinct.map((p) => p.measured.drop)),
    ...(chosen === undefined ? {} : { chosen }),
    seconds: { sensitivity: (t1 - t0) / 1000, search: searchSeconds, measure: (Date.now() - t2) / 1000 },
    cache: stats,
  };
}
