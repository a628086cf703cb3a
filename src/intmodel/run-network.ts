// The integer model of a whole .hwq network: a float image in, integer logits out, every tensor between the
// compute layers held as codes on the grid of the quantized layer that reads it. Compute layers run through
// execute.ts; what the .hwq file does not store as integers (the requantization of a layer feeding a residual
// Add, the Add itself, pooling, the option-A shortcut of the CIFAR ResNets) is derived from the scales the file
// holds, the way an integer accelerator's host would do it. Which tensor is held on which grid is decided once per
// network by network-plan.ts; this module runs that plan:
//   - a compute layer whose only reader is an Add is fused with it: its accumulators are requantized to the
//     Add's output grid (the grid of the quantized layer the Add's output reaches) and the other operand, the
//     residual, is added in that grid (runIntegerLayer's residual), then clamped (ReLU: at the zero point);
//   - a residual operand on another grid is rescaled to the output grid with a Q31 multiplier and clamped;
//   - the option-A shortcut (stride-2 subsampling, zero channels on both sides) moves codes; zero is the zero point;
//   - average pooling sums codes and requantizes the sum once onto the reader's grid;
//   - the last compute layer (no quantized reader) yields its int32 accumulators: logit c is acc[c] * sIn * sW[c].
//
// onnxruntime's run of the QDQ model written beside the .hwq (`hwq quantize --qdq-form`) computes this only as far
// as its form says (measured in reports/rtl/integer-vs-qdq.md):
//   - layers (the default) quantizes only the inputs of compute layers. The conv feeding an Add, the Add, the
//     shortcut and the pool run in float on unquantized values, so its residual path carries the unclipped,
//     unrounded activation where this model carries codes, and its pool averages floats;
//   - integer quantizes wherever this model holds codes, on the plan's grids, with int32 biases. What remains is the
//     rounding of each requantization: QuantizeLinear rounds the exact product once, half to even, while this
//     model rounds twice (TF-Lite's fixed-point multiplier: to an integer at the accumulator's scale, then a shift
//     with ties away from zero). With 4-bit grids 1-2 % of a layer's codes land one code away, and the layers
//     after carry it on;
//   - fixed-point spells this model's requantizations out in Round/Floor ops (rescaleMultiplier, poolMultiplier
//     and requantizedLayer are the ones both use), so its codes equal these and its logits differ by float32 sums.
import { UserError } from '../errors.js';
import type { ComputeLayer, ConvLayer, FcLayer, PoolLayer, Shape3 } from '../model/ir.js';
import type { ActQuant } from './activation.js';
import { actRange } from './activation.js';
import { type IntegerLayer, integerLayerOf, layerAccumulators, runIntegerLayer } from './execute.js';
import type { HwqLayer, HwqModel } from './format.js';
import { networkPlan } from './network-plan.js';
import { roundHalfEven } from './grid.js';
import { type QuantizedMultiplier, channelMultipliers, multiplyByQuantizedMultiplier, quantizeMultiplier } from './requant.js';

/** Codes of a tensor on one activation grid. */
export interface CodeTensor {
  shape: Shape3;
  codes: Int32Array;
  scale: number;
  zeroPoint: number;
}

/** One compute layer as the network runs it: the integer layer, its input codes and, fused from an Add, its residual codes. */
export interface ComputeStep {
  /** Index in HwqModel.layers. */
  index: number;
  integer: IntegerLayer;
  input: Int32Array;
  residual?: Int32Array;
  /** The grid of the codes the step writes; null for the last layer, whose result is its accumulators. */
  out: ActQuant | null;
}

/**
 * Runs one compute step: `codes` returns its output codes, `accumulators` (the last layer) its int32 accumulators.
 * The default is the integer model; the RTL driver substitutes the core.
 */
export interface StepRunner {
  codes(s: ComputeStep): Int32Array;
  accumulators(s: ComputeStep): Int32Array;
}

export interface NetworkResult {
  /** The last layer's int32 accumulators, and their real values acc[c] * scales[c]. */
  accumulators: Int32Array;
  scales: Float64Array;
  logits: Float64Array;
  /** Output codes of every layer that produced codes (conv and fc with requantization, fused Adds, pools), by name. */
  tensors: Map<string, CodeTensor>;
  /** The compute steps in execution order, with the codes each produced. */
  steps: { step: ComputeStep; output: Int32Array }[];
}

const numel = (s: Shape3): number => s.c * s.h * s.w;

/** Input codes of a float tensor [C][H][W]: round half to even and clamp, as QuantizeLinear does. */
export function quantizeInput(x: ArrayLike<number>, a: ActQuant): Int32Array {
  const { qmin, qmax } = actRange(a);
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const q = roundHalfEven(x[i] / a.scale) + a.zeroPoint;
    out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
  return out;
}

