// Opening an ONNX model for evaluation: the input/output names, a check that the model's input size is what
// the preprocessing (or the .npy data) produces (a mismatch would otherwise surface as an opaque onnxruntime shape error), and that
// its output is class scores: a feature map read as scores (1x3x32x32 as 3,072 classes) gives a meaningless top-1.
import { existsSync } from 'node:fs';
import * as ort from '../onnx/ort.js';
import { UserError } from '../errors.js';
import { encodeModel, loadModel, type IModelProto } from '../onnx/proto.js';
import { GraphView } from '../onnx/graph.js';
import { runnableModel } from '../onnx/fold-dequant.js';
import { isTensorSpec, sampleDims, type InputSpec } from '../data/input-spec.js';
import { modelInput, type ModelInput } from '../data/model-input.js';

export interface SessionTuning {
  intraOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Busy-waiting intra-op threads steal the cores the decode workers need; off unless asked for. */
  spinning?: boolean;
}

/** Measured fastest on the 2-core machine (see reports/quantization/float-accuracy.md). */
export const DEFAULT_TUNING: SessionTuning = { intraOpNumThreads: 2, graphOptimizationLevel: 'all' };

export type Dim = number | string;

export interface OpenModel {
  path: string;
  session: ort.InferenceSession;
  inputName: string;
  outputName: string;
  /** The input's dims as the model declares them, batch first (N x C x H x W for an image model); strings are
   *  symbolic (free) dimensions. */
  inputShape: Dim[];
  /** The input as the graph declares it, for layout detection. */
  input: ModelInput;
  /** The output's dims as the graph declares them (undefined: unknown), or undefined when it declares no shape. */
  outputShape?: (Dim | undefined)[];
}

/**
 * QDQ graphs run with their weight dequantization folded and, when they quantize activations, unoptimized
 * (src/onnx/fold-dequant.ts): the model computed is the one the quantizer made, on any CPU.
 */
export const QDQ_TUNING: SessionTuning = { ...DEFAULT_TUNING, graphOptimizationLevel: 'disabled' };

/** Whether the graph has Q/DQ nodes (a fake-quantized model). */
export function isQdq(model: IModelProto): boolean {
  return (model.graph?.node ?? []).some((n) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear');
}

/** Without `tuning`, the default for the model's kind: QDQ_TUNING for a quantized graph, else DEFAULT_TUNING. */
export async function openModel(path: string, tuning?: SessionTuning): Promise<OpenModel> {
  if (!existsSync(path)) throw new UserError(`model file '${path}' does not exist`);
  const model = loadModel(path);
  tuning ??= isQdq(model) ? QDQ_TUNING : DEFAULT_TUNING;
  const runnable = runnableModel(encodeModel(model));
  let session: ort.InferenceSession;
  try {
    const options: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: tuning.intraOpNumThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: runnable.unoptimized ? 'disabled' : tuning.graphOptimizationLevel,
      executionMode: 'sequential',
      extra: { session: { intra_op: { allow_spinning: tuning.spinning ? '1' : '0' } } },
    };
    session = await ort.InferenceSession.create(runnable.bytes, options);
  } catch (e) {
    throw new UserError(`cannot load model '${path}': ${(e as Error).message.split('\n')[0]}`);
  }
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  if (!inputName || !outputName) throw new UserError(`model '${path}' has no inputs or no outputs`);
  const meta = session.inputMetadata.find((m) => m.name === inputName);
  const shape: Dim[] = meta && meta.isTensor ? meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : String(d))) : [];
  if (shape.length === 0) throw new UserError(`model '${path}' input '${inputName}' has shape []; evaluation needs a batch dimension first`);
  const outputShape = new GraphView(model).outputs.find((o) => o.name === outputName)?.dims;
  const input = modelInput(model, inputName) ?? { name: inputName, dims: shape, transposedToNchw: false };
  const opened: OpenModel = { path, session, inputName, outputName, inputShape: shape, input, outputShape };
  if (outputShape) outputClasses(opened, outputShape);
  return opened;
}

const shapeText = (dims: readonly (Dim | undefined)[]): string => `[${dims.map((d) => d ?? '?').join(', ')}]`;

/**
 * The class count of an output shaped [batch, classes] (trailing 1s allowed: [batch, classes, 1, 1]), or
 * undefined while the class dimension is symbolic; any other shape is refused naming the model and the shape.
 * `returned`: the shape came from a run, not from the graph's declaration.
 */
export function outputClasses(m: Pick<OpenModel, 'path' | 'outputName'>, dims: readonly (Dim | undefined)[], returned = false): number | undefined {
  const classes = dims[1];
  const extra = dims.slice(2).some((d) => typeof d === 'number' && d !== 1);
  if (dims.length < 2 || extra || (typeof classes === 'number' && classes < 1)) {
    const what = returned ? `returned output '${m.outputName}' of shape` : `output '${m.outputName}' has shape`;
    throw new UserError(`model '${m.path}' ${what} ${shapeText(dims)}; evaluation needs class scores shaped [batch, classes]`);
  }
  return typeof classes === 'number' ? classes : undefined;
}

/** Refuses labels the model's classes cannot hold (a label >= the class count could never be predicted). */
export function checkClassesCoverLabels(m: Pick<OpenModel, 'path' | 'outputName'>, dims: readonly (Dim | undefined)[], maxLabel: number, dataPath: string, returned = false): void {
  const classes = outputClasses(m, dims, returned);
  if (classes !== undefined && maxLabel >= classes) {
    throw new UserError(`data set '${dataPath}' has labels up to ${maxLabel} but model '${m.path}' output '${m.outputName}' ${shapeText(dims)} gives only ${classes} classes`);
  }
}

/** The fixed batch size the model demands, or undefined when the batch dimension is free. */
export function fixedBatch(m: OpenModel): number | undefined {
  const n = m.inputShape[0];
  return typeof n === 'number' && n > 0 ? n : undefined;
}

export function checkInputMatches(m: Pick<OpenModel, 'path' | 'inputShape'>, spec: InputSpec): void {
  const want = sampleDims(spec);
  const have = m.inputShape.slice(1);
  const clash = have.length !== want.length || have.some((d, i) => typeof d === 'number' && d !== want[i]);
  if (!clash) return;
  if (isTensorSpec(spec)) throw new UserError(`model '${m.path}' expects input ${have.join('x')} per sample but the .npy samples are ${want.join('x')}`);
  const order = have.length !== 3 ? 'not an image input' : spec.layout === 'nhwc' ? 'HxWxC' : 'CxHxW';
  const produced = `preprocessing '${spec.name}' produces ${want.join('x')}`;
  throw new UserError(`model '${m.path}' expects input ${have.join('x')} (${order}) but ${produced}; choose a matching --preprocess`);
}
