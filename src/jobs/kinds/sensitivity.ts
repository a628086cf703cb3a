// 'sensitivity': one column of co-design's sensitivity table (src/codesign/sensitivity.ts): the model quantized by
// the recipe at one candidate precision, then each layer alone at it run on the held-out images -> the damage of
// every layer, in the network's order. A campaign sends one job per candidate and puts the columns side by side.
import type { Precision } from '../../model/ir.js';
import { sampleDims } from '../../data/input-spec.js';
import { measureSensitivity } from '../../codesign/sensitivity.js';
import { type DataRef, type Job, makeJob, registerJob } from '../job.js';
import { decodedBatches } from '../data-ref.js';
import { type QuantizerInputs, type QuantizerSpec, quantizerSetup, quantizerSpec } from './quantizer-input.js';

export const SENSITIVITY = 'sensitivity';

export interface SensitivitySpec extends QuantizerSpec {
  precision: Precision;
  /** Held-out images (never the calibration ones), fed as `input` says in runs of `batchSize`. */
  heldOut: DataRef;
}

export interface SensitivityResult {
  /** Compute layers, in the network's order. */
  layers: string[];
  /** Mean KL divergence per held-out image of the network with each layer alone at the precision, in nats. */
  damage: number[];
  images: number;
}

async function sensitivity(s: SensitivitySpec): Promise<SensitivityResult> {
  const { source, what, run } = await quantizerSetup(s);
  const heldOut = await decodedBatches(s.heldOut, s.input, s.batchSize);
  const t = await measureSensitivity({
    source, what, name: s.name, recipe: s.recipe, candidates: [s.precision], run, heldOut, imageDims: sampleDims(s.input),
  });
  return { layers: t.layers, damage: t.damage.map((row) => row[0]), images: t.images };
}

export const sensitivityKind = registerJob<SensitivitySpec, SensitivityResult>({ kind: SENSITIVITY, run: sensitivity });

export type SensitivityInputs = QuantizerInputs<SensitivitySpec>;

/** A 'sensitivity' job; `name` defaults to the model file's base name without .onnx. */
export function sensitivityJob(s: SensitivityInputs): Job<SensitivitySpec> {
  return makeJob<SensitivitySpec>(SENSITIVITY, quantizerSpec<SensitivitySpec>(s));
}
