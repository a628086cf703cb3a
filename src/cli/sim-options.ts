// Options shared by `hwq sim` and `hwq sweep`: how the precision of each layer is chosen and which
// simulator model runs. One definition so both commands accept and check the same flags.
import type { Argv } from 'yargs';
import { HwConfig } from '../../hw/config.js';
import { ComputeLayer, Network, Precision } from '../model/ir.js';
import { NetworkSimResult, SimModelName } from '../../sim/types.js';
import { PrecisionOptions, planPrecisions, parsePrecision, readOverrides } from '../../sim/precision.js';
import { simulateNetwork } from '../../sim/simulate.js';
import { simulateRef } from '../../sim/ref/bitfusion-ref.js';
import { unknownChoice, UserError } from '../errors.js';

export const SIM_MODELS: SimModelName[] = ['cycle', 'bitfusion-ref'];

export interface CommonSimArgs {
  config: string;
  batch: number;
  'first-last'?: number;
  'layer-precisions'?: string;
  model: string;
}

export function commonSimOptions<T>(y: Argv<T>) {
  return y
    .option('config', { type: 'string', default: 'bitfusion-8x8', describe: 'Hardware preset (bitfusion-asic, bitfusion-8x8, vc709) or a .json config file' })
    .option('batch', { type: 'number', default: 1, describe: 'Batch size' })
    .option('first-last', { type: 'number', describe: 'Keep the first and last compute layer at this many bits (the quantizer keeps 8)' })
    .option('layer-precisions', { type: 'string', describe: 'JSON file {"layer": "a4w4" | {"a":4,"w":4}} overriding single layers' })
    .option('model', { type: 'string', default: 'cycle', choices: SIM_MODELS, describe: 'cycle: the cycle-accurate array model; bitfusion-ref: the published Bit Fusion analytic simulator' });
}

export function precisionOptions(args: CommonSimArgs, uniform: Precision | undefined): PrecisionOptions {
  return {
    uniform,
    firstLast: args['first-last'],
    overrides: args['layer-precisions'] ? readOverrides(args['layer-precisions']) : undefined,
  };
}

/** One simulation: network x config x precision setting, with the chosen simulator model. */
export function runSimulation(net: Network, cfg: HwConfig, model: string, batch: number, popts: PrecisionOptions): NetworkSimResult {
  if (!SIM_MODELS.includes(model as SimModelName)) throw unknownChoice('simulator model', model, SIM_MODELS);
  if (!Number.isInteger(batch) || batch < 1) throw new UserError(`--batch ${batch} must be a positive integer`);
  const plan = planPrecisions(net, popts);
  const of = (l: ComputeLayer, i: number) => plan.of(l, i);
  if (model === 'bitfusion-ref') {
    const r = simulateRef(net, cfg, { batch, precisionOf: of });
    return { ...r, precision: plan.label };
  }
  return simulateNetwork(net, cfg, { batch, precisionOf: of, precisionLabel: plan.label });
}

export function parsePrecisionList(text: string): Precision[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UserError('--precisions is empty: give a list such as a8w8,a8w4,a4w4');
  return items.map((s) => parsePrecision(s, 'precision'));
}
