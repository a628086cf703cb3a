// Which ONNX ops the network import maps to IR layers, which it walks through (they cost no multiplications by
// weights), and which it refuses, with the reason and the remedy.

/** Why the quantizer refuses an already-quantized model it is handed without dequantizing it first. */
const QUANTIZED_WHY =
  'belongs to an already-quantized model: quantize the float original, or let `hwq quantize` dequantize the file first';

const QOPERATOR_OPS = ['QLinearConv', 'QLinearMatMul', 'ConvInteger', 'MatMulInteger', 'DynamicQuantizeLinear'];

/** The first node of onnxruntime's operator-form quantization in `nodes`, and why the quantizer does not take it as is. */
export function operatorFormQuantization(
  nodes: Iterable<{ opType?: string | null; name?: string | null; domain?: string | null }>,
): { node: string; op: string; why: string } | undefined {
  for (const n of nodes) {
    if ((!n.domain || n.domain === 'ai.onnx') && n.opType && QOPERATOR_OPS.includes(n.opType)) return { node: n.name ?? '', op: n.opType, why: QUANTIZED_WHY };
  }
  return undefined;
}

/** Ops users' models bring that the IR refuses, with the reason and what to do instead. */
export const UNSUPPORTED_WHY: Record<string, string> = {
  ConvTranspose: 'is a transposed convolution (a decoder\'s upsampling), which the Bit Fusion array model does not map; simulate the encoder, or export the upsampling as Resize followed by Conv',
  LSTM: 'is a recurrent layer, which ONNX import does not unroll; the zoo\'s bf-rnn and bf-lstm model recurrent networks as their per-step matrix products',
  GRU: 'is a recurrent layer, which ONNX import does not unroll; the zoo\'s bf-rnn and bf-lstm model recurrent networks as their per-step matrix products',
  RNN: 'is a recurrent layer, which ONNX import does not unroll; the zoo\'s bf-rnn and bf-lstm model recurrent networks as their per-step matrix products',
};

const LAYER_OPS = ['Conv', 'Gemm', 'MatMul', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'Add', 'Sum'];
/** Ops walked through: they cost no multiplications by weights, so the IR keeps only their data flow. */
const PASS_OPS = [
  'Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Elu', 'Selu', 'Celu', 'Gelu',
  'Softplus', 'Softsign', 'Mish', 'Erf', 'Sqrt', 'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal', 'Pow', 'Mul', 'Sub',
  'Div', 'Max', 'Min', 'Mean', 'BatchNormalization', 'InstanceNormalization', 'LRN', 'Dropout', 'Identity',
  'Cast', 'Pad', 'Slice', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'Split', 'Gather',
  'Expand', 'Tile', 'Resize', 'Upsample', 'Softmax', 'LogSoftmax', 'ReduceMean', 'ReduceMax', 'ReduceMin',
  'ReduceSum', 'ReduceL2', 'ArgMax', 'ArgMin', 'LayerNormalization', 'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'Shape',
  'Size',
];
export const IMPORT_OPS: readonly string[] = [...LAYER_OPS, ...PASS_OPS].sort();