/** The fixed-point multiplier taking codes of the grid `from` (less its zero point) onto the grid `to`. */
export function rescaleMultiplier(from: { scale: number }, to: { scale: number }): QuantizedMultiplier {
  return quantizeMultiplier(from.scale / to.scale);
}

/** The fixed-point multiplier taking the sum of `n` codes of scale `inScale` to their average on the grid of `outScale`. */
export function poolMultiplier(inScale: number, n: number, outScale: number): QuantizedMultiplier {
  return quantizeMultiplier(inScale / (n * outScale));
}

/**
 * Codes of `t` on the grid (scale, zeroPoint, qmin..qmax) of `shape`: rescaled with a Q31 multiplier when the
 * grids differ, and for the option-A shortcut (fewer channels, a multiple of the spatial size) subsampled
 * and padded with zero-point channels on both sides.
 */
export function residualCodes(t: CodeTensor, shape: Shape3, out: ActQuant): Int32Array {
  const { qmin, qmax } = actRange(out);
  const sy = t.shape.h / shape.h;
  const sx = t.shape.w / shape.w;
  const extra = shape.c - t.shape.c;
  if (!Number.isInteger(sy) || !Number.isInteger(sx) || extra < 0 || extra % 2 !== 0) {
    throw new RangeError(`a ${t.shape.c}x${t.shape.h}x${t.shape.w} residual does not map onto ${shape.c}x${shape.h}x${shape.w}`);
  }
  const same = t.scale === out.scale && t.zeroPoint === out.zeroPoint;
  const m = same ? null : rescaleMultiplier(t, out);
  const res = new Int32Array(numel(shape)).fill(out.zeroPoint);
  const c0 = extra / 2;
  for (let c = 0; c < t.shape.c; c++) for (let y = 0; y < shape.h; y++) for (let x = 0; x < shape.w; x++) {
    const v = t.codes[(c * t.shape.h + y * sy) * t.shape.w + x * sx];
    const q = m ? multiplyByQuantizedMultiplier(v - t.zeroPoint, m.m0, m.shift) + out.zeroPoint : v;
    res[((c0 + c) * shape.h + y) * shape.w + x] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
  return res;
}

/**
 * Pooling on codes, onto the grid `out` of the pool's reader: the max, or the sum over the window (padding not
 * counted) scaled by s_in / (n * s_out) with a Q31 multiplier, so the average is rounded once, on the output grid.
 */
export function poolCodes(l: PoolLayer, t: CodeTensor, out: ActQuant): Int32Array {
  const [kh, kw] = l.global ? [l.input.h, l.input.w] : l.kernel;
  const [sh, sw] = l.global ? [1, 1] : l.stride;
  const [pt, pl] = l.global ? [0, 0] : l.pad;
  const { h: H, w: W } = l.input;
  const { qmin, qmax } = actRange(out);
  const res = new Int32Array(numel(l.output));
  const scaled = new Map<number, { m0: number; shift: number }>();
  const rescale = (v: number, n: number): number => {
    if (!scaled.has(n)) scaled.set(n, poolMultiplier(t.scale, n, out.scale));
    const m = scaled.get(n)!;
    const q = multiplyByQuantizedMultiplier(v, m.m0, m.shift) + out.zeroPoint;
    return q < qmin ? qmin : q > qmax ? qmax : q;
  };
  for (let c = 0; c < l.output.c; c++) for (let oy = 0; oy < l.output.h; oy++) for (let ox = 0; ox < l.output.w; ox++) {
    let acc = l.op === 'max' ? -Infinity : 0;
    let n = 0;
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const y = oy * sh - pt + ky;
      const x = ox * sw - pl + kx;
      if (y < 0 || y >= H || x < 0 || x >= W) continue;
      const v = t.codes[(c * H + y) * W + x] - t.zeroPoint;
      acc = l.op === 'max' ? Math.max(acc, v) : acc + v;
      n++;
    }
    res[(c * l.output.h + oy) * l.output.w + ox] = l.op === 'max' ? rescale(acc, 1) : rescale(acc, n);
  }
  return res;
}

/**
 * A compute layer the file stores no requantization for (several readers, or fused with an Add), requantized to
 * the grid `out` and clamped by `activation` (none or relu; the plan checked both).
 */
export function requantizedLayer(h: HwqLayer, activation: string, out: ActQuant): IntegerLayer {
  const l = h.header.layer as ConvLayer | FcLayer;
  const { qmin, qmax } = actRange(out);
  const m = channelMultipliers(h.header.act!.scale, h.weightScales, out.scale);
  return {
    layer: l, weights: h.weights, bias: h.bias, inZeroPoint: h.header.act!.zeroPoint, m0: m.m0, shift: m.shift,
    outZeroPoint: out.zeroPoint, min: activation === 'relu' ? Math.max(qmin, out.zeroPoint) : qmin, max: qmax,
  };
}

