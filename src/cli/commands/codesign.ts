// `hwq codesign model.onnx --config vc709 --calib DIR --data DIR --out DIR`: the per-layer precisions (and the
// array) that give the best accuracy for the latency, energy or model size a user can afford. Each layer's damage at
// each precision is measured on held-out calibration images, the mixes are chosen by an exact integer program on the
// cycle-accurate cost tables, and every chosen mix is quantized, evaluated and simulated for real.
import { basename, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { type HwConfig, supportedWidths } from '../../../hw/config.js';
import { loadConfig } from '../../../hw/presets.js';
import { estimatedLuts, fitsDevice, fpgaDeviceOf } from '../../../hw/fpga-resources.js';
import { parseArrays } from '../../../sim/sweep.js';
import { parseFirstLast } from '../../../sim/precision.js';
import { encodeModel, loadModel } from '../../onnx/proto.js';
import { conv1dAs2d, hasConv1d } from '../../onnx/conv1d.js';
import { asFloat, quantizedFormat } from '../../onnx/dequantize-model.js';
import { type Batch, batches } from '../../data/batches.js';
import { type InputSpec, inputDims, sampleDims, sampleDimsOption } from '../../data/input-spec.js';
import { fixedBatchOf, modelInput } from '../../data/model-input.js';
import { samplesHash } from '../../data/samples-hash.js';
import { computeLayers, type Precision } from '../../model/ir.js';
import { importOnnxModel } from '../../model/onnx-import.js';
import { findRecipe } from '../../quant/recipes.js';
import { QUANTIZE_DEFAULTS } from './quantize.js';
import { cacheDir } from '../../codesign/cache.js';
import { jobsMaterializer } from '../../codesign/jobs-materializer.js';
import { dataRef } from '../../jobs/data-ref.js';
import { parseQueueUrl } from '../../jobs/queue.js';
import { CANDIDATE_WIDTHS, OBJECTIVES, type Objective } from '../../codesign/cost-table.js';
import { type CodesignResult, type Goal, describeMix, runCodesign } from '../../codesign/campaign.js';
import { type ReportContext, frontCsv, frontMarkdown, frontSpec, sensitivityCsv } from '../../codesign/report.js';
import { renderSvg } from '../../report/chart.js';
import { writeTreeAtomic, checkTreeTarget } from '../../fsutil.js';
import { UserError, unknownChoice } from '../../errors.js';
import { type PreprocessArgs, openModelData, preprocessOptions, withInputShape } from '../data-options.js';
import { progressOption, wantProgress } from '../flags.js';
import { intOption, numberOption } from '../numbers.js';
import { checkOutputs } from '../outputs.js';
import { stagedProgress } from '../progress.js';
import { parsePrecisionList } from '../sim-options.js';

export interface CodesignArgs extends PreprocessArgs {
  model: string;
  config: string;
  arrays?: string;
  calib: string;
  data: string;
  labels?: string;
  objective: string;
  'max-drop'?: number;
  budget?: string;
  front?: boolean;
  points: number;
  steps: number;
  recipe: string;
  'calib-size': number;
  'held-out': number;
  limit?: number;
  seed: number;
  'first-last': number | string | null;
  widths: string;
  uniform: string;
  batch: number;
  /** A folder, or false for --no-cache (yargs's negation of --cache). */
  cache?: string | false;
  /** Worker threads measuring the sensitivities and quantizing and evaluating the mixes as jobs (absent or 1: in this process). */
  jobs?: number;
  /** redis://host:port: the sensitivities and the mixes as jobs on `hwq worker` processes. */
  queue?: string;
  /** Checked here when given; the script that writes reports leaves it out. */
  out?: string;
  force?: boolean;
  json?: boolean;
  progress?: boolean;
}

/** The flags' defaults, shared by the command line and the report script. */
export const CODESIGN_DEFAULTS = {
  objective: 'latency', points: 8, steps: 40, recipe: 'bitsplit', 'calib-size': QUANTIZE_DEFAULTS['calib-size'], 'held-out': 64, seed: 0,
  widths: CANDIDATE_WIDTHS.join(','), uniform: 'a8w8,a8w4,a4w4,a4w2,a2w2', batch: 1,
};
const D = CODESIGN_DEFAULTS;

const BUDGET_UNITS: Record<Objective, Record<string, number>> = {
  latency: { s: 1e3, ms: 1, us: 1e-3, 'µs': 1e-3 },
  energy: { J: 1e6, mJ: 1e3, uJ: 1, 'µJ': 1, nJ: 1e-3 },
  size: { B: 1, KB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2 },
};
const BASE_UNIT: Record<Objective, string> = { latency: 'ms', energy: 'uJ', size: 'B' };

/** --budget '0.5 ms', '12uJ', '200 KiB' (a bare number is in ms, uJ or bytes) -> the objective's base unit. */
export function parseBudget(text: string, objective: Objective): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*([a-zA-Zµ]*)\s*$/.exec(text);
  const units = BUDGET_UNITS[objective];
  const scale = m ? (m[2] === '' ? 1 : units[m[2]]) : undefined;
  if (!m || scale === undefined || !(Number(m[1]) > 0)) {
    throw new UserError(`--budget '${text}' must be a positive ${objective} with a unit of ${Object.keys(units).join(', ')} (a bare number is ${BASE_UNIT[objective]})`);
  }
  return Number(m[1]) * scale;
}

