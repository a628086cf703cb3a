// A small typed builder for IR networks: each call appends one layer whose output shape is derived from its
// producers, so zoo definitions state only the hyper-parameters and cannot get a shape wrong by hand.
import {
  type Activation,
  type AddLayer,
  type ConvLayer,
  type FcLayer,
  type Layer,
  type MatMulLayer,
  type Network,
  type Pad4,
  type PoolLayer,
  type Precision,
  type Shape3,
  shapeSize,
  windowOut,
} from './ir.js';

/** The network input, usable wherever a producer name is expected. */
export const INPUT = 'input';

/** A symmetric pad, a [vertical, horizontal] pad, or the full ONNX (top, left, bottom, right) order. */
export type PadSpec = number | [number, number] | Pad4;
type Pair = number | [number, number];

export interface ConvOpts {
  outC: number;
  kernel: Pair;
  stride?: Pair;
  pad?: PadSpec;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  activation?: Activation;
  precision?: Precision;
}

export interface FcOpts {
  out: number;
  bias?: boolean;
  activation?: Activation;
  precision?: Precision;
}

export interface PoolOpts {
  op: 'max' | 'avg';
  kernel: Pair;
  stride?: Pair;
  pad?: PadSpec;
}

export interface MatMulOpts {
  /** Rows per product (1 for one sample's vector). */
  m?: number;
  n: number;
  steps?: number;
  bias?: boolean;
  activation?: Activation;
  precision?: Precision;
}

function pair(p: Pair): [number, number] {
  return typeof p === 'number' ? [p, p] : [p[0], p[1]];
}

function pad4(p: PadSpec): Pad4 {
  if (typeof p === 'number') return [p, p, p, p];
  if (p.length === 2) return [p[0], p[1], p[0], p[1]];
  return [p[0], p[1], p[2], p[3]];
}

function sameShape(a: Shape3, b: Shape3): boolean {
  return a.c === b.c && a.h === b.h && a.w === b.w;
}

function fmt(s: Shape3): string {
  return `${s.c}x${s.h}x${s.w}`;
}

export class NetBuilder {
  private readonly layers: Layer[] = [];
  private readonly shapes = new Map<string, Shape3>();

  constructor(
    private readonly name: string,
    private readonly description: string,
    private readonly input: Shape3,
  ) {
    this.shapes.set(INPUT, { ...input });
  }

  /** Output shape of a producer ('input' or an existing layer). */
  shapeOf(ref: string): Shape3 {
    const s = this.shapes.get(ref);
    if (!s) throw new Error(`${this.name}: unknown producer '${ref}'`);
    return { ...s };
  }

  private claim(name: string): void {
    if (this.shapes.has(name)) throw new Error(`${this.name}: duplicate layer name '${name}'`);
  }

  private push(l: Layer): string {
    this.layers.push(l);
    this.shapes.set(l.name, { ...l.output });
    return l.name;
  }

  conv(name: string, from: string, o: ConvOpts): string {
    this.claim(name);
    const input = this.shapeOf(from);
    const kernel = pair(o.kernel);
    const stride = pair(o.stride ?? 1);
    const dilation = pair(o.dilation ?? 1);
    const pad = pad4(o.pad ?? 0);
    const groups = o.groups ?? 1;
    if (input.c % groups !== 0 || o.outC % groups !== 0) {
      throw new Error(`${this.name}/${name}: channels ${input.c}->${o.outC} not divisible by groups ${groups}`);
    }
    const output: Shape3 = {
      c: o.outC,
      h: windowOut(input.h, kernel[0], stride[0], pad[0], pad[2], dilation[0]),
      w: windowOut(input.w, kernel[1], stride[1], pad[1], pad[3], dilation[1]),
    };
    if (output.h < 1 || output.w < 1) throw new Error(`${this.name}/${name}: empty output from ${fmt(input)}`);
    const l: ConvLayer = {
      kind: 'conv', name, inputs: [from], input, output,
      inC: input.c, outC: o.outC, kernel, stride, pad, dilation, groups,
      bias: o.bias ?? false, activation: o.activation ?? 'none',
      ...(o.precision ? { precision: { ...o.precision } } : {}),
    };
    return this.push(l);
  }

