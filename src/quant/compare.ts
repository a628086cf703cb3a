// Float model vs quantized model on the same images: top-1/top-5 of each, the drop, and the per-layer output
// SQNR of the quantized model against the float one. The layers come from the `hwq.layers` metadata the QDQ
// writer records; each is matched to the float graph by the output tensor name of its node in the quantized
// graph (BatchNorm folding renames a conv output to the BN output, which the float graph also produces).
import { UserError } from '../errors.js';
import type { Batch } from '../data/batches.js';
import { batches } from '../data/batches.js';
import { openDataSet, type DataSet, type OpenOptions, type SamplingInfo } from '../data/dataset.js';
import { inputDims, sampleDimsOption, type InputSpec } from '../data/input-spec.js';
import { checkModelFits, evaluateOpen } from '../eval/evaluate.js';
import { pairedTop1, type PairedTop1 } from '../eval/metrics.js';
import { fixedBatch, openModel as openEvalModel, type OpenModel } from '../eval/session.js';
import { GraphView } from '../onnx/graph.js';
import { type IModelProto, loadModel } from '../onnx/proto.js';
import { outputSqnr } from './output-sqnr.js';
import { stratifiedSample } from '../data/sampling.js';
import type { ProgressMode } from '../cli/progress.js';
import type { QdqLayerRecord } from './qdq.js';

export interface Accuracy {
  /** Fractions in [0, 1]. */
  top1: number;
  top5: number;
}

export interface LayerSqnr {
  name: string;
  /** The tensor compared in both graphs. */
  tensor: string;
  outputSqnrDb: number;
}

export interface CompareResult {
  float: Accuracy;
  quantized: Accuracy;
  /** float - quantized, in percentage points. */
  drop: { top1: number; top5: number };
  /** Images only one of the two models gets right (top-1), and the paired standard error of the top-1 drop:
   *  how much of the drop a different sample of images could move. */
  paired: PairedTop1;
  images: number;
  /** How the images were picked, and how many the data set holds. */
  sampling: SamplingInfo;
  total: number;
  sqnrImages: number;
  preprocess: string;
  /** Per quantized layer, in the order `hwq.layers` lists them (empty when q has no such metadata). */
  layers: LayerSqnr[];
  /** SQNR of the final model output. */
  output: LayerSqnr | null;
  /** Why some layers (or all of them) are not compared. */
  notes: string[];
  /** Signs the result is not what the user meant to measure (e.g. the models given the wrong way round). */
  warnings: string[];
}

/** The `hwq.layers` records of a QDQ model written by `hwq quantize`, or null when the model has none. */
export function layerRecords(model: IModelProto, what: string): QdqLayerRecord[] | null {
  const entry = (model.metadataProps ?? []).find((p) => p.key === 'hwq.layers');
  if (!entry) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(entry.value ?? '');
  } catch {
    throw new UserError(`${what}: metadata 'hwq.layers' is not valid JSON`);
  }
  const ok = Array.isArray(parsed) && parsed.every((r) => r && typeof r === 'object' && typeof r.name === 'string' && typeof r.nodeName === 'string');
  if (!ok) throw new UserError(`${what}: metadata 'hwq.layers' is not a list of {name, nodeName, ...} records`);
  return parsed as QdqLayerRecord[];
}

/** Every tensor a node or a graph input produces. */
export function producedTensors(model: IModelProto): Set<string> {
  const g = model.graph;
  return new Set([...(g?.input ?? []).map((i) => i.name ?? ''), ...(g?.node ?? []).flatMap((n) => n.output ?? [])].filter((t) => t !== ''));
}

export interface LayerMatch {
  layers: { name: string; tensor: string }[];
  notes: string[];
}

/** The tensor to compare for each record: its node's first output in q, kept when float produces it too. */
export function matchLayers(records: readonly QdqLayerRecord[], floatModel: IModelProto, quantModel: IModelProto): LayerMatch {
  const inFloat = producedTensors(floatModel);
  const qNodes = quantModel.graph?.node ?? [];
  const layers: LayerMatch['layers'] = [];
  const notes: string[] = [];
  for (const r of records) {
    const node = qNodes.find((n) => n.name === r.nodeName);
    const tensor = node?.output?.[0];
    if (!tensor) notes.push(`layer '${r.name}' skipped: no node '${r.nodeName}' in the quantized graph`);
    else if (!inFloat.has(tensor)) notes.push(`layer '${r.name}' skipped: its output '${tensor}' does not exist in the float graph`);
    else layers.push({ name: r.name, tensor });
  }
  return { layers, notes };
}

/**
 * A quantized model rarely beats its float model by more than the noise of the sample; when it beats it by over
 * three paired standard errors, the two were most likely given the wrong way round.
 */
export function swapWarning(float: Accuracy, quantized: Accuracy, paired: PairedTop1, floatPath: string, quantPath: string): string | undefined {
  const gain = 100 * (quantized.top1 - float.top1);
  if (gain <= 0 || gain <= 3 * paired.seTop1) return undefined;
  return `the quantized model '${quantPath}' scores ${gain.toFixed(2)} pts above the float model '${floatPath}' in top-1, `
    + `more than 3 paired standard errors (${paired.seTop1.toFixed(2)} pts): the arguments may be swapped (hwq compare FLOAT QUANTIZED)`;
}

/** Percentage points lost from float to quantized. */
export function accuracyDrop(f: Accuracy, q: Accuracy): { top1: number; top5: number } {
  return { top1: 100 * (f.top1 - q.top1), top5: 100 * (f.top5 - q.top5) };
}

/** C x H x W of a model's first graph input (entries may be symbolic or unknown). */
export function inputChw(model: IModelProto): (number | string | undefined)[] {
  const input = new GraphView(model).inputs[0];
  if (!input) throw new UserError('model has no graph input');
  return (input.dims ?? []).slice(1);
}

