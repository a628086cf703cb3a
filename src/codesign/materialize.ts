// A chosen precision mix made real: the network quantized by the recipe with those per-layer precisions (the QDQ
// model onnxruntime runs and the .hwq integer model), its accuracy on the evaluation images with each image's top-1
// hit (for the paired standard error against the float model), and the .hwq simulated on a config as `hwq sim`
// would. Quantized files and accuracies are cached under content keys of everything they depend on.
import type { HwConfig } from '../../hw/config.js';
import type { Batch } from '../data/batches.js';
import type { ModelProto } from '../onnx/proto.js';
import type { Precision } from '../model/ir.js';
import type { Recipe } from '../quant/pipeline/spec.js';
import type { QuantRun } from '../quant/pipeline/state.js';
import { runRecipes } from '../quant/pipeline/run.js';
import { toQdqBytes } from '../quant/qdq.js';
import { writeHwq } from '../quant/hwq-export.js';
import { readHwq } from '../intmodel/format.js';
import { planPrecisions } from '../../sim/precision.js';
import { simulateNetwork } from '../../sim/simulate.js';
import { type Accuracy, accuracy } from '../experiments/cached-eval.js';
import type { ImageChunk } from '../quant/lapq/evaluator.js';
import { type KeyPart, cached, contentKey, readCachedFiles, writeCachedFiles } from './cache.js';
import { type SensitivityTable, measureSensitivity } from './sensitivity.js';

export interface QuantizeSetup {
  source: ModelProto;
  what: string;
  name: string;
  recipe: Recipe;
  /** The quantizer's run settings (calibration, positions, seed); the bit widths come from each mix. */
  run: Omit<QuantRun, 'aBits' | 'wBits' | 'firstLast' | 'layerBits'>;
  /** Key parts of everything the quantizer reads besides the precisions (model, calibration data, recipe, seed). */
  key: KeyPart[];
  /** null: no cache. */
  cacheDir: string | null;
}

export interface QuantizedMix {
  hwq: Uint8Array;
  qdq: Uint8Array;
  /** True when the files came from the cache. */
  hit: boolean;
}

const FILES = ['hwq', 'onnx'];
const asKey = (bits: Readonly<Record<string, Precision>>): KeyPart => Object.fromEntries(Object.entries(bits).map(([k, p]) => [k, `a${p.a}w${p.w}`]));

/** The network quantized with `layerBits` (every compute layer named). */
export async function quantizeMix(s: QuantizeSetup, layerBits: Readonly<Record<string, Precision>>): Promise<QuantizedMix> {
  return (await quantizeMixes(s, [layerBits]))[0];
}

/**
 * The network quantized with each mix: those in the cache read, the others run together (mixes with the same weight
 * widths share the passes that do not read activation widths), each stored as soon as it is done.
 */
export async function quantizeMixes(
  s: QuantizeSetup, mixes: ReadonlyArray<Readonly<Record<string, Precision>>>, onMix?: (done: number, total: number) => void,
): Promise<QuantizedMix[]> {
  const keys = mixes.map((m) => contentKey('quantized-mix', [...s.key, asKey(m)]));
  const out: QuantizedMix[] = keys.map((key) => {
    const hit = s.cacheDir === null ? undefined : readCachedFiles(s.cacheDir, key, FILES);
    return hit ? { hwq: hit.hwq, qdq: hit.onnx, hit: true } : undefined;
  }) as QuantizedMix[];
  const missing = keys.map((key, k) => k).filter((k) => !out[k] && keys.indexOf(keys[k]) === k);
  const unique = new Set(keys).size;
  let done = unique - missing.length;
  onMix?.(done, unique);
  const runs = missing.map((k) => ({ ...s.run, aBits: 8, wBits: 8, firstLast: null, layerBits: mixes[k] }));
  await runRecipes(s.source, s.what, s.name, s.recipe, runs, (j, { model }) => {
    const files = { hwq: writeHwq(model), onnx: toQdqBytes(model) };
    if (s.cacheDir !== null) writeCachedFiles(s.cacheDir, keys[missing[j]], files);
    out[missing[j]] = { hwq: files.hwq, qdq: files.onnx, hit: false };
    onMix?.(++done, unique);
  });
  // a mix given twice: the later ones take the first one's files
  keys.forEach((key, k) => { out[k] ??= out[keys.indexOf(key)]; });
  return out;
}

