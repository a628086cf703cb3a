// The integer form of the QDQ model: the layers form (qdq.ts) with activations quantized wherever the .hwq
// integer model holds codes, so onnxruntime computes what the integer accelerator computes. The grids are the
// network plan's (src/intmodel/network-plan.ts), the one the network executor runs, derived from the .hwq bytes
// of the same quantization:
//   - a tensor the plan holds as codes (a layer read by several layers, an Add, a pool) is fake-quantized on its
//     grid once, and every reader reads the quantized tensor (the shortcut too);
//   - a conv whose only reader is a residual Add is rounded onto the Add's grid but not clamped (Div, Round,
//     Mul): the executor adds the residual codes to its requantized accumulators before it clamps;
//   - a residual operand on another grid than the Add's is fake-quantized on the Add's grid on its way in (after
//     the option-A Slice and Pad, which move values and pad zeros, as the executor moves codes);
//   - each quantized layer's bias is the int32 the accumulator adds, behind a DequantizeLinear of scale sIn * sW.
// What remains between the two is rounding: QuantizeLinear rounds the exact product once, half to even, where the
// executor's fixed-point requantization (requant.ts) rounds twice, first to an integer at the accumulator's scale,
// then by a power-of-two shift with ties away from zero. A value within 2^-shift of a half step can land one code
// away: 1-2 % of a 4-bit layer's codes, and the layers after carry it on (reports/rtl/integer-vs-qdq.md).
// The fixed-point form removes that too: each requantization is spelled out in Round/Floor ops on float64, with the
// executor's own multipliers (integerLayerOf, requantizedLayer, rescaleMultiplier, poolMultiplier), so onnxruntime's
// codes equal the executor's and its logits differ by float32 sums.
import { UserError } from '../errors.js';
import { actRange } from '../intmodel/activation.js';
import { type IntegerLayer, integerLayerOf } from '../intmodel/execute.js';
import { type HwqLayer, readHwq } from '../intmodel/format.js';
import { biasCodes } from '../intmodel/integer-layer.js';
import { type NetworkPlan, networkPlan } from '../intmodel/network-plan.js';
import { INT32_MAX, INT32_MIN, type QuantizedMultiplier } from '../intmodel/requant.js';
import { poolMultiplier, requantizedLayer, rescaleMultiplier } from '../intmodel/run-network.js';
import { attr } from '../onnx/attr.js';
import { makeInitializer, makeNode } from '../onnx/build.js';
import { GraphView, nodeLabel } from '../onnx/graph.js';
import { type INodeProto, type ITensorProto, type ModelProto, onnx } from '../onnx/proto.js';
import { DataType, floatTensor, makeTensor, tensorFromProto } from '../onnx/tensor.js';
import { writeHwq } from './hwq-export.js';
import { type QdqForm, type QdqOptions, toQdqModel } from './qdq.js';
import type { ActQuant, QuantModel } from './types.js';

/**
 * What the metadata entry `hwq.codeTensors` lists: per IR layer whose output the integer model holds as codes, the
 * dequantized tensor of the graph carrying them, so a run can compare layer by layer (codes = value / scale + zeroPoint).
 */
export interface CodeTensorRecord {
  layer: string;
  tensor: string;
  scale: number;
  zeroPoint: number;
}

/** The code tensors an integer-form model lists; empty for other models. */
export function codeTensorsOf(model: { metadataProps?: { key?: string | null; value?: string | null }[] | null }): CodeTensorRecord[] {
  const entry = (model.metadataProps ?? []).find((p) => p.key === 'hwq.codeTensors');
  return entry?.value ? (JSON.parse(entry.value) as CodeTensorRecord[]) : [];
}

/** A requantization: per channel (or one) unit of the integer in the input tensor, M0 and shift; the output clamp. */
interface Requant {
  unit: number[];
  m0: number[];
  shift: number[];
  /** Rank of the tensor (0: the constants are scalars). */
  rank: number;
  clamp?: { zeroPoint: number; min: number; max: number };
}

