// Where the integer model of a .hwq network holds codes, and on which grids: one pass over the network IR that
// decides, per layer, what the network executor (run-network.ts) computes, before any image is seen. The
// executor runs the plan; the integer form of the QDQ ONNX model (src/quant/qdq-integer.ts) writes the same plan
// as QuantizeLinear/DequantizeLinear nodes, so the two cannot disagree on a grid.
import { UserError } from '../errors.js';
import type { AddLayer, ComputeLayer, Layer, Network, PoolLayer } from '../model/ir.js';
import type { ActQuant } from './activation.js';
import type { HwqLayer, HwqModel } from './format.js';

/** A compute layer whose output the file requantizes to the input codes of the next layer (HwqLayer.requant). */
export interface RequantStep {
  kind: 'requant';
  layer: ComputeLayer;
  hwq: HwqLayer;
  out: ActQuant;
}

/** A compute layer read by several layers (a conv and a shortcut): requantized to its readers' grid, clamped by its activation. */
export interface ReadersStep {
  kind: 'readers';
  layer: ComputeLayer;
  hwq: HwqLayer;
  out: ActQuant;
}

/** The last compute layer: no quantized reader, its int32 accumulators are the logits. */
export interface LogitsStep {
  kind: 'logits';
  layer: ComputeLayer;
  hwq: HwqLayer;
}

/** A compute layer whose only reader is an Add: its accumulators are requantized by the Add's step, onto the Add's grid. */
export interface FusedStep {
  kind: 'fused';
  layer: ComputeLayer;
  hwq: HwqLayer;
  add: AddLayer;
}

/**
 * A residual Add on the grid `out`: with `fused`, that compute layer's accumulators requantized to `out` (not
 * clamped) plus the residual operand; otherwise the sum of its two operands. Each operand in `operands` is
 * rescaled to `out` and clamped where its own grid differs, the sum clamped by the Add's activation.
 */
export interface AddStep {
  kind: 'add';
  layer: AddLayer;
  out: ActQuant;
  fused: { name: string; hwq: HwqLayer } | null;
  operands: string[];
}

/** Pooling onto the grid `out` of the pool's reader. */
export interface PoolStep {
  kind: 'pool';
  layer: PoolLayer;
  out: ActQuant;
}

export type PlanStep = RequantStep | ReadersStep | LogitsStep | FusedStep | AddStep | PoolStep;

export interface NetworkPlan {
  /** In the network's layer order. */
  steps: PlanStep[];
  /** The grid of every tensor held as codes, by the name of the IR layer producing it (the input is quantized per reader). */
  grids: Map<string, ActQuant>;
}

interface Graph {
  net: Network;
  readers: Map<string, Layer[]>;
  hwqOf: Map<string, HwqLayer>;
}

function graphOf(model: HwqModel): Graph {
  const net = model.network;
  const readers = new Map<string, Layer[]>();
  for (const l of net.layers) for (const i of l.inputs) readers.set(i, [...(readers.get(i) ?? []), l]);
  const hwqOf = new Map(model.layers.map((l) => [net.layers[l.irIndex].name, l]));
  return { net, readers, hwqOf };
}

/** The activation grid of the quantized compute layer reading a tensor directly, if any. */
function readerGrid(g: Graph, name: string): ActQuant | undefined {
  for (const r of g.readers.get(name) ?? []) {
    const h = g.hwqOf.get(r.name);
    if (h?.header.act) return h.header.act;
  }
  return undefined;
}

/** The activation grid of a tensor: that of the quantized compute layer it reaches through pools and Adds (first found). */
function gridOf(g: Graph, name: string, source: string, seen = new Set<string>()): ActQuant {
  seen.add(name);
  const direct = readerGrid(g, name);
  if (direct) return direct;
  for (const r of g.readers.get(name) ?? []) if ((r.kind === 'pool' || r.kind === 'add') && !seen.has(r.name)) {
    const a = gridOf(g, r.name, source, seen);
    if (a) return a;
  }
  throw new UserError(`'${source}': the output of '${name}' reaches no quantized layer, so it has no activation grid`);
}

function checkGrid(a: ActQuant, what: string, source: string): void {
  if (a.channelScales) throw new UserError(`'${source}' ${what} has per-channel activation scales (ECAQ); the network executor runs per-layer scales`);
}

/**
 * The grid of an Add no quantized layer reads directly (it feeds a pool): 8-bit codes spanning the range of its
 * residual operand's grid. Quantizing it on the pool reader's grid instead would clip it: the average is far
 * smaller than the values averaged.
 */
export function pooledAddGrid(residual: Pick<ActQuant, 'scale' | 'zeroPoint'>, residualGrid: ActQuant): ActQuant {
  if (residual.zeroPoint !== 0) throw new RangeError('a pooled Add needs a residual grid with zero point 0');
  const top = residualGrid.signed ? 2 ** (residualGrid.bits - 1) - 1 : 2 ** residualGrid.bits - 1;
  return { bits: 8, signed: residualGrid.signed, scale: (residual.scale * top) / (residualGrid.signed ? 127 : 255), zeroPoint: 0 };
}

