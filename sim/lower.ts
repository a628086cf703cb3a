// Lowers a convolution with real integer data onto the array under a mapping: the array tiles (operand words
// as the Fusion Units see them) in the order the schedule runs them. Used to prove, on real data, that the
// fast layer model's compute cycles are the cycle-stepped array's and that the tiles compute the convolution.
import { FuMode, pairsPerCycle } from '../hw/fusion-unit.js';
import { LoopNest } from './loop-nest.js';
import { LoopName, Mapping, cuts, tileAt } from './mapping.js';
import { ArrayTile } from '../hw/stepped-array.js';

/** Integer operands of a conv in the loop-nest view (batch 1): input [G*icg][ih][iw] already zero-padded,
 *  weights [G*ocg][icg][kh][kw]. */
export interface ConvData {
  input: Int32Array;
  weights: Int32Array;
}

export interface LoweredTile {
  tile: ArrayTile;
  /** Output channel (global) of each array column, -1 for an idle column; output pixel (oy, ox) of each m. */
  colChannel: number[];
  pixels: Array<[number, number]>;
  /** First input-channel tile of this output tile: accumulators start at zero, else from the partial sums. */
  firstReduction: boolean;
}

function offsets(n: number, t: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let at = 0;
  for (const c of cuts(n, t)) for (let k = 0; k < c.count; k++) {
    out.push([at, c.size]);
    at += c.size;
  }
  return out;
}

/** Every array tile of the layer for group tile `g0` (groups g0 .. g0+groupTile-1), in schedule order. */
export function lowerConv(n: LoopNest, d: ConvData, m: Mapping, mode: FuMode, rows: number, cols: number, aSigned: boolean, wSigned: boolean): LoweredTile[] {
  if (n.batch !== 1 || n.repeat !== 1) throw new RangeError('lowerConv handles batch 1 convolutions');
  const P = pairsPerCycle(mode);
  const lanes = rows * P;
  const hT = offsets(n.oh, m.outRowTile), wT = offsets(n.ow, m.outColTile);
  const oT = offsets(n.ocg, m.outChanTile), iT = offsets(n.icg, m.inChanTile);
  const pT = hT.flatMap((h) => wT.map((w) => [h, w] as const));
  const dims: Record<LoopName, number> = { p: pT.length, o: oT.length, i: iT.length };
  const dilH = n.kh > 1 ? n.haloH / (n.kh - 1) : 1;
  const dilW = n.kw > 1 ? n.haloW / (n.kw - 1) : 1;
  const out: LoweredTile[] = [];
  for (let g0 = 0; g0 < n.groups; g0 += m.groupTile) {
    const gs = Math.min(m.groupTile, n.groups - g0);
    const total = dims.p * dims.o * dims.i;
    for (let j = 0; j < total; j++) {
      const at = tileAt(m.order, dims, j);
      const [[oy0, ohs], [ox0, ows]] = pT[at.p];
      const [oc0, ocs] = oT[at.o];
      const [ic0, ics] = iT[at.i];
      // reduction elements (group, input channel, ky, kx) and columns (group, output channel) of this tile
      const red: Array<[number, number, number, number]> = [];
      for (let g = 0; g < gs; g++) for (let c = 0; c < ics; c++) for (let ky = 0; ky < n.kh; ky++) for (let kx = 0; kx < n.kw; kx++) red.push([g, ic0 + c, ky, kx]);
      const allCols: Array<[number, number]> = [];
      for (let g = 0; g < gs; g++) for (let c = 0; c < ocs; c++) allCols.push([g, oc0 + c]);
      const S = Math.ceil(red.length / lanes);
      const pixels: Array<[number, number]> = [];
      for (let y = 0; y < ohs; y++) for (let x = 0; x < ows; x++) pixels.push([oy0 + y, ox0 + x]);
      const M = pixels.length;
      for (let c0 = 0; c0 < allCols.length; c0 += cols) {
        const colSet = allCols.slice(c0, c0 + cols);
        const acts = new Int32Array(M * S * rows * P);
        const wts = new Int32Array(S * rows * cols * P);
        red.forEach(([g, ic, ky, kx], e) => {
          const s = Math.floor(e / lanes), r = Math.floor((e % lanes) / P), p = e % P;
          const chan = (g0 + g) * n.icg + ic;
          pixels.forEach(([oy, ox], mm) => {
            const iy = oy * n.sh + ky * dilH;
            const ix = ox * n.sw + kx * dilW;
            acts[((mm * S + s) * rows + r) * P + p] = d.input[(chan * n.ih + iy) * n.iw + ix];
          });
          colSet.forEach(([cg, oc], c) => {
            if (cg !== g) return; // block-diagonal: a packed group only sees its own inputs
            const o = (g0 + cg) * n.ocg + oc;
            wts[((s * rows + r) * cols + c) * P + p] = d.weights[((o * n.icg + ic) * n.kh + ky) * n.kw + kx];
          });
        });
        const colChannel = Array.from({ length: cols }, (_, c) => (c < colSet.length ? (g0 + colSet[c][0]) * n.ocg + colSet[c][1] : -1));
        out.push({ tile: { rows, cols, mode, aSigned, wSigned, M, S, acts, wts }, colChannel, pixels, firstReduction: at.i === 0 });
      }
    }
  }
  return out;
}
