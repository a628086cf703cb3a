// Data options shared by `hwq eval`, `hwq quantize` and `hwq compare`: which preprocessing, which layout, which
// labels, how many samples, and how a model's input is read (images, or .npy tensors for any input). One
// definition so the commands accept the same flags with the same checks.
import type { Argv } from 'yargs';
import { checkDataPath, openDataSet, type DataSet, type OpenOptions } from '../data/dataset.js';
import { isImageName } from '../data/image.js';
import { sampleDimsOption, type InputSpec, type TensorSpec } from '../data/input-spec.js';
import { detectLayout, fixInputDims, modelInput, type Dim, type ModelInput } from '../data/model-input.js';
import { NPY_LABELS_REMEDY, isNpyData } from '../data/npy-dataset.js';
import {
  CHANNEL_ORDERS, PRESETS, PRESET_NAMES, TENSOR_LAYOUTS, outputChannels, resolvePreprocess,
  type ChannelOrder, type PreprocessSpec, type PresetName, type TensorLayout,
} from '../data/preprocess.js';
import { UserError, unknownChoice } from '../errors.js';
import type { IModelProto } from '../onnx/proto.js';
import { workersOption } from './flags.js';
import { checkInputShape, inputShapeOption } from './input-shape.js';
import { intOption, numberListOption, parseIntArg } from './numbers.js';

export interface PreprocessArgs {
  preprocess?: string;
  resize?: number;
  /** A side N, or what --crop parsed: a height and width. */
  crop?: number | string | CropSize;
  mean?: number[];
  std?: number[];
  channels?: string;
  workers?: number;
  layout?: string;
  'input-shape'?: number[];
}

interface CropSize {
  height: number;
  width: number;
}

export function preprocessOptions<T>(y: Argv<T>) {
  return y
    .option('preprocess', {
      type: 'string', choices: PRESET_NAMES as unknown as string[],
      describe: 'preprocessing preset: channel order, mean/std and, for a model input of its size, resize and crop '
        + '(default: the one matching the model input size)',
    })
    .option('resize', intOption('resize', { min: 1, describe: 'resize the shorter side to N pixels (bilinear) before cropping' }))
    .option('crop', {
      type: 'string', requiresArg: true, coerce: parseCrop,
      describe: "center-crop N x N pixels, or H x W given as HxW (default: the model input's H x W; a size the preset does not produce, "
        + 'square or not, is reached by scaling each image to the smallest size that covers it, then center-cropping)',
    })
    .option('mean', numberListOption('mean', 'per-channel mean on the [0, 1] scale, in output channel order'))
    .option('std', numberListOption('std', 'per-channel std on the [0, 1] scale, in output channel order'))
    .option('channels', { type: 'string', choices: CHANNEL_ORDERS as unknown as string[], describe: 'channel order fed to the model' })
    .option('layout', {
      type: 'string', requiresArg: true, coerce: parseLayout,
      describe: `how images are laid out for the model: ${TENSOR_LAYOUTS.join(' or ')} (default: nhwc when the input goes straight into a `
        + 'Transpose to NCHW, as TensorFlow exports do, or its last dim is 1, 3 or 4 and its first is not; else nchw)',
    })
    .option('input-shape', {
      ...inputShapeOption,
      describe: "the model input's dims per sample in its own order (e.g. 3x240x320), for models exported with symbolic dims",
    })
    .option('workers', workersOption);
}

/** --crop: 'N' or 'HxW', positive integers (a number from programmatic callers is a side). */
export function parseCrop(raw: unknown): CropSize | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw new UserError(`--crop is given more than once: give it once`);
  if (typeof raw === 'object' && raw !== null) return raw as CropSize;
  const text = String(raw).trim();
  const m = /^(\d+)(?:x(\d+))?$/i.exec(text);
  const [h, w] = m ? [Number(m[1]), Number(m[2] ?? m[1])] : [0, 0];
  if (!m || h < 1 || w < 1) throw new UserError(`--crop '${text}' must be an integer >= 1 or a height and width HxW (e.g. 224 or 240x320)`);
  return { height: h, width: w };
}

export function parseLayout(raw: unknown): TensorLayout | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw new UserError(`--layout is given more than once: give it once`);
  const text = String(raw).trim().toLowerCase();
  if (!(TENSOR_LAYOUTS as readonly string[]).includes(text)) throw unknownChoice('--layout', String(raw), TENSOR_LAYOUTS);
  return text as TensorLayout;
}

/** The preset whose output matches a model input of C x H x W, when exactly one does. */
export function presetForInput(chw: ReadonlyArray<Dim>): PresetName | undefined {
  const fits = (Object.keys(PRESETS) as PresetName[]).filter((p) => {
    const s = PRESETS[p];
    return chw[0] === outputChannels(s) && chw[1] === s.height && chw[2] === s.width;
  });
  return fits.length === 1 ? fits[0] : undefined;
}