type Node = INodeProto & { input: string[]; output: string[]; opType: string; name: string };

/** Ops an IR layer's output passes on its way to the tensor the executor holds: its activation. */
const ACTIVATION_OPS = new Set(['Relu', 'Clip']);

const sameGrid = (a: ActQuant, b: ActQuant): boolean => a.scale === b.scale && a.zeroPoint === b.zeroPoint;

/** The QDQ model of `q` in the given form. */
export function qdqModelOf(q: QuantModel, form: QdqForm, opts: Omit<QdqOptions, 'scaleInputs'> = {}): ModelProto {
  return form === 'layers' ? toQdqModel(q, opts) : toIntegerQdqModel(q, form, opts);
}

/**
 * The integer-form QDQ model of `q` (`fixed-point`: with the accelerator's requantization arithmetic); a network
 * the integer executor cannot run is refused, naming why.
 */
export function toIntegerQdqModel(q: QuantModel, form: Exclude<QdqForm, 'layers'> = 'integer', opts: Omit<QdqOptions, 'scaleInputs'> = {}): ModelProto {
  let plan: NetworkPlan;
  try {
    // The grids are the executor's, planned on the .hwq this quantization writes.
    plan = networkPlan(readHwq(writeHwq(q), q.name), q.name);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`--qdq-form ${form} quantizes where the integer model holds codes, which needs a network it runs: ${e.message}`);
    throw e;
  }
  const model = toQdqModel(q, opts);
  new IntegerRewrite(model, q, plan, form).apply();
  return model;
}

class IntegerRewrite {
  private readonly nodes: Node[];
  private readonly inits: ITensorProto[];
  private readonly used = new Set<string>();
  /** IR layer name -> the prepared graph's tensor holding that layer's output after its activation. */
  private readonly held = new Map<string, string>();
  /** IR layer name -> the output of its node (the same name in the prepared graph and the QDQ graph). */
  private readonly irOutput = new Map<string, string>();

  constructor(
    private readonly model: ModelProto,
    private readonly q: QuantModel,
    private readonly plan: NetworkPlan,
    private readonly form: Exclude<QdqForm, 'layers'>,
  ) {
    const g = model.graph!;
    this.nodes = (g.node ?? []).map((n) => Object.assign(n, { input: [...(n.input ?? [])], output: [...(n.output ?? [])], opType: n.opType ?? '', name: n.name ?? '' }));
    this.inits = [...(g.initializer ?? [])];
    for (const t of this.inits) this.used.add(t.name ?? '');
    for (const n of this.nodes) for (const x of [...n.input, ...n.output, n.name]) this.used.add(x);
    for (const v of [...(g.input ?? []), ...(g.output ?? [])]) this.used.add(v.name ?? '');
    // The network IR was read from q.prepared and names its layers after that graph's nodes.
    const pg = new GraphView(q.prepared);
    const byLabel = new Map(pg.nodes.map((n) => [nodeLabel(n), n]));
    for (const s of plan.steps) {
      const n = byLabel.get(s.layer.name);
      if (!n) throw new Error(`internal: IR layer '${s.layer.name}' has no node in the prepared graph of ${q.name}`);
      this.irOutput.set(s.layer.name, n.outputs[0]);
      let t = n.outputs[0];
      for (;;) {
        const cs = pg.consumers(t);
        if (cs.length !== 1 || pg.isGraphOutput(t) || !ACTIVATION_OPS.has(cs[0].opType)) break;
        t = cs[0].outputs[0];
      }
      this.held.set(s.layer.name, t);
    }
  }

