// `hwq quantize model.onnx --a4w4 --calib DIR --out q.onnx [--hwq q.hwq]`: post-training quantization of a
// float ONNX CNN to a QDQ model onnxruntime runs and the project's integer model.
import { basename } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { encodeModel, loadModel } from '../../onnx/proto.js';
import type { Sample } from '../../data/dataset.js';
import { conv1dAs2d, hasConv1d } from '../../onnx/conv1d.js';
import { FORMAT_NAMES, type QuantizedFormat, asFloat, quantizedFormat } from '../../onnx/dequantize-model.js';
import { batches } from '../../data/batches.js';
import { inputDims, type InputSpec } from '../../data/input-spec.js';
import { fixedBatchOf, modelInput } from '../../data/model-input.js';
import { ACT_FITS, type ActFit, BIAS_CORRECTIONS, type BiasCorrection, type QuantizeOptions } from '../../quant/options.js';
import { ECAQ_SCOPES, type EcaqScope, type Recipe } from '../../quant/pipeline/spec.js';
import type { LayerReport } from '../../quant/pipeline/state.js';
import { recipeFromOptions, runFromOptions } from '../../quant/pipeline/from-options.js';
import { runRecipe } from '../../quant/pipeline/run.js';
import { RECIPES, describePasses, findRecipe, tuneRecipe } from '../../quant/recipes.js';
import { actQuantizers, weightQuantizers } from '../../quant/methods.js';
import { QDQ_FORMS, type QdqForm } from '../../quant/qdq.js';
import { qdqModelOf } from '../../quant/qdq-integer.js';
import { writeHwq } from '../../quant/hwq-export.js';
import { outputSqnr } from '../../quant/output-sqnr.js';
import { writeFilesAtomic } from '../../fsutil.js';
import { parseBits, parseFirstLast, readOverrides } from '../../../sim/precision.js';
import { UserError, unknownChoice } from '../../errors.js';
import { PreprocessArgs, openModelData, preprocessOptions, withInputShape } from '../data-options.js';
import { firstLastOption, progressOption, wantProgress } from '../flags.js';
import { intOption, numberOption, parseIntArg, parseNumberArg } from '../numbers.js';
import { checkOutputs } from '../outputs.js';
import { stagedProgress } from '../progress.js';
import { formatTable } from '../table.js';

export interface QuantizeArgs extends PreprocessArgs {
  model: string;
  recipe?: string;
  'list-recipes'?: boolean;
  precision?: string;
  method: string;
  'weight-method'?: string;
  'act-method'?: string;
  calib?: string;
  labels?: string;
  'calib-size': number;
  seed: number;
  out: string;
  hwq?: string;
  'first-last': number | null;
  'layer-precisions'?: string;
  progress?: boolean;
  p: number;
  int4: boolean;
  'sqnr-images': number;
  batch: number;
  json?: boolean;
  'bias-correction'?: string;
  ecaq?: string;
  'lapq-kl': boolean;
  'lapq-evals': number;
  positions: number;
  damp: number;
  smooth?: string;
  'float-inputs': boolean;
  'act-fit': string;
  'qdq-form': string;
}

/** The flags' defaults, shared by the command line and quantizeFile. */
export const QUANTIZE_DEFAULTS = {
  method: 'tflite',
  'lapq-kl': false,
  'lapq-evals': 800,
  'calib-size': 256,
  seed: 0,
  'first-last': 8 as number | null,
  p: 2.4,
  int4: false,
  'sqnr-images': 16,
  batch: 16,
  positions: 12000,
  'act-fit': 'quantized',
  damp: 0,
  'float-inputs': false,
  'qdq-form': 'layers',
};

/** quantizeFile's options: the model, the output and the bit widths; every other flag may be left out. */
export type QuantizeFileOptions = Pick<QuantizeArgs, 'model' | 'out'> & Partial<Omit<QuantizeArgs, 'model' | 'out'>>;

/** 'a4w4' -> {a: 4, w: 4}; 'w4' -> weights only (the simulator's parser, which also allows w<W> here). */
export function parseQuantPrecision(text: string | undefined): { a: number | null; w: number } {
  if (text === undefined) throw new UserError('give the bit widths as --a<A>w<W> (e.g. --a4w4) or --w<W> for weights only (got none)');
  return parseBits(text, 'precision', true);
}