export interface EvalSetup {
  /** The decoded evaluation images (decoded on first use: a rerun that finds every accuracy cached decodes none). */
  images: () => Promise<Batch[]>;
  dims: (b: Batch) => number[];
  fixedBatch?: number;
  /** Key part of the evaluation images (their content hash and the preprocessing). */
  key: KeyPart;
  cacheDir: string | null;
}

interface StoredAccuracy {
  top1: number;
  top5: number;
  images: number;
  hits: string;
}

/** Top-1/top-5 of an ONNX model (bytes) on the evaluation images, with each image's top-1 hit. */
export async function evaluateBytes(e: EvalSetup, bytes: Uint8Array): Promise<Accuracy & { hit: boolean }> {
  const key = contentKey('accuracy', [bytes, e.key]);
  const { value, hit } = await cached<StoredAccuracy>(e.cacheDir, key, async () => {
    const a = await accuracy(bytes, await e.images(), e.dims, 'all', e.fixedBatch);
    return { top1: a.top1, top5: a.top5, images: a.images, hits: a.top1Hits.join('') };
  });
  return { top1: value.top1, top5: value.top5, images: value.images, top1Hits: [...value.hits].map(Number), hit };
}

/** The held-out images the sensitivities are measured on (decoded on first use: a cached table needs none). */
export interface HeldOutSetup {
  chunks: () => Promise<ImageChunk[]>;
  imageDims: number[];
}

/**
 * Where a campaign's sensitivities are measured and its mixes quantized and evaluated: in this process
 * (localMaterializer, where precisions or mixes with equal weight widths share weight fits) or as jobs on worker
 * threads or a Redis queue (jobs-materializer.ts). Either way, the answers are the same and come in the order asked.
 */
export interface Materializer {
  /** Each layer's damage at each candidate precision (candidates in the order given). */
  sensitivity(candidates: readonly Precision[], progress?: (stage: string, done: number, total: number) => void): Promise<SensitivityTable>;
  quantize(mixes: ReadonlyArray<Readonly<Record<string, Precision>>>, onMix?: (done: number, total: number) => void): Promise<QuantizedMix[]>;
  evaluate(models: readonly Uint8Array[], onModel?: (done: number, total: number) => void): Promise<Array<Accuracy & { hit: boolean }>>;
}

export function localMaterializer(q: QuantizeSetup, e: EvalSetup, h: HeldOutSetup): Materializer {
  return {
    sensitivity: async (candidates, progress) => measureSensitivity({
      source: q.source, what: q.what, name: q.name, recipe: q.recipe, candidates: [...candidates], run: q.run,
      heldOut: await h.chunks(), imageDims: h.imageDims, progress,
    }),
    quantize: (mixes, onMix) => quantizeMixes(q, mixes, onMix),
    async evaluate(models, onModel) {
      const out: Array<Accuracy & { hit: boolean }> = [];
      for (const bytes of models) {
        out.push(await evaluateBytes(e, bytes));
        onModel?.(out.length, models.length);
      }
      return out;
    },
  };
}

export interface SimulatedMix {
  cycles: number;
  latencyMs: number;
  energyUJ: number;
}

/** The .hwq model on `cfg` with the precisions it carries: what `hwq sim model.hwq` reports. */
export function simulateHwq(hwq: Uint8Array, name: string, cfg: HwConfig, batch: number): SimulatedMix {
  const net = readHwq(hwq, name).network;
  const plan = planPrecisions(net, {});
  const r = simulateNetwork(net, cfg, { batch, precisionOf: plan.of, precisionLabel: plan.label });
  return { cycles: r.totalCycles, latencyMs: r.latencyMs, energyUJ: r.energyUJ };
}
