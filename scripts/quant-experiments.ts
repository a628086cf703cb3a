// Runs the quantization experiments behind reports/quantization/comparison.md and calib-size.md on the
// shared real models and keeps every measured row in reports/quantization/results-<model>.csv. A row already
// there is not run again (unless --force), so a long plan can be run in pieces and resumed; the report
// script (quant-report.js) turns the rows into tables and charts.
//
// Run: node dist/scripts/quant-experiments.js <model> <compare|calib-size|a6w6-calib|a6w6-seeds|target-seeds> [--settings A4W4,W3] [--methods bitsplit,log] [--force | --stale] [--list]
//   --list: print the runs still to do (setting, method, images, seed) and exit
//   --stale: also re-run the rows measured before the exact sessions (no 'exact' in their session column)
//   model: a substring of a shared model file (resnet20, resnet32, mobilenetv2)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { loadModel } from '../src/onnx/proto.js';
import type { Batch } from '../src/data/batches.js';
import { quantizeModel, type QuantizeOptions } from '../src/quant/quantize.js';
import { toQdqBytes } from '../src/quant/qdq.js';
import { writeFileAtomic } from '../src/fsutil.js';
import { pairedTop1 } from '../src/eval/metrics.js';
import { accuracy, decodeAll, imageCount, inputDims } from './cached-eval.js';
import { SHARED_MODELS, sharedPath, type SharedModel } from './shared-models.js';
import { EXACT_SESSION, EXPERIMENT_PLANS, RESULT_COLUMNS, SETTINGS, VARIANTS, modelStem, resultKey, type ResultRow, type Setting, type Variant } from './quant-plan.js';

const OUT = join(import.meta.dirname, '..', '..', 'reports', 'quantization');

export function resultsPath(stem: string): string {
  return join(OUT, `results-${stem}.csv`);
}

export function readResults(stem: string): ResultRow[] {
  const p = resultsPath(stem);
  if (!existsSync(p)) return [];
  return parse(readFileSync(p, 'utf8'), { columns: true, skip_empty_lines: true }) as ResultRow[];
}

function writeResults(stem: string, rows: ResultRow[]): void {
  const order = (r: ResultRow) => [r.experiment, SETTINGS.findIndex((s) => s.label === r.setting), VARIANTS.findIndex((v) => v.name === r.method), Number(r.calib_images), Number(r.seed || 0)] as const;
  const sorted = [...rows].sort((a, b) => {
    const x = order(a), y = order(b);
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1] || x[2] - y[2] || x[3] - y[3] || x[4] - y[4];
  });
  writeFileAtomic(resultsPath(stem), stringify(sorted, { header: true, columns: [...RESULT_COLUMNS] }));
}