/** --smooth: a strength, or 'auto' (validated by the quantizer, which knows the other options it needs). */
function parseSmooth(text: string | undefined): number | 'auto' | undefined {
  if (text === undefined || text === 'auto') return text;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UserError(`--smooth '${text}' must be a strength in (0, 1] or 'auto'`);
  return n;
}

const dB = (x: number | undefined) => (x === undefined ? '' : Number.isFinite(x) ? x.toFixed(1) : 'inf');

export function formatQuantReport(rows: Array<LayerReport & { outputSqnrDb?: number }>): string {
  // the smoothing column only when --smooth ran: blank on layers it may not smooth, 'none' where it chose not to
  const smoothed = rows.some((r) => r.smoothAlpha !== undefined);
  return formatTable(
    [
      { header: 'layer' }, { header: 'kind' }, { header: 'bits', numeric: true }, { header: 'act', numeric: true }, { header: 'act scale', numeric: true },
      ...(smoothed ? [{ header: 'smooth', numeric: true }] : []), { header: 'w scale range', numeric: true }, { header: 'weight SQNR dB', numeric: true }, { header: 'output SQNR dB', numeric: true },
    ],
    rows.map((r) => [
      r.name, r.kind, `a${r.aBits ?? 'f'}w${r.wBits}`, r.aSigned === null ? 'float' : r.aSigned ? 'signed' : 'unsigned', r.aScale === null ? '' : r.aScale.toPrecision(4),
      ...(smoothed ? [r.smoothAlpha === undefined ? '' : r.smoothAlpha === null ? 'none' : String(r.smoothAlpha)] : []),
      `${r.wScaleMin.toPrecision(3)}..${r.wScaleMax.toPrecision(3)}`, dB(r.weightSqnrDb), dB(r.outputSqnrDb),
    ]),
  );
}

/** What quantizeFile wrote and measured (also the shape `hwq quantize --json` prints). */
export interface QuantizeFileResult {
  model: string;
  /** The quantized form the model file was in, when it was one (it was dequantized to float first). */
  dequantized: QuantizedFormat | null;
  out: string;
  hwq: string | null;
  /** Where the QDQ model quantizes activations (QDQ_FORMS). */
  qdqForm: QdqForm;
  precision: string | undefined;
  weightMethod: string;
  actMethod: string;
  calibrationImages: number;
  /** The recipe that ran: the named one (with any tuning flags applied), or the one the method flags resolve to. */
  recipe: Recipe;
  seconds: number;
  layers: Array<LayerReport & { outputSqnrDb?: number }>;
}

/**
 * `hwq quantize` as a function: quantizes opts.model, writes opts.out (QDQ ONNX) and opts.hwq when given, and
 * returns the per-layer report. Options are the command's flags by name; the ones left out take the command's
 * defaults. Bad options throw UserError.
 */
/** Flags that choose methods and passes: a recipe sets those itself, so they are refused beside --recipe. */
const METHOD_FLAGS = ['method', 'weight-method', 'act-method', 'bias-correction', 'ecaq', 'smooth', 'act-fit', 'float-inputs'] as const;

/** The named recipe with the tuning flags the user gave (--p, --damp, --lapq-evals, --lapq-kl) in place of its settings. */
function namedRecipe(name: string, given: Partial<QuantizeArgs>): Recipe {
  const recipe = findRecipe(name);
  const clash = METHOD_FLAGS.find((f) => given[f] !== undefined);
  if (clash) throw new UserError(`--recipe ${name} sets the methods and passes itself: drop --${clash}, or give the method flags without --recipe`);
  return tuneRecipe(recipe, { p: given.p, damp: given.damp, lapqEvals: given['lapq-evals'], lapqLabels: given['lapq-kl'] === undefined ? undefined : !given['lapq-kl'] });
}