/**
 * The configs with every --arrays size applied to each; FPGA configs keep only the arrays whose estimated LUTs fit
 * the device (`dropped` says which were left out and why).
 */
export function expandConfigs(configs: HwConfig[], arrays: Array<[number, number]>): { kept: HwConfig[]; dropped: string[] } {
  const all = arrays.length === 0 ? configs : configs.flatMap((c) => arrays.map(([rows, cols]) => ({ ...c, name: `${c.name}-${rows}x${cols}`, rows, cols })));
  const dropped: string[] = [];
  const kept = all.filter((c) => {
    const device = fpgaDeviceOf(c);
    if (!device || fitsDevice(c)) return true;
    dropped.push(`${c.name} (about ${Math.round(estimatedLuts(c)).toLocaleString('en-US')} LUTs, over ${Math.round(device.usable * 100)} % of the `
      + `${device.name}'s ${device.luts.toLocaleString('en-US')})`);
    return false;
  });
  if (kept.length === 0) throw new UserError(`no config fits its device: ${dropped.join('; ')}`);
  return { kept, dropped };
}

function goalOf(a: CodesignArgs, objective: Objective): Goal {
  const given = [a['max-drop'] !== undefined && '--max-drop', a.budget !== undefined && '--budget', a.front && '--front'].filter(Boolean);
  if (given.length > 1) throw new UserError(`give one of --max-drop, --budget and --front (got ${given.join(' and ')})`);
  if (a['max-drop'] !== undefined) return { kind: 'max-drop', drop: a['max-drop'] };
  if (a.budget !== undefined) return { kind: 'budget', budget: parseBudget(a.budget, objective) };
  return { kind: 'front', points: a.points };
}

function parseWidths(text: string, configs: HwConfig[]): number[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  const supported = CANDIDATE_WIDTHS.filter((w) => configs.every((c) => supportedWidths(c).includes(w)));
  const widths = items.map((s) => {
    const w = Number(s);
    if (!supported.includes(w as (typeof CANDIDATE_WIDTHS)[number])) throw new UserError(`--widths '${s}' is not a width every config runs (valid: ${supported.join(', ')})`);
    return w;
  });
  if (widths.length === 0) throw new UserError(`--widths is empty: give some of ${supported.join(', ')}`);
  if (new Set(widths).size !== widths.length) throw new UserError(`--widths '${text}' names a width twice`);
  return widths.sort((x, y) => x - y);
}

async function decode(samples: Parameters<typeof batches>[0], spec: InputSpec, batchSize: number, workers?: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of batches(samples, spec, { batchSize, workers })) out.push(b);
  return out;
}

