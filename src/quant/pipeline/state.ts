// The one state every pass takes and returns: the prepared model and its layers, the run's bit widths and data,
// the layers quantized so far with their report rows, and what earlier passes left for later ones.
import type { ModelProto } from '../../onnx/proto.js';
import type { Batch } from '../../data/batches.js';
import type { ActStats } from '../act-stats.js';
import type { LayerFigures } from '../figures.js';
import type { LayerSite } from '../prepare.js';
import type { QuantLayer, QuantModel } from '../types.js';
import type { EcaqScope, PassSpec, Recipe } from './spec.js';

/** What a run quantizes with, apart from the recipe: bit widths, calibration data, sampling. */
export interface QuantRun {
  /** Activation bits, or null for weight-only quantization (float activations). */
  aBits: number | null;
  wBits: number;
  /** First and last layer at this many bits (null: no exception). */
  firstLast: number | null;
  /** Calibration batches (needed by every pass that looks at data), how many, and their input dims. */
  calibration?: { batches: () => AsyncIterable<Batch>; count: number; inputDims: (b: Batch) => number[] };
  /** Activation values kept per tensor by the statistics. */
  sampleCap?: number;
  /** Layer-by-layer passes: output positions sampled per layer, and the seed of their draw. */
  positions?: number;
  seed?: number;
  progress?: (stage: string, done: number, total: number) => void;
  /** Activation and weight bits of single layers by IR layer name, over the uniform and first/last widths (the
   *  format `hwq sim --layer-precisions` reads): any per-layer mix, e.g. one a precision search chose. */
  layerBits?: Readonly<Record<string, { a: number; w: number }>>;
}

export interface LayerReport extends LayerFigures {
  name: string;
  kind: string;
  wBits: number;
  aBits: number | null;
  aSigned: boolean | null;
  /** The smoothing strength applied to the layer's input (null: none), on the layers --smooth may smooth. */
  smoothAlpha?: number | null;
}

/** Expected value of the input that weight element d of output channel c reads (bias correction). */
export type MeanOf = (c: number, d: number) => number;

export interface QuantState {
  source: ModelProto;
  what: string;
  name: string;
  recipe: Recipe;
  run: QuantRun;
  prepared: ModelProto;
  sites: LayerSite[];
  /** The calibrate pass: activation statistics of the float network per layer input tensor. */
  stats?: Map<string, ActStats>;
  /** Passes that act inside the weights pass's fit (smooth, ECAQ before the weights). */
  inFit: { smooth?: number | 'auto'; ecaq?: EcaqScope };
  /** ECAQ after the fit: the activation-clip pass gives the depthwise layers per-channel scales. */
  ecaqAfter?: boolean;
  /** The quantized layers (empty until the weights pass), their report rows, and each layer's input means where
   *  the weights pass measured them (for passes that re-round the weights with bias correction). */
  layers: QuantLayer[];
  report: LayerReport[];
  meanOf: Array<MeanOf | undefined>;
  /** The method names the exported model records. */
  weightMethod: string;
  actMethod: string;
}

/** Bit widths of layer i: its own entry in layerBits, else the first/last rule, else the uniform widths. */
export function bitsOf(st: QuantState, i: number): { a: number | null; w: number } {
  const { run } = st;
  const own = run.layerBits?.[st.sites[i].name];
  if (own) return { a: run.aBits === null ? null : own.a, w: own.w };
  const edge = run.firstLast !== null && (i === 0 || i === st.sites.length - 1);
  return { w: edge ? run.firstLast! : run.wBits, a: run.aBits === null ? null : edge ? run.firstLast! : run.aBits };
}

/** Where a pass of this kind sits in the recipe (-1: absent). */
export function passIndex(recipe: Recipe, pass: PassSpec['pass']): number {
  return recipe.passes.findIndex((p) => p.pass === pass);
}

export const DEFAULT_POSITIONS = 12000;
export const DEFAULT_SAMPLE_CAP = 1 << 20;

/** The reconstruction driver's sampling of a run. */
export function sampling(run: QuantRun, floatInputs: boolean): { positions: number; floatInputs: boolean; seed: number } {
  return { positions: run.positions ?? DEFAULT_POSITIONS, floatInputs, seed: run.seed ?? 0 };
}

/** Values kept per channel for depthwise ECAQ after the fit and the output-error clip (omse): enough for a
 *  histogram clip search; MobileNetV2's 7,136 depthwise input channels then hold 223 MiB, the 17,059 input
 *  channels of all its layers (omse after the fit) 533 MiB. */
export const CHANNEL_SAMPLES = 8192;

/** The passes' static checks see the recipe around them and the run, before any pass does work. */
export interface PassContext {
  recipe: Recipe;
  /** This pass's position in recipe.passes. */
  index: number;
  run: QuantRun;
}

export interface PassDef<S extends PassSpec> {
  check(spec: S, ctx: PassContext): void;
  apply(state: QuantState, spec: S): Promise<QuantState>;
  /** True when the state the pass leaves does not depend on the activation bit widths (only on whether there are
   *  any): runs that differ in nothing else share it (runRecipes). Absent: it depends on them. */
  actBitsFree?(spec: S, ctx: Omit<PassContext, 'run'>): boolean;
}

/** The export step: the quantized model the QDQ and .hwq writers take. */
export function exportModel(st: QuantState): QuantModel {
  return { source: st.what, name: st.name, weightMethod: st.weightMethod, actMethod: st.actMethod, layers: st.layers, prepared: st.prepared };
}