export interface CompareOptions {
  floatPath: string;
  quantPath: string;
  data: string;
  labels?: string;
  /** Which images: openDataSet's limit/seed/stratify. */
  sample?: Pick<OpenOptions, 'limit' | 'seed' | 'stratify'>;
  /** Called with the opened data set before any image runs. */
  onData?: (data: DataSet) => void;
  /** Images (the first of the evaluated ones) used for the SQNR; 0 skips it. */
  sqnrImages: number;
  batchSize?: number;
  workers?: number;
  progress?: ProgressMode;
  /** Preprocessing (or .npy reading), given the float model's input C x H x W and the model. */
  spec: (chw: (number | string | undefined)[], floatModel: IModelProto) => InputSpec;
}

/** Both models open and checked against the data before either runs, so a bad second model fails fast. */
async function withModels<T>(o: CompareOptions, data: DataSet, spec: InputSpec, fn: (f: OpenModel, q: OpenModel) => Promise<T>): Promise<T> {
  const opened: OpenModel[] = [];
  try {
    for (const p of [o.floatPath, o.quantPath]) opened.push(await openEvalModel(p));
    for (const m of opened) checkModelFits(m, data, spec);
    return await fn(opened[0], opened[1]);
  } finally {
    for (const m of opened) await m.session.release();
  }
}

/**
 * The images the per-layer SQNR is measured on: `n` of the evaluated ones drawn stratified over their classes
 * (seed 0), since the first ones in sorted order would be a single class of a class-folder data set.
 */
export function sqnrSamples<T extends { label: number }>(samples: readonly T[], n: number): readonly T[] {
  return n >= samples.length ? samples : stratifiedSample(samples, (s) => s.label, n, 0);
}

export async function runCompare(o: CompareOptions): Promise<CompareResult> {
  if (!Number.isInteger(o.sqnrImages) || o.sqnrImages < 0) throw new UserError(`invalid --sqnr-images ${o.sqnrImages}: it must be an integer >= 0`);
  const fModel = loadModel(o.floatPath);
  const qModel = loadModel(o.quantPath);
  const chw = inputChw(fModel);
  const qChw = inputChw(qModel);
  if (qChw.some((d, i) => typeof d === 'number' && typeof chw[i] === 'number' && d !== chw[i])) {
    throw new UserError(`${o.quantPath} expects input ${qChw.join('x')} but ${o.floatPath} expects ${chw.join('x')}; compare a quantized model with its own float model`);
  }
  const spec = o.spec(chw, fModel);
  const data = openDataSet(o.data, { labels: o.labels, ...o.sample, ...sampleDimsOption(spec) });
  if (data.samples.length === 0) throw new UserError(`data set '${o.data}' has no images`);
  o.onData?.(data);

  const evalOpts = { batchSize: o.batchSize, workers: o.workers, progress: o.progress, keepHits: true };
  const { f, q, fixed } = await withModels(o, data, spec, async (fm, qm) => ({
    f: await evaluateOpen(fm, data, spec, evalOpts),
    q: await evaluateOpen(qm, data, spec, evalOpts),
    fixed: fixedBatch(fm) ?? fixedBatch(qm),
  }));
  const float = { top1: f.top1, top5: f.top5 };
  const quantized = { top1: q.top1, top5: q.top5 };
  const paired = pairedTop1(f.top1Hits!, q.top1Hits!);
  const swapped = swapWarning(float, quantized, paired, o.floatPath, o.quantPath);

  const notes: string[] = [];
  const records = layerRecords(qModel, o.quantPath);
  let match: LayerMatch = { layers: [], notes: [] };
  if (records === null) notes.push(`${o.quantPath} has no 'hwq.layers' metadata (not written by hwq quantize): only the final outputs are compared`);
  else match = matchLayers(records, fModel, qModel);
  notes.push(...match.notes);

  const outName = new GraphView(qModel).outputs[0]?.name;
  const outInFloat = outName !== undefined && new GraphView(fModel).outputs.some((v) => v.name === outName);
  if (!outInFloat) notes.push(`final output '${outName ?? '?'}' of ${o.quantPath} is not an output of ${o.floatPath}: its SQNR is not computed`);

  // A model with a fixed batch dimension takes only whole batches of that size.
  const batchSize = fixed ?? o.batchSize ?? 8;
  let n = Math.min(o.sqnrImages, data.samples.length);
  if (fixed !== undefined) n -= n % fixed;
  const tensors = [...match.layers.map((l) => l.tensor), ...(outInFloat ? [outName!] : [])];
  let sq = new Map<string, number>();
  if (n > 0 && tensors.length > 0) {
    const dims = (b: Batch) => inputDims(spec, b.count);
    sq = await outputSqnr(fModel, qModel, tensors, batches(sqnrSamples(data.samples, n), spec, { batchSize, workers: o.workers }), dims);
  } else if (o.sqnrImages > 0 && n === 0) {
    notes.push(`no SQNR: fewer images than the model's fixed batch of ${fixed}`);
  }
  const db = (t: string) => sq.get(t) ?? NaN;
  return {
    float, quantized, drop: accuracyDrop(float, quantized), paired, images: f.images, sampling: data.sampling, total: data.total,
    sqnrImages: sq.size ? n : 0, preprocess: spec.name,
    layers: sq.size ? match.layers.map((l) => ({ ...l, outputSqnrDb: db(l.tensor) })) : [],
    output: sq.size && outInFloat ? { name: outName!, tensor: outName!, outputSqnrDb: db(outName!) } : null,
    notes,
    warnings: swapped ? [swapped] : [],
  };
}
