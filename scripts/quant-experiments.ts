// Runs the quantization experiments behind reports/quantization/comparison.md and calib-size.md on the
// shared real models and keeps every measured row in reports/quantization/results-<model>.csv. A row already
// there is not run again (unless --force), so a long plan can be run in pieces and resumed; the report
// script (quant-report.js) turns the rows into tables and charts.
//
// Run: node dist/scripts/quant-experiments.js <model> <compare|calib-size|a6w6-calib|a6w6-seeds|target-seeds> [--settings A4W4,W3] [--methods bitsplit,log] [--force | --stale] [--list]
//   --list: print the runs still to do (setting, method, images, seed) and exit
//   --stale: also re-run the rows measured before the exact sessions (no 'exact' in their session column)
//   model: a substring of a shared model file (resnet20, resnet32, mobilenetv2)
import { SHARED_MODELS, type SharedModel } from '../src/experiments/shared-models.js';
import { EXACT_SESSION, EXPERIMENT_PLANS, SETTINGS, VARIANTS, modelStem, resultKey } from '../src/experiments/plan.js';
import { measureRun, openBench, readResults, writeResults } from '../src/experiments/runner.js';

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
    process.stderr.write(`usage: quant-experiments.js <${SHARED_MODELS.map((m) => modelStem(m.file)).join('|')}> <${Object.keys(EXPERIMENT_PLANS).join('|')}> `
      + '[--settings A4W4,...] [--methods bitsplit,...] [--force | --stale] [--list]\n');
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

  const log = (line: string) => process.stderr.write(`${line}\n`);
  const bench = await openBench(sm, log);
  for (const [k, r] of pending.entries()) {
    const seed = r.seed ?? 0;
    const row = await measureRun(bench, experiment, r, cfg, log);
    // Re-read before writing: another run may have added rows for this model meanwhile.
    writeResults(stem, readResults(stem).filter((x) => resultKey(x) !== resultKey(row)).concat([row]));
    process.stderr.write(`[${k + 1}/${pending.length}] ${r.setting.label} ${r.variant.name} calib ${row.calib_images}${seed ? ` seed ${seed}` : ''}: `
      + `top-1 ${row.top1} % (quantize ${row.quant_seconds} s, eval ${row.eval_seconds} s)\n`);
  }
}

await main();