  /** Fully connected over the flattened producer output. */
  fc(name: string, from: string, o: FcOpts): string {
    this.claim(name);
    const input = this.shapeOf(from);
    const l: FcLayer = {
      kind: 'fc', name, inputs: [from], input, output: { c: o.out, h: 1, w: 1 },
      inFeatures: shapeSize(input), outFeatures: o.out,
      bias: o.bias ?? true, activation: o.activation ?? 'none',
      ...(o.precision ? { precision: { ...o.precision } } : {}),
    };
    return this.push(l);
  }

  pool(name: string, from: string, o: PoolOpts): string {
    this.claim(name);
    const input = this.shapeOf(from);
    const kernel = pair(o.kernel);
    const stride = pair(o.stride ?? o.kernel);
    const pad = pad4(o.pad ?? 0);
    const output: Shape3 = {
      c: input.c,
      h: windowOut(input.h, kernel[0], stride[0], pad[0], pad[2]),
      w: windowOut(input.w, kernel[1], stride[1], pad[1], pad[3]),
    };
    if (output.h < 1 || output.w < 1) throw new Error(`${this.name}/${name}: empty output from ${fmt(input)}`);
    const l: PoolLayer = { kind: 'pool', name, inputs: [from], input, output, op: o.op, global: false, kernel, stride, pad };
    return this.push(l);
  }

  /** Pooling over the whole spatial extent: c x h x w -> c x 1 x 1. */
  globalPool(name: string, from: string, op: 'max' | 'avg'): string {
    this.claim(name);
    const input = this.shapeOf(from);
    const l: PoolLayer = {
      kind: 'pool', name, inputs: [from], input, output: { c: input.c, h: 1, w: 1 },
      op, global: true, kernel: [input.h, input.w], stride: [1, 1], pad: [0, 0, 0, 0],
    };
    return this.push(l);
  }

  /** Elementwise sum; every producer must have the same shape. */
  add(name: string, from: string[], activation: Activation = 'none'): string {
    this.claim(name);
    if (from.length < 2) throw new Error(`${this.name}/${name}: add needs at least two inputs`);
    const input = this.shapeOf(from[0]);
    for (const f of from.slice(1)) {
      const s = this.shapeOf(f);
      if (!sameShape(s, input)) throw new Error(`${this.name}/${name}: shape ${fmt(s)} of '${f}' differs from ${fmt(input)}`);
    }
    const l: AddLayer = { kind: 'add', name, inputs: [...from], input, output: { ...input }, activation };
    return this.push(l);
  }

  /**
   * (m x k) * (k x n) with k the producer's flattened size divided by m; the output is n x m x 1
   * (n features for each of the m rows).
   */
  matmul(name: string, from: string, o: MatMulOpts): string {
    this.claim(name);
    const input = this.shapeOf(from);
    const m = o.m ?? 1;
    const size = shapeSize(input);
    if (size % m !== 0) throw new Error(`${this.name}/${name}: input ${fmt(input)} does not split into ${m} rows`);
    const l: MatMulLayer = {
      kind: 'matmul', name, inputs: [from], input, output: { c: o.n, h: m, w: 1 },
      m, k: size / m, n: o.n, steps: o.steps ?? 1,
      bias: o.bias ?? true, activation: o.activation ?? 'none',
      ...(o.precision ? { precision: { ...o.precision } } : {}),
    };
    return this.push(l);
  }

  build(): Network {
    return {
      name: this.name,
      description: this.description,
      input: { ...this.input },
      layers: this.layers.map((l) => ({ ...l })),
    };
  }
}
