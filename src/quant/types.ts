// The quantized model: what the quantizer produces and the QDQ writer, the .hwq writer, the simulator and
// the RTL generator read. Weights are integers with per-output-channel scales; activations entering each
// layer are per-layer uniform (scale, zero point).
import type { ModelProto } from '../onnx/proto.js';
import type { ComputeLayer } from '../model/ir.js';
import type { ActQuant } from '../intmodel/activation.js';

export type { ActQuant };

/** The compute layer kinds of the network IR: the quantizer quantizes exactly those. */
export type LayerKind = ComputeLayer['kind'];

export interface QuantLayer {
  /** Layer name as in the network IR (the ONNX node's name, or <OpType>_<index>). */
  name: string;
  kind: LayerKind;
  /** The Conv/Gemm/MatMul node in the prepared (BatchNorm-folded) ONNX graph. */
  nodeName: string;
  /** The activation tensor this layer reads, and the weight initializer it multiplies. */
  inputTensor: string;
  outputTensor: string;
  weightName: string;
  /** Shape of the weight initializer as stored in ONNX, and which axis indexes output channels
   *  (0 for Conv and Gemm with transB=1, 1 for Gemm with transB=0 and MatMul). */
  weightShape: number[];
  channelAxis: number;
  wBits: number;
  /** Integer weights in the initializer's layout, each within the signed wBits range. */
  wInt: Int8Array;
  /** Per output channel: float weight = wInt * wScales[c]. */
  wScales: Float32Array;
  /** Quantization of the input activation; absent for weight-only quantization (float activations). */
  act?: ActQuant;
  /** Float bias after BatchNorm folding (absent when the layer has none). */
  bias?: Float32Array;
}

export interface QuantModel {
  /** Where the float model came from, and the methods used. */
  source: string;
  name: string;
  weightMethod: string;
  actMethod: string;
  layers: QuantLayer[];
  /** The prepared float graph (BatchNorm folded) that the layers' node and tensor names refer to. */
  prepared: ModelProto;
}