const dimsText = (ds: ReadonlyArray<Dim>): string => ds.map((d) => d ?? '?').join('x');

/** C x H x W -> the model's order. */
const inOrder = <D>(chw: readonly D[], layout: TensorLayout): D[] => (layout === 'nhwc' ? [chw[1], chw[2], chw[0]] : chw.slice());

/**
 * The preprocessing for an image input of C x H x W (`modelInput`, in channels-first order whatever `layout`).
 * The preset gives the channel order and statistics; the output size is --crop, else the model's H x W. A size
 * the preset does not produce is reached by scaling each image to the smallest size covering it (up or down,
 * keeping the aspect ratio; --resize instead resizes the shorter side), then center-cropping. A model whose
 * input is another preset's own size is refused rather than resized (--crop states the size on purpose).
 */
export function resolvePreprocessArgs(a: PreprocessArgs, modelInput: ReadonlyArray<Dim>, modelName: string, layout: TensorLayout = 'nchw'): PreprocessSpec {
  const order = layout === 'nhwc' ? 'HxWxC' : 'CxHxW';
  const preset = a.preprocess ?? presetForInput(modelInput);
  if (!preset) {
    const shown = `${dimsText(inOrder(modelInput, layout))}${layout === 'nhwc' ? ` (${order})` : ''}`;
    const presets = PRESET_NAMES.join(', ');
    const how = `pass --preprocess (${presets}) with --crop/--mean/--std as needed`;
    throw new UserError(`no preprocessing preset matches model input ${shown} (${modelName}); ${how}`);
  }
  const base = PRESETS[preset as PresetName];
  const crop = parseCrop(a.crop);
  const [h, w] = [modelInput[1], modelInput[2]];
  // A model of some preset's own size given another preset is most likely a slip: refused below, not resized.
  const own = presetForInput(modelInput);
  const follows = base && (own === undefined || own === preset) && typeof h === 'number' && typeof w === 'number';
  const modelSize = follows && (h !== base.height || w !== base.width) ? { height: h, width: w } : undefined;
  const resize = a.resize ?? (crop === undefined && modelSize ? 'cover' : undefined);
  const channels = a.channels as ChannelOrder | undefined;
  const spec = resolvePreprocess(preset, { resize, crop: crop ?? modelSize, mean: a.mean, std: a.std, channels, layout });
  const userSet = [a.resize, a.crop, a.mean, a.std, a.channels].some((v) => v !== undefined);
  if (modelSize && !userSet) spec.name = `${preset} at ${modelSize.height}x${modelSize.width}`;
  const want = [outputChannels(spec), spec.height, spec.width];
  if (modelInput.some((d, i) => typeof d === 'number' && d !== want[i])) {
    const produced = inOrder(want, layout).join('x');
    const expects = `${dimsText(inOrder(modelInput, layout))} (${order})`;
    throw new UserError(`${modelName} expects input ${expects} but preprocessing '${spec.name}' produces ${produced}; choose a matching --preprocess`);
  }
  return spec;
}

/** Flags that only mean something for images. */
const IMAGE_FLAGS = ['preprocess', 'resize', 'crop', 'mean', 'std', 'channels', 'layout'] as const;

/**
 * What the model input is fed from `dataPath`: .npy tensors of its per-sample dims when the data is .npy, else
 * images preprocessed for it, laid out as --layout says or as detected (src/data/model-input.ts). --input-shape
 * fills symbolic dims and must agree with the fixed ones.
 */
export function resolveInputSpec(a: PreprocessArgs, input: ModelInput, modelPath: string, dataPath: string): InputSpec {
  checkDataPath(dataPath);
  const given = a['input-shape'];
  const sample: Dim[] = given ? checkInputShape(input, given, modelPath) : input.dims ? input.dims.slice(1) : [undefined, undefined, undefined];
  if (isNpyData(dataPath, isImageName)) {
    const flag = IMAGE_FLAGS.find((f) => a[f] !== undefined);
    if (flag) throw new UserError(`--${flag} applies to images, but '${dataPath}' holds .npy arrays, which are fed to the model as they are`);
    const what = `model '${modelPath}' input '${input.name}'`;
    if (!input.dims && !given) throw new UserError(`${what} states no shape: pass --input-shape with its dims per sample to read .npy samples`);
    if (sample.some((d) => typeof d !== 'number')) {
      throw new UserError(`${what} has symbolic dims per sample (${dimsText(sample)}): pass --input-shape with their sizes to read .npy samples`);
    }
    return { kind: 'tensor', name: 'npy', dims: sample as number[] } satisfies TensorSpec;
  }
  if (sample.length !== 3) {
    const takes = dimsText(sample) || 'a scalar';
    const what = `model '${modelPath}' input '${input.name}'`;
    throw new UserError(`${what} takes ${takes} per sample, not an image (C x H x W or H x W x C): give its samples as .npy files`);
  }
  const layout = parseLayout(a.layout) ?? detectLayout(sample, input.transposedToNchw);
  const chw = layout === 'nhwc' ? [sample[2], sample[0], sample[1]] : sample;
  return resolvePreprocessArgs(a, chw, `model '${modelPath}'`, layout);
}