export async function quantizeFile(opts: QuantizeFileOptions): Promise<QuantizeFileResult> {
  // flags left out (or undefined, as yargs passes the ones without a default) take the defaults
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as QuantizeFileOptions;
  const a: QuantizeArgs = { ...QUANTIZE_DEFAULTS, ...given };
  if (a.model === undefined) throw new UserError("missing argument: write 'hwq quantize <model>'");
  if (a.out === undefined) throw new UserError('missing required --out');
  // the command line checks these while parsing; programmatic callers get the same checks here
  for (const [name, min] of [['calib-size', 1], ['seed', 0], ['sqnr-images', 0], ['batch', 1], ['lapq-evals', 10], ['positions', 1]] as const) parseIntArg(name, a[name], min);
  if (a.workers !== undefined) parseIntArg('workers', a.workers, 0);
  parseNumberArg('p', a.p, { min: 0, minExclusive: true, max: 10 });
  parseNumberArg('damp', a.damp, { min: 0 });
  a['first-last'] = parseFirstLast(a['first-last']);
  const bits = parseQuantPrecision(a.precision);
  if (!ACT_FITS.includes(a['act-fit'] as ActFit)) throw unknownChoice('--act-fit', a['act-fit'], ACT_FITS);
  const biasCorrection = a['bias-correction'] === undefined ? undefined : a['bias-correction'] === '' ? 'weights' : (a['bias-correction'] as BiasCorrection);
  if (biasCorrection !== undefined && !BIAS_CORRECTIONS.includes(biasCorrection)) throw unknownChoice('--bias-correction', a['bias-correction']!, BIAS_CORRECTIONS);
  const ecaq = a.ecaq === undefined ? undefined : a.ecaq === '' ? 'all' : (a.ecaq as EcaqScope);
  if (ecaq !== undefined && !ECAQ_SCOPES.includes(ecaq)) throw unknownChoice('--ecaq', a.ecaq!, ECAQ_SCOPES);
  const qdqForm = a['qdq-form'] as QdqForm;
  if (!QDQ_FORMS.includes(qdqForm)) throw unknownChoice('--qdq-form', a['qdq-form'], QDQ_FORMS);
  if (qdqForm !== 'layers' && bits.a === null) {
    throw new UserError(`--qdq-form ${qdqForm} quantizes activations where the integer model holds codes; --${a.precision} quantizes weights only`);
  }
  if (!a.out.endsWith('.onnx')) throw new UserError(`--out '${a.out}' must name an .onnx file`);
  if (a.hwq !== undefined && !a.hwq.endsWith('.hwq')) throw new UserError(`--hwq '${a.hwq}' must name a .hwq file`);
  checkOutputs(
    [{ flag: 'out', path: a.out, kind: 'file' }, ...(a.hwq === undefined ? [] : [{ flag: 'hwq', path: a.hwq, kind: 'file' as const }])],
    [
      { what: 'the input model', path: a.model },
      ...(a.calib ? [{ what: 'the --calib data', path: a.calib }] : []),
      ...(a.labels ? [{ what: 'the --labels file', path: a.labels }] : []),
      ...(a['layer-precisions'] ? [{ what: 'the --layer-precisions file', path: a['layer-precisions'] }] : []),
    ],
  );
  const layerBits = a['layer-precisions'] === undefined ? undefined : readOverrides(a['layer-precisions']);
  const loaded = loadModel(a.model);
  const dequantized = quantizedFormat(loaded) ?? null;
  // An already-quantized file is quantized afresh from the float model it dequantizes to; 1-D convs as 2-D.
  const float = dequantized ? asFloat(loaded, a.model) : loaded;
  const model = withInputShape(hasConv1d(float) ? conv1dAs2d(float) : float, a, a.model);
  const input = modelInput(model);
  if (!input) throw new UserError(`${a.model} has no graph input`);
  const wMethod = a['weight-method'] ?? a.method;
  const dataMethod = wMethod === 'lapq' || (weightQuantizers({ p: a.p }).find((m) => m.name === wMethod)?.needsData ?? false);
  const fromFlags = given.recipe === undefined;
  const options: Omit<QuantizeOptions, 'calibration' | 'progress'> = {
    aBits: bits.a,
    wBits: bits.w,
    firstLast: a['first-last'],
    ...(layerBits ? { layerBits } : {}),
    weightMethod: wMethod,
    actMethod: a['act-method'] ?? a.method,
    methodOptions: { p: a.p, damp: a.damp },
    biasCorrection,
    ecaq,
    smooth: parseSmooth(a.smooth),
    lapq: { labels: !a['lapq-kl'], maxEvals: a['lapq-evals'] },
    reconstruction: { positions: a.positions, floatInputs: a['float-inputs'], seed: a.seed, actFit: a['act-fit'] as ActFit },
  };
  const recipe = fromFlags ? recipeFromOptions(options) : namedRecipe(given.recipe!, given);
  // a recipe's passes say themselves when they miss calibration images
  const needData = bits.a !== null || a['sqnr-images'] > 0 || !fromFlags || biasCorrection !== undefined || ecaq !== undefined || dataMethod;
  if (bits.a !== null && !a.calib) throw new UserError('activation quantization needs calibration images: pass --calib DIR (or --w<W> for weight-only)');
  if (fromFlags && (biasCorrection !== undefined || ecaq !== undefined || dataMethod) && !a.calib) {
    throw new UserError(`${biasCorrection !== undefined ? '--bias-correction' : ecaq !== undefined ? '--ecaq' : `--method ${a['weight-method'] ?? a.method}`}`
      + ' needs calibration images: pass --calib DIR');
  }
  let spec: InputSpec | undefined;
  let samples: Sample[] = [];
  // A model exported with a fixed batch dimension only accepts batches of that size: use it, in whole batches.
  const fixedBatch = fixedBatchOf(input);
  const batchSize = fixedBatch ?? a.batch;
  if (a.calib && needData) {
    const lapqLabels = [wMethod, a['act-method'] ?? a.method].includes('lapq') && !a['lapq-kl'];
    const needs = lapqLabels ? { what: "LAPQ's cross-entropy loss", orElse: '--lapq-kl' } : undefined;
    const calib = openModelData(a, input, a.model, a.calib, { labels: a.labels, limit: a['calib-size'], seed: a.seed }, needs);
    [spec, samples] = [calib.spec, calib.data.samples];
    if (fixedBatch !== undefined && samples.length > 0 && samples.length < fixedBatch) {
      throw new UserError(`${a.model} takes batches of exactly ${fixedBatch} images but --calib ${a.calib} gives ${samples.length}`);
    }
    if (fixedBatch !== undefined) samples = samples.slice(0, samples.length - (samples.length % fixedBatch));
  }
  const dims = (count: number) => inputDims(spec!, count);
  const bar = stagedProgress(wantProgress(a.progress));
  const t0 = Date.now();
  const { model: q, report } = await runRecipe(model, a.model, basename(a.model, '.onnx'), recipe, runFromOptions({
    ...options,
    calibration: spec ? { batches: () => batches(samples, spec!, { batchSize, workers: a.workers }), count: Math.ceil(samples.length / batchSize), inputDims: (b) => dims(b.count) } : undefined,
    progress: (s, d, t) => bar.update(s, d, t),
  }));
  bar.stop();
  const qdq = qdqModelOf(q, qdqForm, { int4: a.int4 });
  const rows: Array<LayerReport & { outputSqnrDb?: number }> = report.map((r) => ({ ...r }));
  if (spec && a['sqnr-images'] > 0) {
    const n = Math.min(a['sqnr-images'], samples.length);
    const part = samples.slice(0, n - (n % (fixedBatch ?? 1)));
    const sq = await outputSqnr(q.prepared, qdq, q.layers.map((l) => l.outputTensor), batches(part, spec, { batchSize, workers: a.workers }), (b) => dims(b.count));
    q.layers.forEach((l, i) => (rows[i].outputSqnrDb = sq.get(l.outputTensor)));
  }
  // Everything is computed before the first byte is written: a failure leaves no file behind.
  // Both files or neither: a failing --hwq write must not leave the --out model behind.
  writeFilesAtomic({ [a.out]: encodeModel(qdq), ...(a.hwq ? { [a.hwq]: writeHwq(q) } : {}) });
  return {
    model: a.model, dequantized, out: a.out, hwq: a.hwq ?? null, qdqForm, precision: a.precision, weightMethod: q.weightMethod, actMethod: q.actMethod,
    calibrationImages: samples.length, recipe, seconds: (Date.now() - t0) / 1000, layers: rows,
  };
}