export const command: CommandModule<{}, CodesignArgs> = {
  command: 'codesign <model>',
  describe: 'Per-layer precisions (and arrays) with the best accuracy for the latency, energy or size you can afford: measured front',
  builder: (y: Argv) =>
    preprocessOptions(y)
      .positional('model', { type: 'string', demandOption: true, describe: 'float ONNX model' })
      .option('config', { type: 'string', requiresArg: true, demandOption: true, describe: 'hardware presets or .json configs, comma-separated: the front is over all of them' })
      .option('arrays', { type: 'string', requiresArg: true, describe: 'array sizes <rows>x<cols> tried on every config; on an FPGA only those that fit the device' })
      .option('calib', {
        type: 'string', requiresArg: true, demandOption: true,
        describe: 'calibration images: the quantizer\'s calibration set and the held-out images the sensitivities are measured on',
      })
      .option('data', { type: 'string', requiresArg: true, demandOption: true, describe: 'evaluation images (labelled): every chosen point\'s accuracy is measured on them' })
      .option('labels', { type: 'string', requiresArg: true, describe: 'labels file for --data when it needs one' })
      .option('objective', { type: 'string', default: D.objective, describe: `what the budget limits: ${OBJECTIVES.join(', ')}` })
      .option('max-drop', numberOption('max-drop', { min: 0, describe: 'find the cheapest mix whose measured top-1 drop is at most this many points' }))
      .option('budget', { type: 'string', requiresArg: true, describe: 'find the most accurate mix within this cost: e.g. 0.2ms, 15uJ, 300KiB (bare: ms, uJ, bytes)' })
      .option('front', { type: 'boolean', describe: 'measure points spread over the whole predicted front (the default)' })
      .option('points', intOption('points', {
        min: 1, default: D.points,
        describe: 'front points to quantize and measure, spread evenly in log cost (besides, on each config, the best mix costing no more than each --uniform setting)',
      }))
      .option('steps', intOption('steps', { min: 2, default: D.steps, describe: 'budgets per config the exact search is solved for to trace the predicted front' }))
      .option('recipe', { type: 'string', default: D.recipe, describe: 'quantization recipe every mix is quantized with (hwq quantize --list-recipes)' })
      .option('calib-size', intOption('calib-size', { min: 1, default: D['calib-size'], describe: 'calibration images for the quantizer' }))
      .option('held-out', intOption('held-out', { min: 1, default: D['held-out'], describe: 'further calibration images, not used by the quantizer, the sensitivities are measured on' }))
      .option('limit', intOption('limit', { min: 1, describe: 'evaluate on N images of --data, stratified over the classes (seed 0)' }))
      .option('seed', intOption('seed', { min: 0, default: D.seed, describe: 'seed of the calibration and held-out draw and of the quantizer' }))
      .option('first-last', { type: 'string', requiresArg: true, describe: 'hold the first and last layer at this width (e.g. 8) instead of searching theirs' })
      .option('widths', { type: 'string', default: D.widths, describe: 'candidate widths of activations and weights (every pair is a candidate)' })
      .option('uniform', { type: 'string', default: D.uniform, describe: "uniform settings measured for comparison, first and last layer at 8 bits ('none': skip)" })
      .option('batch', intOption('batch', { min: 1, default: D.batch, describe: 'batch size of the simulation' }))
      .option('cache', { type: 'string', requiresArg: true, describe: `result cache folder (default: $HWQ_CACHE or ${cacheDir()}); --no-cache measures everything again and stores nothing` })
      .option('jobs', intOption('jobs', {
        min: 1, defaultDescription: '1',
        describe: 'measure the sensitivities (one job per candidate precision) and quantize and evaluate the mixes as jobs on N worker threads '
          + '(1: in this process, where precisions and mixes with equal weight widths share their weight fits; each thread holds a model\'s '
          + 'quantization in memory)',
      }))
      .option('queue', {
        type: 'string', requiresArg: true,
        describe: 'redis://host:port: measure the sensitivities and quantize and evaluate the mixes as jobs on `hwq worker` processes '
          + 'through this Redis server',
      })
      .conflicts('queue', 'jobs')
      .option('out', { type: 'string', requiresArg: true, demandOption: true, describe: 'folder for front.csv, front.md, front.svg, sensitivity.csv and points/<id>/ (.hwq, QDQ .onnx, precisions)' })
      .option('force', { type: 'boolean', describe: 'replace a non-empty --out folder' })
      .option('json', { type: 'boolean', describe: 'print the result as JSON' })
      .option('progress', progressOption)
      .example('hwq codesign resnet20.onnx --config vc709 --calib cifar10/calib --data cifar10/test --out cd/', 'the measured latency/accuracy front')
      .example('hwq codesign resnet20.onnx --config vc709 --arrays 8x8,16x16,16x32 --calib C --data D --max-drop 1 --out cd/', 'the cheapest (array, mix) within 1 point')
      .example('hwq codesign m.onnx --config bitfusion-asic --calib C --data D --budget 0.5ms --out cd/', 'the most accurate mix within 0.5 ms') as unknown as Argv<CodesignArgs>,
  handler: async (a) => {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const { result, ctx } = await codesignFromArgs(a, log);
    writeTreeAtomic(a.out!, await codesignFiles(result, ctx), a.force ?? false);
    log(`wrote ${join(a.out!, 'front.md')}, front.csv, front.svg, sensitivity.csv and ${result.points.length} points (${describeTimes(result)})`);
    if (a.json) process.stdout.write(`${JSON.stringify(codesignJson(result, ctx), null, 2)}\n`);
    else process.stdout.write(frontMarkdown(result, ctx));
  },
};

