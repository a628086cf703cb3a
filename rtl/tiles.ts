// Tiles for the array and core tests: random and extreme GEMM tiles in any mode, and their packed words in
// the order the hardware reads them (IBUF bank r word t = m*S + s; WBUF bank (r, c) word s).
import { operandRange, pairsPerCycle } from '../hw/fusion-unit.js';
import type { ArrayTile, TileShape } from '../hw/stepped-array.js';
import { packWord } from './pack.js';

export type TileFill = 'random' | 'max' | 'min' | 'mixed';

export interface TileSpec extends TileShape {
  fill: TileFill;
}

/** A tile whose operands are random in range, or all at an extreme ('mixed': max activations, min weights). */
export function makeTile(spec: TileSpec, rand: () => number): ArrayTile {
  const P = pairsPerCycle(spec.mode);
  const [alo, ahi] = operandRange(spec.mode.a, spec.aSigned);
  const [wlo, whi] = operandRange(spec.mode.w, spec.wSigned);
  const pick = (lo: number, hi: number, ext: number) => (spec.fill === 'random' ? lo + Math.floor(rand() * (hi - lo + 1)) : ext);
  const aExt = spec.fill === 'min' ? alo : ahi;
  const wExt = spec.fill === 'max' ? whi : wlo;
  const acts = new Int32Array(spec.M * spec.S * spec.rows * P).map(() => pick(alo, ahi, aExt));
  const wts = new Int32Array(spec.S * spec.rows * spec.cols * P).map(() => pick(wlo, whi, wExt));
  return { rows: spec.rows, cols: spec.cols, mode: spec.mode, aSigned: spec.aSigned, wSigned: spec.wSigned, M: spec.M, S: spec.S, acts, wts };
}

/** IBUF bank r, word t = m*S + s: the packed activations of row r. */
export function actWord(t: ArrayTile, word: number, r: number): number {
  const P = pairsPerCycle(t.mode);
  const o = (word * t.rows + r) * P;
  return packWord(t.acts.subarray(o, o + P), t.mode.a);
}

/** WBUF bank (r, c), word s: the packed weights of unit (r, c) at reduction step s. */
export function wgtWord(t: ArrayTile, s: number, r: number, c: number): number {
  const P = pairsPerCycle(t.mode);
  const o = ((s * t.rows + r) * t.cols + c) * P;
  return packWord(t.wts.subarray(o, o + P), t.mode.w);
}

/** Concatenates 32-bit words into one bus value, word 0 in the low bits. */
export function bus(words: ArrayLike<number>, bits = 32): bigint {
  let v = 0n;
  for (let i = words.length - 1; i >= 0; i--) v = (v << BigInt(bits)) | BigInt(words[i] >>> 0);
  return v;
}

/** Field i of a bus of `bits`-wide fields. */
export function field(v: bigint, i: number, bits: number): bigint {
  return (v >> BigInt(i * bits)) & ((1n << BigInt(bits)) - 1n);
}