/**
 * The model with --input-shape applied to its data input (checked against the dims it fixes), for commands that
 * hand the graph itself on (quantize: the .hwq network and reconstruction read its shapes). Without the flag,
 * the model as it is.
 */
export function withInputShape<M extends IModelProto>(model: M, a: Pick<PreprocessArgs, 'input-shape'>, modelPath: string): M {
  const given = a['input-shape'];
  const input = modelInput(model);
  if (!given || !input) return model;
  return fixInputDims(model, input.name, checkInputShape(input, given, modelPath));
}

/** Who needs labels, when unlabelled .npy samples are to be refused, and what else the user could do. */
export interface LabelsNeed {
  what: string;
  orElse?: string;
}

/**
 * Opens the data a model is fed, with the spec it is fed through. `labelsFor`: given when labels are needed
 * (accuracy needs them; calibration mostly does not), to refuse unlabelled .npy samples.
 */
export function openModelData(
  a: PreprocessArgs, input: ModelInput, modelPath: string, dataPath: string, o: OpenOptions, labelsFor?: LabelsNeed,
): { spec: InputSpec; data: DataSet } {
  const spec = resolveInputSpec(a, input, modelPath, dataPath);
  const data = openDataSet(dataPath, { ...o, ...sampleDimsOption(spec) });
  if (labelsFor && data.unlabelled) {
    const orElse = labelsFor.orElse ? `, or ${labelsFor.orElse}` : '';
    throw new UserError(`${labelsFor.what} needs labels but the .npy samples in '${dataPath}' have none: ${NPY_LABELS_REMEDY}${orElse}`);
  }
  return { spec, data };
}

export interface SampleArgs {
  limit?: number;
  first?: number;
  seed?: number;
}

/** --limit/--first/--seed of the commands that measure accuracy (eval, compare). */
export function sampleOptions<T>(y: Argv<T>) {
  return y
    .option('limit', intOption('limit', { min: 1, describe: 'use N images: a seeded random sample stratified over the classes (each class an equal share), see --seed' }))
    .option('first', intOption('first', { min: 1, describe: "use the first N images in sorted order instead of --limit's sample (on class folders: the first classes only)" }))
    .option('seed', intOption('seed', { min: 0, max: 0xffffffff, describe: 'seed of the --limit sample (default 0)' }));
}

/** The command line checks these while parsing; programmatic callers get the same check here. */
function countArg(flag: string, v: number | undefined, min: number, max?: number): number | undefined {
  return v === undefined ? undefined : parseIntArg(flag, v, min, max);
}

/** The openDataSet options the flags ask for; conflicting flags are refused rather than one silently ignored. */
export function samplingFromArgs(a: SampleArgs): Pick<OpenOptions, 'limit' | 'seed' | 'stratify'> {
  const limit = countArg('limit', a.limit, 1);
  const first = countArg('first', a.first, 1);
  const seed = countArg('seed', a.seed, 0, 0xffffffff);
  if (limit !== undefined && first !== undefined) {
    throw new UserError(`give --limit ${limit} (a random sample stratified over the classes) or --first ${first} (the first images in sorted order), not both`);
  }
  if (seed !== undefined && limit === undefined) {
    throw new UserError(`--seed ${seed} chooses the --limit sample; ${first !== undefined ? '--first takes the first images in sorted order and has no seed' : 'add --limit N'}`);
  }
  if (first !== undefined) return { limit: first };
  return limit === undefined ? {} : { limit, seed: seed ?? 0, stratify: true };
}

/** What a data set's samples are called in messages. */
export const sampleNoun = (d: Pick<DataSet, 'layout'>): string => (d.layout === 'npy' ? 'samples' : 'images');

/** One stderr line saying which images a subset holds, or undefined when every image is used. */
export function samplingNote(d: DataSet): string | undefined {
  const s = d.sampling;
  const noun = sampleNoun(d);
  if (s.mode === 'stratified') return `sampled ${d.samples.length} of ${d.total} ${noun}, stratified over ${s.classes} classes, seed ${s.seed}`;
  if (s.mode === 'first') {
    return `took the first ${d.samples.length} of ${d.total} ${noun} in sorted order (--first), covering ${s.sampledClasses} of ${s.classes} classes`;
  }
  return undefined;
}

/** The sampling as --json reports it. */
export function samplingJson(d: Pick<DataSet, 'sampling' | 'total'>): { mode: string; seed: number | null; total: number; classes: number; sampledClasses: number } {
  const s = d.sampling;
  return { mode: s.mode, seed: s.seed, total: d.total, classes: s.classes, sampledClasses: s.sampledClasses };
}