/** Everything `hwq codesign` does but write: the flags checked, the data opened and split, the campaign run. */
export async function codesignFromArgs(a: CodesignArgs, log: (line: string) => void): Promise<{ result: CodesignResult; ctx: ReportContext }> {
  const objective = a.objective as Objective;
  if (!OBJECTIVES.includes(objective)) throw unknownChoice('--objective', a.objective, OBJECTIVES);
  const goal = goalOf(a, objective);
  if (!a.model.toLowerCase().endsWith('.onnx')) throw new UserError(`the model '${a.model}' must be an .onnx file`);
  if (a.out !== undefined) checkOutputs([{ flag: 'out', path: a.out, kind: 'dir' }], [
    { what: 'the input model', path: a.model }, { what: 'the --calib data', path: a.calib }, { what: 'the --data images', path: a.data },
    ...(a.labels ? [{ what: 'the --labels file', path: a.labels }] : []),
  ]);
  if (a.out !== undefined) checkTreeTarget(a.out, a.force ?? false);
  const names = a.config.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UserError('--config is empty: give presets such as vc709,bitfusion-asic');
  if (new Set(names).size !== names.length) throw new UserError(`--config '${a.config}' names a config twice`);
  const { kept: configs, dropped } = expandConfigs(names.map(loadConfig), a.arrays ? parseArrays(a.arrays) : []);
  for (const d of dropped) log(`left out ${d}`);
  const widths = parseWidths(a.widths, configs);
  const uniform: Precision[] = a.uniform.trim() === 'none' ? [] : parsePrecisionList(a.uniform);
  const firstLast = a['first-last'] === undefined ? null : parseFirstLast(a['first-last']);
  const recipe = findRecipe(a.recipe);

  const loaded = loadModel(a.model);
  const float = quantizedFormat(loaded) ? asFloat(loaded, a.model) : loaded;
  const model = withInputShape(hasConv1d(float) ? conv1dAs2d(float) : float, a, a.model);
  const input = modelInput(model);
  if (!input) throw new UserError(`${a.model} has no graph input`);
  const name = basename(a.model, '.onnx');
  const net = importOnnxModel(model, name, a.model);
  const fixed: Record<string, Precision> = {};
  const computeNames = computeLayers(net).map((l) => l.name);
  if (firstLast !== null) for (const n of [computeNames[0], computeNames[computeNames.length - 1]]) fixed[n] = { a: firstLast, w: firstLast };

  // Calibration and held-out images: one seeded draw from --calib, split so the sensitivities never see an image
  // the quantizer calibrated on.
  const wanted = a['calib-size'] + a['held-out'];
  const calibSet = openModelData(a, input, a.model, a.calib, { limit: wanted, seed: a.seed });
  const spec = calibSet.spec;
  if (calibSet.data.samples.length <= a['held-out']) {
    throw new UserError(`--calib ${a.calib} has ${calibSet.data.samples.length} images: --held-out ${a['held-out']} needs more (and the quantizer some besides)`);
  }
  const heldOutSamples = calibSet.data.samples.slice(0, a['held-out']);
  const fixedBatch = fixedBatchOf(input);
  let calibSamples = calibSet.data.samples.slice(a['held-out']);
  if (fixedBatch !== undefined) calibSamples = calibSamples.slice(0, calibSamples.length - (calibSamples.length % fixedBatch));
  if (calibSamples.length === 0) throw new UserError(`--calib ${a.calib}: no calibration images are left beside the ${a['held-out']} held out`);
  const evalSet = openModelData(a, input, a.model, a.data, { labels: a.labels, ...(a.limit ? { limit: a.limit, seed: 0, stratify: true } : {}) }, { what: 'measuring accuracy' });
  const batchSize = fixedBatch ?? 32;
  const dims = (b: Batch) => inputDims(spec, b.count);
  const specKey = JSON.stringify(spec);
  const calibBatches = await decode(calibSamples, spec, batchSize, a.workers);
  const dir = a.cache === false ? null : a.cache ?? cacheDir();
  const bar = stagedProgress(wantProgress(a.progress));
  const positions = QUANTIZE_DEFAULTS.positions;
  let evalImages: Promise<Batch[]> | undefined;
  if (a.queue !== undefined) parseQueueUrl(a.queue);
  const asJobs = a.queue !== undefined || (a.jobs ?? 1) > 1;
  const calibOpen = { limit: wanted, seed: a.seed, ...sampleDimsOption(spec) };
  const materialize = asJobs ? jobsMaterializer({
    quantize: {
      model: a.model, ...(a['input-shape'] ? { inputShape: a['input-shape'] } : {}), name, recipe, input: spec, batchSize, positions, seed: a.seed,
      calibration: dataRef(a.calib, calibOpen, a['held-out'], a['held-out'] + calibSamples.length),
    },
    heldOut: dataRef(a.calib, calibOpen, 0, a['held-out']),
    evaluate: {
      data: dataRef(a.data, { labels: a.labels, ...(a.limit ? { limit: a.limit, seed: 0, stratify: true } : {}), ...sampleDimsOption(spec) }),
      input: spec, batchSize, ...(fixedBatch !== undefined ? { fixedBatch } : {}),
    },
    exec: { cacheDir: dir ?? undefined, threads: a.jobs ?? 1, queue: a.queue },
  }) : undefined;
  const result = await runCodesign({
    ...(materialize ? { materialize } : {}),
    quantize: {
      source: model, what: a.model, name, recipe,
      run: {
        calibration: { batches: async function* () { yield* calibBatches; }, count: calibBatches.length, inputDims: dims },
        positions, seed: a.seed,
      },
      key: [encodeModel(model), samplesHash(calibSamples), specKey, JSON.stringify(recipe), a.seed, positions],
      cacheDir: dir,
    },
    net, configs, batch: a.batch, objective, goal, widths, fixed,
    heldOut: {
      chunks: () => decode(heldOutSamples, spec, batchSize, a.workers), imageDims: sampleDims(spec), key: [samplesHash(heldOutSamples), specKey],
    },
    evaluation: {
      images: () => (evalImages ??= decode(evalSet.data.samples, spec, batchSize, a.workers)),
      dims, fixedBatch, key: [samplesHash(evalSet.data.samples), specKey], cacheDir: dir,
    },
    uniform: { precisions: uniform, firstLast: 8 },
    steps: a.steps,
    progress: (s, d, t) => bar.update(s, d, t),
    log: (line) => {
      bar.stop();
      log(line);
    },
  });
  bar.stop();
  const ctx: ReportContext = {
    model: name, recipe: recipe.name, objective, heldOutImages: heldOutSamples.length, calibrationImages: calibSamples.length, evalData: a.data,
  };
  return { result, ctx };
}