  private unique(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  private constant(base: string, t: ReturnType<typeof makeTensor>): string {
    const name = this.unique(base);
    this.inits.push(makeInitializer(name, t));
    return name;
  }

  private add(node: Parameters<typeof makeNode>[0]): Node {
    const n = makeNode({ ...node, name: this.unique(node.name ?? node.op) }) as Node;
    this.nodes.push(n);
    return n;
  }

  private consumers(t: string): Node[] {
    return this.nodes.filter((n) => n.input.includes(t));
  }

  private scalar(name: string): number | undefined {
    const t = this.inits.find((i) => i.name === name);
    return t ? Number(tensorFromProto(t).data[0]) : undefined;
  }

  /** The output of a chain already fake-quantizing `t` on grid `a` (the layers form's chain of a reader on that grid). */
  private existingChain(t: string, a: ActQuant): string | undefined {
    const { lo, hi } = actRange(a);
    for (const c of this.consumers(t)) {
      let qn: Node | undefined = c;
      if (c.opType === 'Clip') {
        if (this.scalar(c.input[1]) !== Math.fround(lo) || this.scalar(c.input[2]) !== Math.fround(hi)) continue;
        const next = this.consumers(c.output[0]);
        qn = next.length === 1 ? next[0] : undefined;
      } else if (a.bits < 8) continue;
      if (qn?.opType !== 'QuantizeLinear' || this.scalar(qn.input[1]) !== Math.fround(a.scale) || this.scalar(qn.input[2]) !== a.zeroPoint) continue;
      const zp = this.inits.find((i) => i.name === qn!.input[2]);
      if (zp?.dataType !== (a.signed ? DataType.INT8 : DataType.UINT8)) continue;
      const dq = this.consumers(qn.output[0]);
      if (dq.length === 1 && dq[0].opType === 'DequantizeLinear') return dq[0].output[0];
    }
    return undefined;
  }

  /** [Clip ->] QuantizeLinear -> DequantizeLinear of `t` on grid `a`, as qdq.ts writes a layer's input chain. */
  private fakeQuant(t: string, a: ActQuant): string {
    const { lo, hi } = actRange(a);
    const stem = `${t}_a${a.bits}${a.signed ? 's' : 'u'}`;
    const sc = this.constant(`${stem}_scale`, floatTensor([], [a.scale]));
    const zp = this.constant(`${stem}_zero_point`, makeTensor(a.signed ? DataType.INT8 : DataType.UINT8, [], [a.zeroPoint]));
    let x = t;
    // QuantizeLinear saturates at the 8-bit container's range: only narrower grids need the Clip.
    if (a.bits < 8) {
      const lo_ = this.constant(`${stem}_clip_min`, floatTensor([], [lo]));
      const hi_ = this.constant(`${stem}_clip_max`, floatTensor([], [hi]));
      x = this.add({ op: 'Clip', name: `${stem}_Clip`, inputs: [x, lo_, hi_], outputs: [this.unique(`${stem}_clipped`)] }).output[0];
    }
    const quant = this.add({ op: 'QuantizeLinear', name: `${stem}_QuantizeLinear`, inputs: [x, sc, zp], outputs: [this.unique(`${stem}_quantized`)] });
    return this.add({ op: 'DequantizeLinear', name: `${stem}_DequantizeLinear`, inputs: [quant.output[0], sc, zp], outputs: [this.unique(`${stem}_dequantized`)] })
      .output[0];
  }

  /** Every reader of `t` but the chain quantizing it reads the codes of grid `a` instead; returns the quantized tensor. */
  private holdAsCodes(t: string, a: ActQuant): string {
    const out = this.existingChain(t, a) ?? this.fakeQuant(t, a);
    const chainHead = (n: Node) => n.output.some((o) => o === out) || this.reaches(n, out);
    for (const n of this.consumers(t)) {
      if (chainHead(n)) continue;
      n.input = n.input.map((i) => (i === t ? out : i));
    }
    return out;
  }

  /** Whether `n`'s outputs lead to `target` within the three nodes of a fake-quantization chain. */
  private reaches(n: Node, target: string, depth = 3): boolean {
    if (depth === 0) return false;
    return n.output.some((o) => o === target || this.consumers(o).some((c) => this.reaches(c, target, depth - 1)));
  }

  /** The IR layer whose held tensor an Add input comes from, walking back through value-moving ops (the option-A Slice and Pad). */
  private operandOf(t: string, pg: GraphView): string | undefined {
    const byTensor = new Map([...this.held].map(([layer, tensor]) => [tensor, layer]));
    for (let cur = t, steps = 0; steps < 32; steps++) {
      const layer = byTensor.get(cur);
      if (layer) return layer;
      const p = pg.producer(cur);
      if (!p || !p.inputs[0]) return undefined;
      cur = p.inputs[0];
    }
    return undefined;
  }

  apply(): void {
    const pg = new GraphView(this.q.prepared);
    const fusedOutput = new Set<string>();
    // Edges first, found on the prepared graph before any tensor is renamed: each Add's operands and fused conv.
    for (const s of this.plan.steps) {
      if (s.kind !== 'add') continue;
      const addNode = this.nodes.find((n) => n.output[0] === this.irOutput.get(s.layer.name))!;
      for (const [k, t] of addNode.input.entries()) {
        const from = this.operandOf(t, pg);
        if (s.fused && from === s.fused.name) {
          // Rounded onto the Add's grid without a clamp: the executor clamps only the sum.
          addNode.input[k] = this.fixedPoint ? this.requantize(t, this.layerRequant(s.fused.hwq, requantizedLayer(s.fused.hwq, s.layer.activation, s.out)), s.out.scale)
            : this.roundOnto(t, s.out.scale);
          fusedOutput.add(s.fused.name);
          continue;
        }
        if (!from || !s.operands.includes(from)) throw new Error(`internal: input '${t}' of Add '${s.layer.name}' comes from no operand of the network plan`);
        const grid = this.plan.grids.get(from)!;
        if (sameGrid(grid, s.out)) continue;
        addNode.input[k] = this.fixedPoint ? this.requantize(t, this.scalarRequant(grid.scale, rescaleMultiplier(grid, s.out), s.out), s.out.scale)
          : this.fakeQuant(t, s.out);
      }
      if (s.fused && !fusedOutput.has(s.fused.name)) throw new Error(`internal: Add '${s.layer.name}' reads no output of its fused layer '${s.fused.name}'`);
    }
    const codes: CodeTensorRecord[] = [];
    for (const s of this.plan.steps) {
      if (s.kind === 'logits' || s.kind === 'fused') continue;
      const held = this.held.get(s.layer.name)!;
      const tensor = s.kind === 'requant' ? this.existingChain(held, s.out) : this.holdAsCodes(held, s.out);
      if (tensor) codes.push({ layer: s.layer.name, tensor, scale: s.out.scale, zeroPoint: s.out.zeroPoint });
    }
    if (this.fixedPoint) this.requantizeOutputs();
    this.quantizeBiases();
    const g = this.model.graph!;
    g.initializer = this.inits;
    g.node = topologicalOrder(this.nodes, new Set([...this.inits.map((t) => t.name ?? ''), ...(g.input ?? []).map((v) => v.name ?? '')]));
    const meta = (this.model.metadataProps ?? []).filter((p) => p.key !== 'hwq.qdqForm');
    this.model.metadataProps = [...meta, ...Object.entries({ 'hwq.qdqForm': this.form, 'hwq.codeTensors': JSON.stringify(codes) })
      .map(([key, value]) => onnx.StringStringEntryProto.create({ key, value }))];
    this.model.docString = `${this.model.docString ?? ''}; ${this.form} form: activations quantized wherever the .hwq integer model holds codes`
      + (this.fixedPoint ? ', requantized with its fixed-point multipliers' : '');
  }

  private get fixedPoint(): boolean {
    return this.form === 'fixed-point';
  }

  /** `t` rounded onto the grid of `scale` (half to even), not clamped. */
  private roundOnto(t: string, scale: number): string {
    const sc = this.constant(`${t}_add_grid_scale`, floatTensor([], [scale]));
    const steps = this.add({ op: 'Div', name: `${t}_ToAddGrid`, inputs: [t, sc], outputs: [this.unique(`${t}_add_grid_steps`)] });
    const rounded = this.add({ op: 'Round', name: `${t}_RoundToAddGrid`, inputs: [steps.output[0]], outputs: [this.unique(`${t}_add_grid_rounded`)] });
    return this.add({ op: 'Mul', name: `${t}_FromAddGrid`, inputs: [rounded.output[0], sc], outputs: [this.unique(`${t}_on_add_grid`)] }).output[0];
  }

  /** Every reader of `t` reads what `build` makes of it instead. */
  private insertAfter(t: string, build: (t: string) => string): void {
    const readers = this.consumers(t);
    const out = build(t);
    for (const n of readers) n.input = n.input.map((i) => (i === t ? out : i));
  }

  /** The requantization of a compute layer's accumulators (conv: per channel over [N, C, H, W]; fc: over [N, C]). */
  private layerRequant(h: HwqLayer, L: IntegerLayer, clamp?: { zeroPoint: number; min: number; max: number }): Requant {
    const act = h.header.act!;
    // A dead channel (scale 0) outputs 0, whatever unit reads it back.
    const unit = Array.from(h.weightScales, (s) => (s * act.scale > 0 ? s * act.scale : 1));
    return { unit, m0: Array.from(L.m0), shift: Array.from(L.shift), rank: h.header.layer.kind === 'conv' ? 4 : 2, clamp };
  }

  private scalarRequant(unit: number, m: QuantizedMultiplier, out: ActQuant): Requant {
    const { qmin, qmax } = actRange(out);
    return { unit: [unit], m0: [m.m0], shift: [m.shift], rank: 0, clamp: { zeroPoint: out.zeroPoint, min: qmin, max: qmax } };
  }

  /**
   * `x`, a tensor of integers times `r.unit`, through the accelerator's requantization (requant.ts): the integer
   * recovered (Round: float32 sums stay far within half a unit of it), then in float64, where every step is exact,
   * the left shift saturated to int32, SaturatingRoundingDoublingHighMul (floor(v * M0 / 2^31 + 1/2)) and
   * RoundingDivideByPOT (ties away from zero), the zero point and the clamp; out as values on the grid of `scale`.
   */
  private requantize(x: string, r: Requant, scale: number): string {
    const n = r.unit.length;
    const dims = r.rank === 0 ? [] : r.rank === 4 ? [1, n, 1, 1] : [1, n];
    const stem = `${x}_requant`;
    const double = (name: string, v: number[]) => this.constant(`${stem}_${name}`, makeTensor(DataType.DOUBLE, dims, v));
    const scalar = (name: string, v: number) => this.constant(`${stem}_${name}`, makeTensor(DataType.DOUBLE, [], [v]));
    const op = (o: string, inputs: string[], attrs: Parameters<typeof makeNode>[0]['attrs'] = {}): string =>
      this.add({ op: o, name: `${stem}_${o}`, inputs, outputs: [this.unique(`${stem}_${o.toLowerCase()}`)], attrs }).output[0];
    const unit = this.constant(`${stem}_unit`, floatTensor(dims, r.unit));
    let v = op('Cast', [op('Round', [op('Div', [x, unit])])], { to: attr.int(DataType.DOUBLE) });
    if (r.shift.some((s) => s > 0)) {
      v = op('Clip', [op('Mul', [v, double('left', r.shift.map((s) => 2 ** Math.max(0, s)))]), scalar('int32_min', INT32_MIN), scalar('int32_max', INT32_MAX)]);
    }
    const half = scalar('half', 0.5);
    const high = op('Floor', [op('Add', [op('Mul', [v, double('m0', r.m0.map((m) => m * 2 ** -31))]), half])]);
    const divided = op('Floor', [op('Add', [op('Mul', [op('Abs', [high]), double('right', r.shift.map((s) => 2 ** -Math.max(0, -s)))]), half])]);
    let q = op('Mul', [op('Sign', [high]), divided]);
    if (r.clamp) q = op('Clip', [q, scalar('min', r.clamp.min - r.clamp.zeroPoint), scalar('max', r.clamp.max - r.clamp.zeroPoint)]);
    return op('Mul', [op('Cast', [q], { to: attr.int(DataType.FLOAT) }), this.constant(`${stem}_scale`, floatTensor([], [scale]))]);
  }

  /** Fixed point: each layer's and pool's output requantized as the executor does, before the chains that quantize it. */
  private requantizeOutputs(): void {
    for (const s of this.plan.steps) {
      const t = this.irOutput.get(s.layer.name)!;
      if (s.kind === 'requant' || s.kind === 'readers') {
        const L = s.kind === 'requant' ? integerLayerOf(s.hwq, this.q.name) : requantizedLayer(s.hwq, s.layer.activation, s.out);
        const r = this.layerRequant(s.hwq, L, { zeroPoint: L.outZeroPoint, min: L.min, max: L.max });
        this.insertAfter(t, (x) => this.requantize(x, r, s.out.scale));
      } else if (s.kind === 'pool') {
        const p = s.layer;
        const inGrid = this.plan.grids.get(p.inputs[0])!;
        const n = p.op === 'max' ? 1 : p.kernel[0] * p.kernel[1];
        if (p.op === 'avg' && !p.global && p.pad.some((v) => v > 0)) {
          throw new UserError(`--qdq-form fixed-point: average pool '${p.name}' has padding, so its windows average different counts; `
            + 'the fixed-point form requantizes one count per pool');
        }
        // The graph's average is the sum times inScale / n: the sum's integer comes back with unit inScale / n.
        const r = this.scalarRequant(inGrid.scale / n, poolMultiplier(inGrid.scale, n, s.out.scale), s.out);
        this.insertAfter(t, (x) => this.requantize(x, r, s.out.scale));
      }
    }
  }

  /** Each Conv and Gemm bias becomes the int32 the accumulator adds, dequantized with scale sIn * sW[c]. */
  private quantizeBiases(): void {
    for (const l of this.q.layers) {
      if (!l.act || !l.bias) continue;
      const node = this.nodes.find((n) => n.output[0] === l.outputTensor && (n.opType === 'Conv' || n.opType === 'Gemm'));
      if (!node?.input[2]) continue;
      const codes = this.constant(`${l.weightName}_bias_quantized`, makeTensor(DataType.INT32, [l.bias.length], biasCodes(l.bias, l.act, l.wScales)));
      const scale = this.constant(`${l.weightName}_bias_scale`, floatTensor([l.bias.length], l.wScales.map((s) => s * l.act!.scale)));
      const out = this.unique(`${l.weightName}_bias_dequantized`);
      this.add({ op: 'DequantizeLinear', name: `${l.weightName}_bias_DequantizeLinear`, inputs: [codes, scale], outputs: [out], attrs: { axis: attr.int(0) } });
      node.input[2] = out;
    }
    // The float biases no node reads any more go, from the graph inputs too (old IR versions list initializers there).
    const read = new Set(this.nodes.flatMap((n) => n.input));
    const dropped = new Set(this.inits.filter((t) => !read.has(t.name ?? '')).map((t) => t.name ?? ''));
    const kept = this.inits.filter((t) => !dropped.has(t.name ?? ''));
    this.inits.length = 0;
    this.inits.push(...kept);
    const g = this.model.graph!;
    g.input = (g.input ?? []).filter((v) => !dropped.has(v.name ?? ''));
  }
}

/** The nodes in an order where each runs after the producers of its inputs, otherwise as listed (ONNX requires it). */
function topologicalOrder(nodes: Node[], available: Set<string>): Node[] {
  const have = new Set([...available, '']);
  const out: Node[] = [];
  let rest = nodes;
  while (rest.length) {
    const next: Node[] = [];
    for (const n of rest) {
      if (n.input.every((i) => have.has(i))) {
        out.push(n);
        for (const o of n.output) have.add(o);
      } else next.push(n);
    }
    if (next.length === rest.length) throw new Error(`internal: the integer QDQ graph has a cycle or a missing input at '${next[0].name}'`);
    rest = next;
  }
  return out;
}
