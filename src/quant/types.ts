// The quantized model: what the quantizer produces and the QDQ writer, the .hwq writer, the simulator and
// the RTL generator read. Weights are integers with per-output-channel scales; activations entering each
// layer are per-layer uniform (scale, zero point).
import type { ModelProto } from '../onnx/proto.js';

export type LayerKind = 'conv' | 'fc' | 'matmul';

export interface ActQuant {
  bits: number;
  /** Unsigned after ReLU/ReLU6 (zero point 0, range 0..2^bits-1); signed otherwise (-2^(b-1)..2^(b-1)-1). */
  signed: boolean;
  scale: number;
  zeroPoint: number;
  /**
   * ECAQ (Error Compensated Activation Quantization): per-input-channel scales beta. The input is divided by
   * beta[c] before the per-layer quantizer (scale is then 1: the codes are the integers the layer sees), and the
   * layer's weights already carry beta. In hardware the division folds into the producing layer's
   * per-channel requantization, so the layer itself computes an ordinary integer convolution.
   */
  channelScales?: Float32Array;
}

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
