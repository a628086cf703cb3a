// The Fusion Unit: (L/2)^2 BitBricks fused by a quad tree into one L-bit multiplier-adder per cycle. The Bit
// Fusion paper's unit is L = 8 with 16 BitBricks; L = 4 (4 bricks) and L = 16 (64 bricks) are the same tree one
// level down or up, so the unit width is a parameter of every mode and nothing here assumes 8.
// This module is the bit-exact model that the simulator's array, the RTL generator and the RTL tests share:
// `brickPlan` says which operand slices each BitBrick sees and how far its product is shifted in every mode,
// `fusionUnit` evaluates a plan. The RTL emits the same plan as per-mode multiplexers and shifters.
import { bitBrick } from './bitbrick.js';
import { gridRange } from '../src/intmodel/grid.js';

/** Operand widths a unit fuses to, in bits (powers of two from 2 up to the unit width). */
export type FuWidth = 2 | 4 | 8 | 16;

/** Unit widths a quad tree of 2-bit BitBricks builds. */
export const UNIT_WIDTHS = [4, 8, 16] as const;
export type UnitWidth = (typeof UNIT_WIDTHS)[number];

export interface FuMode {
  a: FuWidth;
  w: FuWidth;
  /** Width of the unit running the mode (its widest operand): how many pairs one cycle sums depends on it. */
  unit: UnitWidth;
}

/** BitBricks in a unit of width L: (L/2)^2. */
export function bricksPerUnit(unit: number): number {
  return (unit / 2) ** 2;
}

/** Operand widths a unit of width `unit` runs: 2, 4, ..., unit. */
export function unitOperandWidths(unit: UnitWidth): FuWidth[] {
  const out: FuWidth[] = [];
  for (let b = 2; b <= unit; b *= 2) out.push(b as FuWidth);
  return out;
}

/**
 * Every mode of a unit, widest products first (ties: the squarer mode first, then wider activations), so the
 * 8-bit unit lists 8x8, 8x4, 4x8, 4x4, 8x2, 2x8, 4x2, 2x4, 2x2.
 */
export function fuModes(unit: UnitWidth): FuMode[] {
  const ws = unitOperandWidths(unit);
  const modes = ws.flatMap((a) => ws.map((w) => ({ a, w, unit })));
  return modes.sort((x, y) => y.a * y.w - x.a * x.w || Math.max(x.a, x.w) - Math.max(y.a, y.w) || y.a - x.a);
}

/** The nine modes of the Bit Fusion paper's 8-bit unit (the one the RTL generator builds). */
export const FU_MODES: FuMode[] = fuModes(8);

/** Products (a_i * w_i pairs) one unit sums per cycle: (L/a) * (L/w). */
export function pairsPerCycle(m: FuMode): number {
  return (m.unit / m.a) * (m.unit / m.w);
}

/** Raise any precision to the width a unit runs it at: the smallest operand width >= bits (min 2). */
export function fuWidth(bits: number, unit: UnitWidth): FuWidth {
  if (!Number.isInteger(bits) || bits < 1 || bits > unit) throw new RangeError(`operand width ${bits} is outside 1..${unit}`);
  return unitOperandWidths(unit).find((w) => w >= bits)!;
}

/** The mode a unit of width `unit` runs activations of `a` bits and weights of `w` bits in. */
export function modeFor(a: number, w: number, unit: UnitWidth): FuMode {
  return { a: fuWidth(a, unit), w: fuWidth(w, unit), unit };
}

export function modeName(m: FuMode): string {
  return `${m.a}x${m.w}`;
}

/** What one BitBrick does in a mode: which pair and slice it multiplies and its shift into the sum. */
export interface BrickOp {
  /** Index of the (activation, weight) pair, 0 .. pairsPerCycle-1. */
  pair: number;
  /** Which 2-bit slice of the activation / weight (0 = least significant). */
  aSlice: number;
  wSlice: number;
  /** Slice is the top slice of its operand, so it carries the operand's sign. */
  aTop: boolean;
  wTop: boolean;
  /** Left shift of the brick's product in bits. */
  shift: number;
}

interface Operand {
  pair: number;
  /** Slice indices (LSB first) of this node's view of the operand. */
  slices: number[];
  top: boolean;
}

/**
 * The quad tree: a node of width L multiplies operands of widths a, w <= L. Its four children have width
 * L/2 and are shifted by s*L/2 with s = (0,1,1,2) when both are full width, (0,1,0,1) when only the
 * activation is, (0,0,1,1) when only the weight is, and (0,0,0,0) when neither (four independent groups).
 * Pairs split among children in order, so pair indices come out in a fixed, documented order.
 */