function options(v: Variant, s: Setting, seed: number, calib: Batch[], dims: (b: Batch) => number[], plan: { positions: number; lapqEvals: number; p: number }): QuantizeOptions {
  return {
    aBits: s.a, wBits: s.w, firstLast: 8,
    weightMethod: v.weightMethod, actMethod: v.actMethod, methodOptions: { p: plan.p, damp: v.damp },
    ecaq: v.ecaq, biasCorrection: v.biasCorrection, smooth: v.smooth,
    calibration: { batches: async function* () { yield* calib; }, count: calib.length, inputDims: dims },
    reconstruction: { positions: plan.positions, floatInputs: v.floatInputs ?? false, seed, actFit: v.actFit ?? 'quantized' },
    lapq: { labels: true, maxEvals: plan.lapqEvals },
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const [which, experiment] = args;
  const sm: SharedModel | undefined = SHARED_MODELS.find((m) => which && m.file.includes(which));
  const plan = experiment ? EXPERIMENT_PLANS[experiment] : undefined;
  if (!sm || !plan) {
    process.stderr.write(`usage: quant-experiments.js <${SHARED_MODELS.map((m) => modelStem(m.file)).join('|')}> <${Object.keys(EXPERIMENT_PLANS).join('|')}> [--settings A4W4,...] [--methods bitsplit,...] [--force | --stale] [--list]\n`);
    process.exit(2);
  }
  const stem = modelStem(sm.file);
  const onlySettings = flag('--settings')?.split(',');
  const onlyMethods = flag('--methods')?.split(',');
  for (const s of onlySettings ?? []) if (!SETTINGS.some((x) => x.label === s)) throw new Error(`unknown setting ${s}: ${SETTINGS.map((x) => x.label).join(', ')}`);
  for (const m of onlyMethods ?? []) if (!VARIANTS.some((x) => x.name === m)) throw new Error(`unknown method ${m}: ${VARIANTS.map((x) => x.name).join(', ')}`);
  const force = args.includes('--force');

  const cfg = plan.model(stem);
  const runs = plan.runs(stem).filter((r) => (!onlySettings || onlySettings.includes(r.setting.label)) && (!onlyMethods || onlyMethods.includes(r.variant.name)));
  const stale = args.includes('--stale');
  const done = new Set(readResults(stem).filter((r) => !stale || r.session === EXACT_SESSION).map(resultKey));
  const pending = runs.filter((r) => force || !done.has(resultKey({ experiment, setting: r.setting.label, method: r.variant.name, calib_images: String(r.calib), seed: String(r.seed ?? 0) })));
  process.stderr.write(`${sm.file} ${experiment}: ${pending.length} of ${runs.length} runs to do\n`);
  if (args.includes('--list')) {
    for (const r of pending) process.stdout.write(`${r.setting.label}\t${r.variant.name}\t${r.calib}\t${r.seed ?? 0}\n`);
    return;
  }
  if (pending.length === 0) return;

  const modelPath = sharedPath('models', sm.file);
  const model = loadModel(modelPath);
  const dims = inputDims(sm.preset);
  const t0 = Date.now();
  const test = await decodeAll(sharedPath(...sm.test), sm.preset, {});
  const float = await accuracy(readFileSync(modelPath), test, dims, 'all');
  process.stderr.write(`decoded ${imageCount(test)} test images, float top-1 ${(100 * float.top1).toFixed(2)} % (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  const calibSets = new Map<string, Batch[]>();
  for (const [k, r] of pending.entries()) {
    const seed = r.seed ?? 0;
    const sample = `${r.calib}|${seed}`;
    if (!calibSets.has(sample)) calibSets.set(sample, await decodeAll(sharedPath(...sm.calib), sm.preset, { limit: r.calib, seed }));
    const calib = calibSets.get(sample)!;
    const t1 = Date.now();
    const { model: q, report } = await quantizeModel(model, modelPath, sm.file, options(r.variant, r.setting, seed, calib, dims, cfg));
    const quantSeconds = (Date.now() - t1) / 1000;
    const smoothed = report.filter((l) => l.smoothAlpha !== undefined);
    if (smoothed.length) process.stderr.write(`smoothing per layer: ${smoothed.map((l) => `${l.name} ${l.smoothAlpha ?? 'none'}`).join(', ')}\n`);
    // The session folds the weight dequantization and runs activation Q/DQ unoptimized (src/onnx/run.ts).
    const acc = await accuracy(toQdqBytes(q), test, dims, 'all');
    const evalSeconds = (Date.now() - t1) / 1000 - quantSeconds;
    const paired = pairedTop1(float.top1Hits, acc.top1Hits);
    const row: ResultRow = {
      model: sm.file, experiment, setting: r.setting.label, method: r.variant.name, calib_images: String(imageCount(calib)),
      positions: r.variant.reconstructs ? String(cfg.positions) : '', lapq_evals: r.variant.weightMethod === 'lapq' || r.variant.actMethod === 'lapq' ? String(cfg.lapqEvals) : '',
      top1: (100 * acc.top1).toFixed(2), top5: (100 * acc.top5).toFixed(2), float_top1: (100 * float.top1).toFixed(2),
      drop: (100 * (float.top1 - acc.top1)).toFixed(2), eval_images: String(acc.images),
      quant_seconds: quantSeconds.toFixed(1), eval_seconds: evalSeconds.toFixed(1), session: EXACT_SESSION, seed: String(seed),
      only_float: String(paired.onlyA), only_quantized: String(paired.onlyB), drop_se: paired.seTop1.toFixed(2),
    };
    // Re-read before writing: another run may have added rows for this model meanwhile.
    writeResults(stem, readResults(stem).filter((x) => resultKey(x) !== resultKey(row)).concat([row]));
    process.stderr.write(`[${k + 1}/${pending.length}] ${r.setting.label} ${r.variant.name} calib ${row.calib_images}${seed ? ` seed ${seed}` : ''}: top-1 ${row.top1} % (quantize ${row.quant_seconds} s, eval ${row.eval_seconds} s)\n`);
  }
}

await main();