/** --list-recipes: one row per recipe, its passes and what it is. */
export function formatRecipes(): string {
  return formatTable([{ header: 'recipe' }, { header: 'passes' }, { header: 'what it is' }], RECIPES.map((r) => [r.name, describePasses(r), r.describe]));
}

export const command: CommandModule<{}, QuantizeArgs> = {
  command: 'quantize [model]',
  describe: 'Post-training quantization of a float ONNX CNN: QDQ ONNX for onnxruntime and a .hwq integer model',
  builder: (y: Argv) =>
    preprocessOptions(y)
      .positional('model', { type: 'string', describe: 'float ONNX model' })
      .option('recipe', {
        type: 'string',
        requiresArg: true,
        describe: 'a named recipe of quantization passes (see --list-recipes); --p, --damp, --lapq-evals and --lapq-kl tune it, '
          + 'the method flags are refused beside it',
      })
      .option('list-recipes', { type: 'boolean', describe: 'list the named recipes and their passes (with --json: as JSON) and exit' })
      .option('precision', { type: 'string', describe: 'a<A>w<W>, or w<W> for weights only; also written --a4w4, --w4' })
      .option('method', {
        type: 'string',
        defaultDescription: QUANTIZE_DEFAULTS.method,
        describe: `method for weights and activations (weights: ${weightQuantizers({ p: 2 }).map((m) => m.name).join(', ')}; `
          + `activations: ${actQuantizers({ p: 2 }).map((m) => m.name).join(', ')}; `
          + "both: lapq, which also searches activation clips on another --weight-method's fixed weights). "
          + 'bitsplit and log use mse activations unless --act-method; kl and omse given as --method come with tflite and mse weights',
      })
      .option('lapq-kl', {
        type: 'boolean',
        defaultDescription: String(QUANTIZE_DEFAULTS['lapq-kl']),
        describe: 'LAPQ: minimize the KL divergence to the float model instead of the cross-entropy on the calibration labels',
      })
      .option('lapq-evals', intOption('lapq-evals', {
        min: 10,
        defaultDescription: String(QUANTIZE_DEFAULTS['lapq-evals']),
        describe: 'LAPQ: budget of loss evaluations (each runs the network on the calibration images)',
      }))
      .option('weight-method', { type: 'string', describe: 'weight method, overriding --method' })
      .option('act-method', { type: 'string', describe: 'activation method, overriding --method' })
      .option('calib', {
        type: 'string',
        describe: 'calibration images (class folders, labels CSV, wnid-named files or IDX), or .npy samples (a file or folder of them, for any model input)',
      })
      .option('labels', {
        type: 'string',
        describe: 'labels file for --calib when it needs one (for .npy samples: one class index per line, in file-name order; '
          + 'LAPQ without --lapq-kl needs them)',
      })
      .option('calib-size', intOption('calib-size', { min: 1, default: QUANTIZE_DEFAULTS['calib-size'], describe: 'calibration images (a seeded sample)' }))
      .option('seed', intOption('seed', { min: 0, default: QUANTIZE_DEFAULTS.seed, describe: 'seed of the calibration sample' }))
      .option('out', { type: 'string', requiresArg: true, describe: 'QDQ ONNX output file (missing folders are created)' })
      .option('hwq', { type: 'string', requiresArg: true, describe: 'also write the integer model (.hwq) for hwq sim and hwq rtl' })
      .option('qdq-form', {
        type: 'string',
        requiresArg: true,
        defaultDescription: QUANTIZE_DEFAULTS['qdq-form'],
        describe: `where the QDQ model quantizes activations (${QDQ_FORMS.join(', ')}): layers = the inputs of compute layers only, `
          + 'residual Adds, shortcuts and pools in float (the papers\' setting); integer = wherever the .hwq integer model holds codes, '
          + 'on its grids (the conv before a residual Add rounded to the Add\'s grid, the Add, the shortcut, the pool) with int32 biases, '
          + 'so onnxruntime computes what the integer accelerator computes up to rounding (QuantizeLinear rounds half to even, the '
          + 'accelerator\'s fixed-point requantization rounds twice); fixed-point = integer with each requantization spelled out in '
          + 'Round/Floor ops as the accelerator rounds it, so the logits equal the integer model\'s up to float32 sums',
      })
      .option('first-last', firstLastOption(QUANTIZE_DEFAULTS['first-last'] ?? 'none'))
      .option('layer-precisions', {
        type: 'string', requiresArg: true,
        describe: 'JSON file {"layer": "a4w4" | {"a":4,"w":4}} setting single layers\' bits (the file hwq sim reads; needs --a<A>w<W>)',
      })
      .option('p', numberOption('p', { min: 0, minExclusive: true, max: 10, defaultDescription: String(QUANTIZE_DEFAULTS.p), describe: 'exponent of the lp method' }))
      .option('int4', { type: 'boolean', default: QUANTIZE_DEFAULTS.int4, describe: 'store <= 4-bit weights as INT4 (opset 21)' })
      .option('sqnr-images', intOption('sqnr-images', { min: 0, default: QUANTIZE_DEFAULTS['sqnr-images'], describe: 'calibration images used for the per-layer output SQNR (0: skip)' }))
      .option('batch', intOption('batch', {
        min: 1,
        default: QUANTIZE_DEFAULTS.batch,
        describe: 'calibration batch size; the activation statistics subsample each batch, so it changes the clips slightly (the report scripts use 32)',
      }))
      .option('bias-correction', {
        type: 'string',
        describe: `correct each output channel's mean shift (${BIAS_CORRECTIONS.join(', ')}; the bare flag means weights): `
          + 'weights = the shift weight quantization causes, from the input means; '
          + "empirical = the layer's mean output through the quantized network against the float network's, layer by layer "
          + '(also removes what activation quantization shifts)',
      })
      .option('ecaq', {
        type: 'string',
        describe: 'Error Compensated Activation Quantization: per-input-channel activation scales folded into the weights '
          + `(${ECAQ_SCOPES.join(', ')}; the bare flag means all): all = every layer but the first; `
          + 'depthwise = only layers whose output channels each read one input channel, where the fold is exact',
      })
      .option('positions', intOption('positions', { min: 1, default: QUANTIZE_DEFAULTS.positions, describe: 'output positions sampled per layer by reconstruction methods (bitsplit, log)' }))
      .option('act-fit', {
        type: 'string',
        defaultDescription: QUANTIZE_DEFAULTS['act-fit'],
        describe: `how reconstruction methods treat activation quantization while fitting weights (${ACT_FITS.join(', ')}): `
          + 'quantized = each layer fitted to its quantized inputs; unquantized = to its inputs before its own quantizer; '
          + 'after = weights fitted with float activations, activation quantizers calibrated afterwards',
      })
      .option('damp', numberOption('damp', {
        min: 0,
        defaultDescription: String(QUANTIZE_DEFAULTS.damp),
        describe: 'reconstruction methods: pull the fit towards the float weights by this fraction of the mean diagonal '
          + 'of each layer\'s input Gram matrix (0: none)',
      }))
      .option('smooth', {
        type: 'string',
        describe: 'with --act-fit after: divide the inputs of layers reading many channels (not depthwise, not first/last) per channel '
          + 'by a^alpha / w^(1-alpha) (channel max |x| a, max |weight| w; SmoothQuant, alpha e.g. 0.5) and fold the scales into the weights '
          + "before the fit, so outlier channels stop setting the per-layer activation range; 'auto' picks alpha (or none) per layer "
          + 'by its output error with both sides quantized',
      })
      .option('float-inputs', {
        type: 'boolean',
        defaultDescription: String(QUANTIZE_DEFAULTS['float-inputs']),
        describe: 'reconstruction methods take each layer\'s input from the float network (as the Bit-split paper\'s code) instead of the partly quantized one',
      })
      .option('json', { type: 'boolean', describe: 'print the per-layer summary as JSON' })
      .option('progress', progressOption)
      .example('hwq quantize resnet20.onnx --a4w4 --method mse --calib data/cifar10/calib --out q.onnx --hwq q.hwq', '4-bit weights and activations, MSE clipping')
      .example('hwq quantize mobilenetv2.onnx --w4 --out w4.onnx', 'weight-only 4-bit (no calibration needed)')
      .example('hwq quantize mobilenetv2.onnx --a6w6 --recipe bitsplit-mnv2 --calib DIR --out q.onnx', 'the recipe of MobileNetV2\'s best A6W6 result') as unknown as Argv<QuantizeArgs>,
  handler: async (a) => {
    if (a['list-recipes']) {
      process.stdout.write(a.json ? JSON.stringify(RECIPES, null, 2) + '\n' : formatRecipes());
      return;
    }
    const r = await quantizeFile(a);
    if (a.json) {
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    } else {
      if (r.dequantized) process.stdout.write(`${r.model} is already quantized (${FORMAT_NAMES[r.dequantized]}): dequantized to its float model first\n`);
      process.stdout.write(formatQuantReport(r.layers));
      const form = r.qdqForm === QUANTIZE_DEFAULTS['qdq-form'] ? '' : ` (QDQ ${r.qdqForm} form)`;
      process.stdout.write(`\nwrote ${r.out}${form}${r.hwq ? ` and ${r.hwq}` : ''} (${r.layers.length} layers, weights ${r.weightMethod}, `
        + `activations ${r.actMethod}, ${r.calibrationImages} calibration images, ${r.seconds.toFixed(1)} s)\n`);
    }
  },
};

export default command;