const describeTimes = (r: CodesignResult) => `sensitivities ${r.seconds.sensitivity.toFixed(1)} s, search ${r.seconds.search.toFixed(1)} s, `
  + `measurements ${r.seconds.measure.toFixed(1)} s; cache: ${r.cache.quantizeHits} of ${r.cache.quantizeHits + r.cache.quantizeRuns} quantized mixes, `
  + `${r.cache.evalHits} of ${r.cache.evalHits + r.cache.evalRuns} accuracies`;

/** A folder name for a point: its id with anything but letters, digits, '.', '_' and '-' replaced. */
const folderOf = (id: string) => id.replace(/[^A-Za-z0-9._-]+/g, '_');

/** Every output file by its path under --out. */
export async function codesignFiles(r: CodesignResult, ctx: ReportContext): Promise<Map<string, string | Uint8Array>> {
  const files = new Map<string, string | Uint8Array>([
    ['front.csv', frontCsv(r)],
    ['front.md', frontMarkdown(r, ctx)],
    ['front.svg', await renderSvg(frontSpec(r, ctx))],
    ['sensitivity.csv', sensitivityCsv(r)],
  ]);
  for (const p of r.points) {
    const dir = join('points', folderOf(p.id));
    files.set(join(dir, `${ctx.model}.hwq`), p.files.hwq);
    files.set(join(dir, `${ctx.model}.onnx`), p.files.qdq);
    files.set(join(dir, 'layer-precisions.json'), `${JSON.stringify(Object.fromEntries(r.layers.map((n, k) => [n, `a${p.precisions[k].a}w${p.precisions[k].w}`])), null, 2)}\n`);
  }
  return files;
}

/** The result without the model bytes, as --json prints it. */
export function codesignJson(r: CodesignResult, ctx: ReportContext): unknown {
  return {
    ...ctx, float: r.float, layers: r.layers, rankCorrelation: r.rankCorrelation, ...(r.chosen === undefined ? {} : { chosen: r.chosen }),
    points: r.points.map(({ files: _f, ...p }) => ({ ...p, mix: describeMix(p.precisions), folder: join('points', folderOf(p.id)) })),
    predictedFront: r.predictedFront, sensitivity: r.sensitivity, seconds: r.seconds, cache: r.cache,
  };
}

export default command;
