// The network IR: the one description of a network that every stage (zoo, ONNX import, quantizer,
// simulator, RTL compiler) reads. Shapes are per sample (batch is a property of a run, not of a network).

/** Operand bit widths of one layer: activations (inputs) and weights. */
export interface Precision {
  a: number;
  w: number;
}

/** A per-sample feature map: channels x height x width. A flat vector is c x 1 x 1. */
export interface Shape3 {
  c: number;
  h: number;
  w: number;
}

/** Padding in the ONNX order: top, left, bottom, right. */
export type Pad4 = [number, number, number, number];

export type Activation = 'none' | 'relu' | 'relu6' | 'sigmoid' | 'tanh';

interface LayerBase {
  /** Unique within the network; ONNX node names or torchvision-style names (layer1.0.conv1). */
  name: string;
  /** Names of the producing layers, or 'input' for the network input. */
  inputs: string[];
  input: Shape3;
  output: Shape3;
  /** Operand precision; absent means the run's default (see sim/precision.ts). */
  precision?: Precision;
}

/** 2-D convolution, including grouped and depthwise (groups == inC == outC). */
export interface ConvLayer extends LayerBase {
  kind: 'conv';
  inC: number;
  outC: number;
  kernel: [number, number];
  stride: [number, number];
  pad: Pad4;
  dilation: [number, number];
  groups: number;
  bias: boolean;
  activation: Activation;
}

/** Fully connected: y = W x + b over a flattened input of inFeatures. */
export interface FcLayer extends LayerBase {
  kind: 'fc';
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  activation: Activation;
}

/**
 * A plain matrix product (m x k) * (k x n) per sample, with constant (k x n) weights: the gate products of
 * recurrent cells. `steps` repeats it (time steps of an RNN/LSTM unrolled over a sequence).
 */
export interface MatMulLayer extends LayerBase {
  kind: 'matmul';
  m: number;
  k: number;
  n: number;
  steps: number;
  bias: boolean;
  activation: Activation;
}

export interface PoolLayer extends LayerBase {
  kind: 'pool';
  op: 'max' | 'avg';
  /** Global pooling sets kernel to the input's spatial size. */
  global: boolean;
  kernel: [number, number];
  stride: [number, number];
  pad: Pad4;
}

/** Elementwise sum of two or more equally shaped inputs (residual connections). */
export interface AddLayer extends LayerBase {
  kind: 'add';
  activation: Activation;
}

export type Layer = ConvLayer | FcLayer | MatMulLayer | PoolLayer | AddLayer;
export type LayerKind = Layer['kind'];

/** Layers that multiply by constant weights: the ones the array computes and the quantizer quantizes. */
export type ComputeLayer = ConvLayer | FcLayer | MatMulLayer;

export interface Network {
  name: string;
  /** Short human description (dataset, source of the topology). */
  description: string;
  input: Shape3;
  /** Topologically ordered. */
  layers: Layer[];
  /** Set when the model file was already quantized (ONNX import): in which of onnxruntime's forms. */
  quantized?: SourceQuantization;
}

export interface SourceQuantization {
  format: 'QDQ' | 'QOperator' | 'dynamic';
  /** Activations are quantized while the model runs, each from its own range, not with calibrated scales. */
  dynamicActivations: boolean;
}

export function isComputeLayer(l: Layer): l is ComputeLayer {
  return l.kind === 'conv' || l.kind === 'fc' || l.kind === 'matmul';
}

export function computeLayers(net: Network): ComputeLayer[] {
  return net.layers.filter(isComputeLayer);
}

/** Output spatial size of a window op (conv or pool) along one axis. */
export function windowOut(inSize: number, kernel: number, stride: number, padBefore: number, padAfter: number, dilation = 1): number {
  const eff = dilation * (kernel - 1) + 1;
  return Math.floor((inSize + padBefore + padAfter - eff) / stride) + 1;
}

/**
 * A layer seen as GEMMs (what the array computes): `count` independent products of (rows x reduction) by
 * (reduction x cols) per sample. conv: rows = output pixels, reduction = (inC/groups)*kh*kw, cols =
 * outC/groups, count = groups. fc: 1 x inFeatures x outFeatures. matmul: m x k x n, count = steps.
 */
export interface GemmView {
  rows: number;
  reduction: number;
  cols: number;
  count: number;
}

export function gemmView(l: ComputeLayer): GemmView {
  switch (l.kind) {
    case 'conv':
      return {
        rows: l.output.h * l.output.w,
        reduction: (l.inC / l.groups) * l.kernel[0] * l.kernel[1],
        cols: l.outC / l.groups,
        count: l.groups,
      };
    case 'fc':
      return { rows: 1, reduction: l.inFeatures, cols: l.outFeatures, count: 1 };
    case 'matmul':
      return { rows: l.m, reduction: l.k, cols: l.n, count: l.steps };
  }
}

/** Multiply-accumulates of one layer for one sample (0 for pooling and elementwise layers). */
export function layerMacs(l: Layer): number {
  if (!isComputeLayer(l)) return 0;
  const g = gemmView(l);
  return g.rows * g.reduction * g.cols * g.count;
}

/** Weight parameters (plus biases) of one layer. */
export function layerParams(l: Layer): number {
  switch (l.kind) {
    case 'conv':
      return (l.outC * (l.inC / l.groups) * l.kernel[0] * l.kernel[1]) + (l.bias ? l.outC : 0);
    case 'fc':
      return l.inFeatures * l.outFeatures + (l.bias ? l.outFeatures : 0);
    case 'matmul':
      return l.k * l.n + (l.bias ? l.n : 0);
    default:
      return 0;
  }
}

export function networkMacs(net: Network): number {
  return net.layers.reduce((s, l) => s + layerMacs(l), 0);
}

export function networkParams(net: Network): number {
  return net.layers.reduce((s, l) => s + layerParams(l), 0);
}

export function shapeSize(s: Shape3): number {
  return s.c * s.h * s.w;
}