function planNode(L: number, aW: number, wW: number, pairs: Array<[Operand, Operand]>, shift: number, out: BrickOp[]): void {
  if (L === 2) {
    const [[x, y]] = pairs;
    out.push({ pair: x.pair, aSlice: x.slices[0], wSlice: y.slices[0], aTop: x.top, wTop: y.top, shift });
    return;
  }
  const half = L / 2;
  const lo = (o: Operand): Operand => ({ pair: o.pair, slices: o.slices.slice(0, o.slices.length / 2), top: false });
  const hi = (o: Operand): Operand => ({ pair: o.pair, slices: o.slices.slice(o.slices.length / 2), top: o.top });
  const aFull = aW === L;
  const wFull = wW === L;
  const childA = aFull ? half : aW;
  const childW = wFull ? half : wW;
  if (aFull && wFull) {
    const [x, y] = pairs[0];
    planNode(half, childA, childW, [[lo(x), lo(y)]], shift, out);
    planNode(half, childA, childW, [[hi(x), lo(y)]], shift + half, out);
    planNode(half, childA, childW, [[lo(x), hi(y)]], shift + half, out);
    planNode(half, childA, childW, [[hi(x), hi(y)]], shift + 2 * half, out);
  } else if (aFull) {
    const g0 = pairs.slice(0, pairs.length / 2);
    const g1 = pairs.slice(pairs.length / 2);
    planNode(half, childA, childW, g0.map(([x, y]) => [lo(x), y]), shift, out);
    planNode(half, childA, childW, g0.map(([x, y]) => [hi(x), y]), shift + half, out);
    planNode(half, childA, childW, g1.map(([x, y]) => [lo(x), y]), shift, out);
    planNode(half, childA, childW, g1.map(([x, y]) => [hi(x), y]), shift + half, out);
  } else if (wFull) {
    const g0 = pairs.slice(0, pairs.length / 2);
    const g1 = pairs.slice(pairs.length / 2);
    planNode(half, childA, childW, g0.map(([x, y]) => [x, lo(y)]), shift, out);
    planNode(half, childA, childW, g1.map(([x, y]) => [x, lo(y)]), shift, out);
    planNode(half, childA, childW, g0.map(([x, y]) => [x, hi(y)]), shift + half, out);
    planNode(half, childA, childW, g1.map(([x, y]) => [x, hi(y)]), shift + half, out);
  } else {
    const q = pairs.length / 4;
    for (let c = 0; c < 4; c++) planNode(half, childA, childW, pairs.slice(c * q, (c + 1) * q), shift, out);
  }
}

const planCache = new Map<string, BrickOp[]>();

/** The (unit/2)^2 BitBrick operations of a mode, in brick order (brick i of the quad tree = index i). */
export function brickPlan(m: FuMode): BrickOp[] {
  const key = `${modeName(m)}/${m.unit}`;
  let plan = planCache.get(key);
  if (!plan) {
    const n = pairsPerCycle(m);
    const pairs: Array<[Operand, Operand]> = [];
    for (let p = 0; p < n; p++) {
      pairs.push([
        { pair: p, slices: range(m.a / 2), top: true },
        { pair: p, slices: range(m.w / 2), top: true },
      ]);
    }
    plan = [];
    if (m.a > m.unit || m.w > m.unit) throw new RangeError(`mode ${key}: operands wider than the unit`);
    planNode(m.unit, m.a, m.w, pairs, 0, plan);
    if (plan.length !== bricksPerUnit(m.unit)) throw new Error(`internal: mode ${key} planned ${plan.length} bricks`);
    planCache.set(key, plan);
  }
  return plan;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The 2-bit slice `s` of a two's-complement (or unsigned) integer. */
export function slice(v: number, s: number): number {
  return (v >> (2 * s)) & 3;
}

/**
 * One cycle of a Fusion Unit: sum_i acts[i] * wts[i] over pairsPerCycle(mode) pairs, computed the way the
 * hardware does (BitBrick products, shifted and added). Values must lie in the mode's signed or unsigned
 * range; missing pairs count as zero.
 */
export function fusionUnit(m: FuMode, acts: ArrayLike<number>, wts: ArrayLike<number>, aSigned: boolean, wSigned: boolean): number {
  let sum = 0;
  for (const op of brickPlan(m)) {
    const a = acts[op.pair] ?? 0;
    const w = wts[op.pair] ?? 0;
    sum += bitBrick(slice(a, op.aSlice), aSigned && op.aTop, slice(w, op.wSlice), wSigned && op.wTop) * 2 ** op.shift;
  }
  return sum;
}

/** The integer range of a `bits`-wide operand. */
export function operandRange(bits: number, signed: boolean): [number, number] {
  return gridRange(bits, signed);
}
