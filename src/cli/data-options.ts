// Image-data options shared by `hwq eval`, `hwq quantize` and `hwq compare`: which preprocessing, which
// labels, how many images. One definition so the commands accept the same flags with the same checks.
import type { Argv } from 'yargs';
import type { DataSet, OpenOptions } from '../data/dataset.js';
import { CHANNEL_ORDERS, PRESETS, PRESET_NAMES, outputChannels, resolvePreprocess, type ChannelOrder, type PreprocessSpec, type PresetName } from '../data/preprocess.js';
import { UserError } from '../errors.js';
import { workersOption } from './flags.js';
import { intOption, numberListOption, parseIntArg } from './numbers.js';

export interface PreprocessArgs {
  preprocess?: string;
  resize?: number;
  crop?: number;
  mean?: number[];
  std?: number[];
  channels?: string;
  workers?: number;
}

export function preprocessOptions<T>(y: Argv<T>) {
  return y
    .option('preprocess', { type: 'string', choices: PRESET_NAMES as unknown as string[], describe: 'preprocessing preset (default: the one matching the model input size)' })
    .option('resize', intOption('resize', { min: 1, describe: 'resize the shorter side to N pixels (bilinear) before cropping' }))
    .option('crop', intOption('crop', { min: 1, describe: 'center-crop N x N pixels' }))
    .option('mean', numberListOption('mean', 'per-channel mean on the [0, 1] scale, in output channel order'))
    .option('std', numberListOption('std', 'per-channel std on the [0, 1] scale, in output channel order'))
    .option('channels', { type: 'string', choices: CHANNEL_ORDERS as unknown as string[], describe: 'channel order fed to the model' })
    .option('workers', workersOption);
}

/** The preset whose output matches a model input of C x H x W, when exactly one does. */
export function presetForInput(chw: ReadonlyArray<number | string | undefined>): PresetName | undefined {
  const fits = (Object.keys(PRESETS) as PresetName[]).filter((p) => {
    const s = PRESETS[p];
    return chw[0] === outputChannels(s) && chw[1] === s.height && chw[2] === s.width;
  });
  return fits.length === 1 ? fits[0] : undefined;
}

export function resolvePreprocessArgs(a: PreprocessArgs, modelInput: ReadonlyArray<number | string | undefined>, modelName: string): PreprocessSpec {
  const preset = a.preprocess ?? presetForInput(modelInput);
  if (!preset) {
    throw new UserError(`no preprocessing preset matches model input ${modelInput.join('x')} (${modelName}); pass --preprocess (${PRESET_NAMES.join(', ')}) with --crop/--mean/--std as needed`);
  }
  const spec = resolvePreprocess(preset, { resize: a.resize, crop: a.crop, mean: a.mean, std: a.std, channels: a.channels as ChannelOrder | undefined });
  const want = [outputChannels(spec), spec.height, spec.width];
  if (modelInput.some((d, i) => typeof d === 'number' && d !== want[i])) {
    throw new UserError(`${modelName} expects input ${modelInput.join('x')} (CxHxW) but preprocessing '${spec.name}' produces ${want.join('x')}; choose a matching --preprocess`);
  }
  return spec;
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

/** One stderr line saying which images a subset holds, or undefined when every image is used. */
export function samplingNote(d: DataSet): string | undefined {
  const s = d.sampling;
  if (s.mode === 'stratified') return `sampled ${d.samples.length} of ${d.total} images, stratified over ${s.classes} classes, seed ${s.seed}`;
  if (s.mode === 'first') return `took the first ${d.samples.length} of ${d.total} images in sorted order (--first), covering ${s.sampledClasses} of ${s.classes} classes`;
  return undefined;
}

/** The sampling as --json reports it. */
export function samplingJson(d: Pick<DataSet, 'sampling' | 'total'>): { mode: string; seed: number | null; total: number; classes: number; sampledClasses: number } {
  const s = d.sampling;
  return { mode: s.mode, seed: s.seed, total: d.total, classes: s.classes, sampledClasses: s.sampledClasses };
}