/** The checks of a compute layer that the executor requantizes itself (onto a readers' or an Add's grid). */
function checkRequantizable(h: HwqLayer, activation: string, source: string): void {
  const what = `'${source}' layer '${h.header.name}'`;
  const l = h.header.layer;
  if (l.kind !== 'conv' && l.kind !== 'fc') throw new UserError(`${what} is a ${l.kind} layer; the integer executor runs conv and fc layers`);
  if (activation !== 'none' && activation !== 'relu') throw new UserError(`${what} ends in ${activation}; the network executor runs none or relu`);
}

/** The plan of a .hwq network; a network the executor cannot run is refused here, naming the layer and why. */
export function networkPlan(model: HwqModel, source: string): NetworkPlan {
  const g = graphOf(model);
  const grids = new Map<string, ActQuant>();
  const steps: PlanStep[] = [];
  /** The grid a layer reads `name` on must be the grid the plan holds it on (the network input is quantized per reader). */
  const checkRead = (name: string, a: ActQuant, reader: string): void => {
    if (name === 'input') return;
    const t = grids.get(name);
    if (!t) throw new UserError(`'${source}' layer '${reader}' reads '${name}', which the network executor did not compute`);
    if (t.scale !== a.scale || t.zeroPoint !== a.zeroPoint) throw new UserError(`'${source}' layer '${reader}' reads '${name}' on another grid than its own`);
  };
  const soleAdd = (name: string): AddLayer | undefined => {
    const rs = g.readers.get(name) ?? [];
    return rs.length === 1 && rs[0].kind === 'add' ? rs[0] : undefined;
  };

  for (const l of g.net.layers) {
    if (l.kind === 'conv' || l.kind === 'fc' || l.kind === 'matmul') {
      const h = g.hwqOf.get(l.name);
      if (!h) throw new UserError(`'${source}' compute layer '${l.name}' has no quantized layer in the file`);
      if (h.header.act) checkGrid(h.header.act, `layer '${l.name}'`, source);
      const add = soleAdd(l.name);
      if (add && !h.requant) {
        steps.push({ kind: 'fused', layer: l, hwq: h, add });
        continue;
      }
      if (l.kind === 'matmul') throw new UserError(`'${source}' layer '${l.name}' is a matmul layer; the network executor runs conv and fc layers`);
      if (!h.header.act) throw new UserError(`'${source}' layer '${l.name}' reads float activations (weight-only quantization): it has no integer model`);
      checkRead(l.inputs[0], h.header.act, l.name);
      if (h.requant) {
        const out = model.layers[h.requant.next].header.act!;
        steps.push({ kind: 'requant', layer: l, hwq: h, out });
        grids.set(l.name, out);
      } else if ((g.readers.get(l.name) ?? []).length === 0) {
        steps.push({ kind: 'logits', layer: l, hwq: h });
      } else {
        // Several readers (a conv and a shortcut): the file stores no requantization, the grid is the readers'.
        const out = gridOf(g, l.name, source);
        checkGrid(out, `layer '${l.name}' output`, source);
        checkRequantizable(h, l.activation, source);
        steps.push({ kind: 'readers', layer: l, hwq: h, out });
        grids.set(l.name, out);
      }
    } else if (l.kind === 'add') {
      if (l.inputs.length !== 2) throw new UserError(`'${source}' Add '${l.name}' has ${l.inputs.length} inputs; the network executor adds two`);
      const fused = l.inputs.find((i) => !grids.has(i) && g.hwqOf.has(i));
      const other = l.inputs.find((i) => i !== fused)!;
      const t = grids.get(other);
      if (!t) throw new UserError(`'${source}' Add '${l.name}' reads '${other}', which the network executor did not compute`);
      const out = readerGrid(g, l.name) ?? pooledAddGrid(t, gridOf(g, other, source));
      checkGrid(out, `Add '${l.name}'`, source);
      if (fused) {
        const h = g.hwqOf.get(fused)!;
        const fl = h.header.layer;
        if (fl.kind !== 'matmul' && fl.activation !== 'none') {
          throw new UserError(`'${source}' layer '${h.header.name}' applies ${fl.activation} before the residual Add '${l.name}'; `
            + 'the network executor fuses plain layers only');
        }
        if (!h.header.act) throw new UserError(`'${source}' layer '${h.header.name}' reads float activations (weight-only quantization): it has no integer model`);
        checkRequantizable(h, l.activation, source);
        checkRead(fl.inputs[0], h.header.act, fused);
        steps.push({ kind: 'add', layer: l, out, fused: { name: fused, hwq: h }, operands: [other] });
      } else {
        if (!l.inputs.every((i) => grids.has(i))) throw new UserError(`'${source}' Add '${l.name}' reads a tensor the network executor did not compute`);
        steps.push({ kind: 'add', layer: l, out, fused: null, operands: [...l.inputs] });
      }
      grids.set(l.name, out);
    } else {
      if (!grids.has(l.inputs[0])) throw new UserError(`'${source}' pool '${l.name}' reads '${l.inputs[0]}', which the network executor did not compute`);
      const out = gridOf(g, l.name, source);
      steps.push({ kind: 'pool', layer: l, out });
      grids.set(l.name, out);
    }
  }
  if (!steps.some((s) => s.kind === 'logits')) {
    throw new UserError(`'${source}' has no final compute layer without readers: the network executor cannot name its logits`);
  }
  return { steps, grids };
}