/** Runs the network on one float input [C][H][W]; `run` computes each compute step (default: the integer model). */
export function runNetwork(model: HwqModel, image: ArrayLike<number>, source: string, run: StepRunner = integerRunner): NetworkResult {
  const net = model.network;
  if (image.length !== numel(net.input)) {
    throw new UserError(`'${source}' takes ${net.input.c}x${net.input.h}x${net.input.w} inputs; got ${image.length} values`);
  }
  const plan = networkPlan(model, source);
  const tensors = new Map<string, CodeTensor>();
  const steps: NetworkResult['steps'] = [];
  const index = new Map(model.layers.map((l, i) => [l, i]));
  let last: { acc: Int32Array; scales: Float64Array } | null = null;

  // The plan checked that every tensor read was computed before, on the reader's grid.
  const codesFor = (name: string, a: ActQuant): Int32Array => (name === 'input' ? quantizeInput(image, a) : tensors.get(name)!.codes);
  const step = (s: ComputeStep): Int32Array => {
    const out = s.out ? run.codes(s) : run.accumulators(s);
    steps.push({ step: s, output: out });
    return out;
  };
  const keep = (name: string, shape: Shape3, codes: Int32Array, out: ActQuant): void => {
    tensors.set(name, { shape, codes, scale: out.scale, zeroPoint: out.zeroPoint });
  };

  for (const s of plan.steps) {
    if (s.kind === 'fused') continue;
    if (s.kind === 'requant' || s.kind === 'readers' || s.kind === 'logits') {
      const { layer: l, hwq: h } = s;
      const input = codesFor(l.inputs[0], h.header.act!);
      if (s.kind === 'requant') {
        keep(l.name, l.output, step({ index: index.get(h)!, integer: integerLayerOf(h, source), input, out: s.out }), s.out);
      } else if (s.kind === 'readers') {
        keep(l.name, l.output, step({ index: index.get(h)!, integer: requantizedLayer(h, l.activation, s.out), input, out: s.out }), s.out);
      } else {
        const L: IntegerLayer = { ...integerShell(h, l), inZeroPoint: h.header.act!.zeroPoint };
        const acc = step({ index: index.get(h)!, integer: L, input, out: null });
        last = { acc, scales: Float64Array.from(h.weightScales, (sc) => sc * h.header.act!.scale) };
      }
    } else if (s.kind === 'add') {
      const { layer: l, out } = s;
      if (s.fused) {
        const h = s.fused.hwq;
        const input = codesFor(h.header.layer.inputs[0], h.header.act!);
        const residual = residualCodes(tensors.get(s.operands[0])!, l.output, out);
        const codes = step({ index: index.get(h)!, integer: requantizedLayer(h, l.activation, out), input, residual, out });
        keep(l.name, l.output, codes, out);
      } else {
        const { qmin, qmax } = actRange(out);
        const lo = l.activation === 'relu' ? Math.max(qmin, out.zeroPoint) : qmin;
        const [ra, rb] = s.operands.map((i) => residualCodes(tensors.get(i)!, l.output, out));
        keep(l.name, l.output, ra.map((v, i) => Math.min(qmax, Math.max(lo, v + rb[i] - out.zeroPoint))), out);
      }
    } else {
      keep(s.layer.name, s.layer.output, poolCodes(s.layer, tensors.get(s.layer.inputs[0])!, s.out), s.out);
    }
  }
  if (!last) throw new Error('internal: the network plan has no logits step');
  const logits = Float64Array.from(last.acc, (v, c) => v * last!.scales[c]);
  return { accumulators: last.acc, scales: last.scales, logits, tensors, steps };
}

/** The last layer: no requantization (its tables are unit multipliers onto the int32 range, unused by the model). */
export function integerShell(h: HwqLayer, l: ComputeLayer): Omit<IntegerLayer, 'inZeroPoint'> {
  if (l.kind === 'matmul') throw new UserError(`layer '${l.name}' is a matmul layer; the network executor runs conv and fc layers`);
  if (h.bias && !(h.bias instanceof Int32Array)) throw new UserError(`layer '${l.name}' has a float bias: it has no integer model`);
  const n = h.weightScales.length;
  return {
    layer: l, weights: h.weights, bias: h.bias, m0: new Int32Array(n).fill(2 ** 30), shift: new Int32Array(n).fill(1),
    outZeroPoint: 0, min: -(2 ** 31), max: 2 ** 31 - 1,
  };
}

export const integerRunner: StepRunner = {
  codes: (s) => runIntegerLayer(s.integer, s.input, s.residual),
  accumulators: (s) => layerAccumulators(s.integer, s.input),
};

/** Index of the largest logit (the first on ties). */
export function top1(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}
