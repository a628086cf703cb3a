// The Fusion Unit: 16 BitBricks fused by a 2x2 quad tree into one multiplier-adder per cycle.
// This module is the bit-exact model that the simulator's array, the RTL generator and the RTL tests share:
// `brickPlan` says which operand slices each BitBrick sees and how far its product is shifted in every mode,
// `fusionUnit` evaluates a plan. The RTL emits the same plan as per-mode multiplexers and shifters.
import { bitBrick } from './bitbrick.js';

/** Operand widths the unit fuses to, in bits. */
export type FuWidth = 2 | 4 | 8;

export interface FuMode {
  a: FuWidth;
  w: FuWidth;
}

/** All nine modes of an 8-bit Fusion Unit, widest first. */
export const FU_MODES: FuMode[] = [
  { a: 8, w: 8 }, { a: 8, w: 4 }, { a: 4, w: 8 }, { a: 4, w: 4 }, { a: 8, w: 2 },
  { a: 2, w: 8 }, { a: 4, w: 2 }, { a: 2, w: 4 }, { a: 2, w: 2 },
];

export const FU_BITS = 8;
export const BRICKS_PER_UNIT = 16;

/** Products (a_i * w_i pairs) one unit sums per cycle: (8/a) * (8/w). */
export function pairsPerCycle(m: FuMode): number {
  return (FU_BITS / m.a) * (FU_BITS / m.w);
}

/** Raise any precision to the width the unit runs it at: the smallest supported width >= bits (min 2). */
export function fuWidth(bits: number): FuWidth {
  if (!Number.isInteger(bits) || bits < 1 || bits > FU_BITS) throw new RangeError(`operand width ${bits} is outside 1..${FU_BITS}`);
  return bits <= 2 ? 2 : bits <= 4 ? 4 : 8;
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

/** The 16 BitBrick operations of a mode, in brick order (brick i of the quad tree = index i). */
export function brickPlan(m: FuMode): BrickOp[] {
  const key = modeName(m);
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
    planNode(FU_BITS, m.a, m.w, pairs, 0, plan);
    if (plan.length !== BRICKS_PER_UNIT) throw new Error(`internal: mode ${key} planned ${plan.length} bricks`);
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
  return signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
}
