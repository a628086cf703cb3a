// Image-data options shared by `hwq eval`, `hwq quantize` and `hwq compare`: which preprocessing, which
// labels, how many images. One definition so the commands accept the same flags with the same checks.
import type { Argv } from 'yargs';
import { CHANNEL_ORDERS, PRESETS, PRESET_NAMES, outputChannels, resolvePreprocess, type ChannelOrder, type PreprocessSpec, type PresetName } from '../data/preprocess.js';
import { UserError } from '../errors.js';
import { workersOption } from './flags.js';
import { intOption, numberListOption } from './numbers.js';

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
