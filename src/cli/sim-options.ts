// Options shared by `hwq sim` and `hwq sweep`: how the precision of each layer is chosen and which
// simulator model runs. One definition so both commands accept and check the same flags.
import type { Argv } from 'yargs';
import { HwConfig } from '../../hw/config.js';
import { ComputeLayer, Network, Precision } from '../model/ir.js';
import { NetworkSimResult, SimModelName } from '../../sim/types.js';
import { PrecisionOptions, planPrecisions, parsePrecision, readOverrides } from '../../sim/precision.js';
import { simulateNetworkSteps } from '../../sim/simulate.js';
import { simulateRefSteps } from '../../sim/ref/bitfusion-ref.js';
import { finishSteps } from '../../sim/steps.js';
import { unknownChoice, UserError } from '../errors.js';
import { configOption, firstLastOption, progressOption } from './flags.js';
import { inputShapeOption } from './input-shape.js';
import { intOption } from './numbers.js';

export const SIM_MODELS: SimModelName[] = ['cycle', 'bitfusion-ref'];

export interface CommonSimArgs {
  config?: string;
  batch: number;
  'first-last': number | null;
  'layer-precisions'?: string;
  model: string;
  progress?: boolean;
  'input-shape'?: number[];
}

export const DEFAULT_CONFIG = 'bitfusion-8x8';

/** `configDefault: false` leaves --config unset when not given (sweep also takes --configs). */
export function commonSimOptions<T>(y: Argv<T>, configDefault: string | false = DEFAULT_CONFIG) {
  return y
    .option('config', configOption(configDefault || DEFAULT_CONFIG, configDefault ? 'default' : 'described'))
    .option('batch', intOption('batch', { min: 1, default: 1, describe: 'Batch size' }))
    .option('first-last', firstLastOption('none'))
    .option('layer-precisions', { type: 'string', requiresArg: true, describe: 'JSON file {"layer": "a4w4" | {"a":4,"w":4}} overriding single layers' })
    .option('model', { type: 'string', default: 'cycle', choices: SIM_MODELS, describe: 'cycle: the cycle-accurate array model; bitfusion-ref: the published Bit Fusion analytic simulator' })
    .option('progress', progressOption)
    .option('input-shape', {
      ...inputShapeOption, describe: 'An .onnx model\'s input dims per sample, CxHxW (e.g. 3x224x224): for models exported with symbolic H and W',
    });
}

export function precisionOptions(args: CommonSimArgs, uniform: Precision | undefined): PrecisionOptions {
  return {
    uniform,
    firstLast: args['first-last'] ?? undefined,
    overrides: args['layer-precisions'] ? readOverrides(args['layer-precisions']) : undefined,
  };
}

/** One simulation, a layer at a time (sim/steps.ts): network x config x precision setting, with the chosen simulator model. */
export function simulationSteps(net: Network, cfg: HwConfig, model: string, batch: number, popts: PrecisionOptions): Generator<number, NetworkSimResult> {
  if (!SIM_MODELS.includes(model as SimModelName)) throw unknownChoice('simulator model', model, SIM_MODELS);
  if (!Number.isInteger(batch) || batch < 1) throw new UserError(`--batch ${batch} must be a positive integer`);
  const plan = planPrecisions(net, popts);
  const of = (l: ComputeLayer, i: number) => plan.of(l, i);
  if (model === 'bitfusion-ref') return withLabel(simulateRefSteps(net, cfg, { batch, precisionOf: of }), plan.label);
  return simulateNetworkSteps(net, cfg, { batch, precisionOf: of, precisionLabel: plan.label });
}

function* withLabel(steps: Generator<number, NetworkSimResult>, precision: string): Generator<number, NetworkSimResult> {
  const r = yield* steps;
  return { ...r, precision };
}

export function runSimulation(net: Network, cfg: HwConfig, model: string, batch: number, popts: PrecisionOptions): NetworkSimResult {
  return finishSteps(simulationSteps(net, cfg, model, batch, popts));
}

export function parsePrecisionList(text: string): Precision[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UserError('--precisions is empty: give a list such as a8w8,a8w4,a4w4');
  const list = items.map((s) => parsePrecision(s, 'precision'));
  refuseRepeats('--precisions', list.map((p) => `a${p.a}w${p.w}`));
  return list;
}

/**
 * A sweep axis that names one thing twice would print rows that cannot be told apart (or, for configs with
 * the same name, rows that claim to be one design): refused, naming the repeat.
 */
export function refuseRepeats(what: string, labels: string[]): void {
  const seen = new Set<string>();
  for (const l of labels) {
    if (seen.has(l)) throw new UserError(`${what} names '${l}' twice: give each once`);
    seen.add(l);
  }
}
