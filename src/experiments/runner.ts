// How the quantization experiments quantize and measure one run: the shared model with its decoded test set and
// float accuracy, the calibration draw of a run, its quantizer options and the result row. Used by
// scripts/quant-experiments.ts, which keeps the rows, and scripts/quant-reproduce.ts, which re-measures them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { loadModel, type ModelProto } from '../onnx/proto.js';
import type { Batch } from '../data/batches.js';
import type { Recipe } from '../quant/pipeline/spec.js';
import { runRecipe } from '../quant/pipeline/run.js';
import type { QuantRun } from '../quant/pipeline/state.js';
import { findRecipe, reconstructs, searchesClips, tuneRecipe } from '../quant/recipes.js';
import { toQdqBytes } from '../quant/qdq.js';
import { writeFileAtomic } from '../fsutil.js';
import { pairedTop1 } from '../eval/metrics.js';
import { accuracy, decodeAll, imageCount, inputDims, type Accuracy } from './cached-eval.js';
import { sharedPath, type SharedModel } from './shared-models.js';
import { EXACT_SESSION, RESULT_COLUMNS, SETTINGS, VARIANTS, modelStem, resultKey, type ModelRunConfig, type PlannedRun, type ResultRow, type Setting, type Variant } from './plan.js';

export const RESULTS_DIR = join(import.meta.dirname, '..', '..', '..', 'reports', 'quantization');

export function resultsPath(stem: string): string {
  return join(RESULTS_DIR, `results-${stem}.csv`);
}

export function readResults(stem: string): ResultRow[] {
  const p = resultsPath(stem);
  if (!existsSync(p)) return [];
  return parse(readFileSync(p, 'utf8'), { columns: true, skip_empty_lines: true }) as ResultRow[];
}

export function writeResults(stem: string, rows: ResultRow[]): void {
  const order = (r: ResultRow) => [
    r.experiment, SETTINGS.findIndex((s) => s.label === r.setting), VARIANTS.findIndex((v) => v.name === r.method), Number(r.calib_images), Number(r.seed || 0),
  ] as const;
  const sorted = [...rows].sort((a, b) => {
    const x = order(a), y = order(b);
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1] || x[2] - y[2] || x[3] - y[3] || x[4] - y[4];
  });
  writeFileAtomic(resultsPath(stem), stringify(sorted, { header: true, columns: [...RESULT_COLUMNS] }));
}

/** A variant's recipe with the model's run parameters: the lp exponent and LAPQ's budget. */
export function runRecipeOf(v: Variant, plan: ModelRunConfig): Recipe {
  return tuneRecipe(findRecipe(v.recipe), { p: plan.p, lapqEvals: plan.lapqEvals });
}

/** The run of a setting: first and last layer at 8 bits, the calibration draw, the positions and their seed. */
export function runOf(s: Setting, seed: number, calib: Batch[], dims: (b: Batch) => number[], plan: ModelRunConfig): QuantRun {
  return {
    aBits: s.a, wBits: s.w, firstLast: 8,
    calibration: { batches: async function* () { yield* calib; }, count: calib.length, inputDims: dims },
    positions: plan.positions, seed,
  };
}

/** A shared model loaded with its decoded test set and float accuracy, and its calibration draws decoded once each. */
export interface Bench {
  sm: SharedModel;
  stem: string;
  modelPath: string;
  model: ModelProto;
  dims: (b: Batch) => number[];
  test: Batch[];
  float: Accuracy;
  calibration(images: number, seed: number): Promise<Batch[]>;
}

export async function openBench(sm: SharedModel, log: (line: string) => void): Promise<Bench> {
  const modelPath = sharedPath('models', sm.file);
  const dims = inputDims(sm.preset);
  const t0 = Date.now();
  const test = await decodeAll(sharedPath(...sm.test), sm.preset, {});
  const float = await accuracy(readFileSync(modelPath), test, dims, 'all');
  log(`decoded ${imageCount(test)} test images, float top-1 ${(100 * float.top1).toFixed(2)} % (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const sets = new Map<string, Batch[]>();
  return {
    sm, stem: modelStem(sm.file), modelPath, model: loadModel(modelPath), dims, test, float,
    async calibration(images, seed) {
      const key = `${images}|${seed}`;
      if (!sets.has(key)) sets.set(key, await decodeAll(sharedPath(...sm.calib), sm.preset, { limit: images, seed }));
      return sets.get(key)!;
    },
  };
}

/** Quantizes and evaluates one planned run of `experiment` as the result row the runner keeps. */
export async function measureRun(b: Bench, experiment: string, r: PlannedRun, cfg: ModelRunConfig, log: (line: string) => void): Promise<ResultRow> {
  const seed = r.seed ?? 0;
  const calib = await b.calibration(r.calib, seed);
  const t1 = Date.now();
  const recipe = runRecipeOf(r.variant, cfg);
  const { model: q, report } = await runRecipe(b.model, b.modelPath, b.sm.file, recipe, runOf(r.setting, seed, calib, b.dims, cfg));
  const quantSeconds = (Date.now() - t1) / 1000;
  const smoothed = report.filter((l) => l.smoothAlpha !== undefined);
  if (smoothed.length) log(`smoothing per layer: ${smoothed.map((l) => `${l.name} ${l.smoothAlpha ?? 'none'}`).join(', ')}`);
  // The session folds the weight dequantization and runs activation Q/DQ unoptimized (src/onnx/run.ts).
  const acc = await accuracy(toQdqBytes(q), b.test, b.dims, 'all');
  const evalSeconds = (Date.now() - t1) / 1000 - quantSeconds;
  const paired = pairedTop1(b.float.top1Hits, acc.top1Hits);
  return {
    model: b.sm.file, experiment, setting: r.setting.label, method: r.variant.name, calib_images: String(imageCount(calib)),
    positions: reconstructs(recipe) ? String(cfg.positions) : '', lapq_evals: searchesClips(recipe) ? String(cfg.lapqEvals) : '',
    top1: (100 * acc.top1).toFixed(2), top5: (100 * acc.top5).toFixed(2), float_top1: (100 * b.float.top1).toFixed(2),
    drop: (100 * (b.float.top1 - acc.top1)).toFixed(2), eval_images: String(acc.images),
    quant_seconds: quantSeconds.toFixed(1), eval_seconds: evalSeconds.toFixed(1), session: EXACT_SESSION, seed: String(seed),
    only_float: String(paired.onlyA), only_quantized: String(paired.onlyB), drop_se: paired.seTop1.toFixed(2),
  };
}

export { resultKey };
