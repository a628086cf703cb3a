// A layer's cycles under one mapping: the place that says how long a layer takes.
//
//   compute cycles  = sum over array tiles of tileIssueCycles(pixels x steps) (hw/array-timing.ts), where an
//                     array tile is one (pixel, output-channel, input-channel) tile on one pass of `cols` columns
//                     and steps = ceil(groups x input channels x kh x kw / lanes);
//   total cycles    = when the last tile's compute and the last DRAM transfer are done, running the tile
//                     schedule below; per group tile, times the group tiles and the recurrent time steps;
//                     plus the board's fixed cycles per layer.
//
// A measured board (cfg.board, defaults: the ideal array) enters here and in sim/dram.ts only: a tile
// occupies the array for its array cycles / board.computeEfficiency plus board.tileOverheadCycles (the
// controller's handshake, serial with the tile's compute), each layer adds board.layerOverheadCycles, and
// every DRAM transfer pays board.dramLatencyCycles. With an efficiency below 1 cycles are fractional inside the
// schedule and the layer's totals are rounded to whole cycles.
//
// The schedule: tiles run in the mapping's loop order; the loads of tile j+1 go into the other buffer half
// while tile j computes (after it, for a single-buffered buffer); a finished output tile is stored after its
// compute; all transfers share one DRAM channel (sim/dram.ts) in issue order. The buffer and DRAM traffic it
// counts feed the energy model.
import { tileIssueCycles } from '../hw/array-timing.js';
import { pairsPerCycle } from '../hw/fusion-unit.js';
import { inputExtent } from './loop-nest.js';
import { boardOf } from '../hw/config.js';
import { LayerContext, bytesOf } from './layer-context.js';
import { DramChannel } from './dram.js';
import { LoopName, Mapping, cuts, tileAt } from './mapping.js';

export interface LayerTiming {
  mapping: Mapping;
  /** Array cycles (divided by the board's compute efficiency). */
  computeCycles: number;
  totalCycles: number;
  /** The board's fixed cycles in the layer: per tile and per layer (DRAM latency is in the transfers). */
  overheadCycles: number;
  /** Array tiles run (each pays the pipeline fill and drain). */
  arrayTiles: number;
  /** Words streamed into the rows in all array tiles, and word x unit products (for energy). */
  words: number;
  unitWords: number;
  dram: { input: number; weight: number; outputWrite: number; outputRead: number };
  /** Bytes read from IBUF / WBUF and written to OBUF by the array (buffer fills from DRAM are added by energy). */
  ibufReadBytes: number;
  wbufReadBytes: number;
  obufAccessBytes: number;
}

/** The tile lists of one mapping (per-dimension sizes with edge tiles). */
interface Tiles {
  p: { pix: number; foot: number }[]; // output pixels, input footprint (b * ih * iw) per pixel tile
  o: number[];
  i: number[];
  colTiles: (oc: number) => number;
  steps: (ic: number) => number;
}

function makeTiles(ctx: LayerContext, m: Mapping): Tiles {
  const n = ctx.nest;
  const p: Tiles['p'] = [];
  for (const b of cuts(n.batch, m.batchTile)) for (const h of cuts(n.oh, m.outRowTile)) for (const w of cuts(n.ow, m.outColTile)) {
    const ih = inputExtent(h.size, n.sh, n.haloH, n.ih);
    const iw = inputExtent(w.size, n.sw, n.haloW, n.iw);
    for (let k = 0; k < b.count * h.count * w.count; k++) p.push({ pix: b.size * h.size * w.size, foot: b.size * ih * iw });
  }
  const expand = (cs: { size: number; count: number }[]) => cs.flatMap((c) => new Array<number>(c.count).fill(c.size));
  const { cols } = ctx.cfg;
  return {
    p,
    o: expand(cuts(n.ocg, m.outChanTile)),
    i: expand(cuts(n.icg, m.inChanTile)),
    colTiles: (oc) => Math.ceil((oc * m.groupTile) / cols),
    steps: (ic) => Math.ceil((m.groupTile * ic * n.kh * n.kw) / ctx.lanes),
  };
}

/** The schedule of one group tile (`m.groupTile` groups side by side on the columns). */
function scheduleGroupTile(ctx: LayerContext, m: Mapping): LayerTiming {
  const t = makeTiles(ctx, m);
  const n = ctx.nest;
  const gt = m.groupTile;
  const { rows, cols } = ctx.cfg;
  const P = pairsPerCycle(ctx.mode);
  const dims: Record<LoopName, number> = { p: t.p.length, o: t.o.length, i: t.i.length };
  const T = dims.p * dims.o * dims.i;
  const at = (j: number) => tileAt(m.order, dims, j);
  const kk = n.kh * n.kw;
  const traffic = { input: 0, weight: 0, outputWrite: 0, outputRead: 0 };
  // Output tiles whose partial sums went to DRAM and must be read back (p,o) -> true.
  const spilled = new Set<number>();
  let computeSum = 0, arrayTiles = 0, words = 0, unitWords = 0, ibufRead = 0, wbufRead = 0, obufAcc = 0;

  // What a load brings: its bytes and whether any of them go into a single-buffered buffer (which the array
  // is still reading until the current tile's compute ends).
  const single = { ibuf: !ctx.cfg.ibuf.doubleBuffered, wbuf: !ctx.cfg.wbuf.doubleBuffered, obuf: !ctx.cfg.obuf.doubleBuffered };
  const load = (j: number, prev: Record<LoopName, number> | null): { bytes: number; waits: boolean } => {
    const c = at(j);
    let b = 0;
    let waits = false;
    if (!prev || prev.p !== c.p || prev.i !== c.i) {
      const x = bytesOf(gt * t.i[c.i] * t.p[c.p].foot, ctx.aBits);
      traffic.input += x;
      b += x;
      waits ||= single.ibuf;
    }
    if (!prev || prev.o !== c.o || prev.i !== c.i) {
      const x = bytesOf(gt * t.o[c.o] * t.i[c.i] * kk, ctx.wBits);
      traffic.weight += x;
      b += x;
      waits ||= single.wbuf;
    }
    if ((!prev || prev.p !== c.p || prev.o !== c.o) && spilled.has(c.p * dims.o + c.o)) {
      const x = t.p[c.p].pix * t.o[c.o] * gt * ctx.psum;
      traffic.outputRead += x;
      b += x;
      waits ||= single.obuf;
    }
    return { bytes: b, waits };
  };

  const board = boardOf(ctx.cfg);
  const dram = new DramChannel(ctx.bw, board.dramLatencyCycles);
  const loadDone = new Float64Array(T + 1);
  const compEnd = new Float64Array(T);
  const storeDone = new Float64Array(T);
  let cur = at(0);
  loadDone[0] = dram.transfer(0, load(0, null).bytes);
  for (let j = 0; j < T; j++) {
    const next = j + 1 < T ? at(j + 1) : null;
    const nextLoad = next ? load(j + 1, cur) : null;
    // Double buffering: tile j+1 loads into the halves tile j-1 used, overlapping tile j's compute. A
    // single-buffered target takes the load only after tile j is done with it (issued below, after j's store).
    if (nextLoad && !nextLoad.waits) loadDone[j + 1] = dram.transfer(j >= 1 ? compEnd[j - 1] : 0, nextLoad.bytes);
    // compute tile j
    const ic = t.i[cur.i], oc = t.o[cur.o], pix = t.p[cur.p].pix;
    const steps = t.steps(ic);
    const colTiles = t.colTiles(oc);
    const w = pix * steps;
    const busy = (colTiles * tileIssueCycles(w, rows, cols)) / board.computeEfficiency;
    const comp = busy + board.tileOverheadCycles;
    computeSum += busy;
    arrayTiles += colTiles;
    words += colTiles * w;
    const usedRows = Math.min(rows, Math.ceil((gt * ic * kk) / P));
    unitWords += w * usedRows * oc * gt;
    ibufRead += colTiles * w * usedRows * bytesOf(P, ctx.aBits);
    wbufRead += w * usedRows * oc * gt * bytesOf(P, ctx.wBits);
    obufAcc += pix * oc * gt * ctx.psum * 2;
    // OBUF: the half this tile writes was drained by the store two tiles back; a single buffer by the last one.
    const obufFree = single.obuf ? (j >= 1 ? storeDone[j - 1] : 0) : j >= 2 ? storeDone[j - 2] : 0;
    const cs = Math.max(loadDone[j], j >= 1 ? compEnd[j - 1] : 0, obufFree);
    compEnd[j] = cs + comp;
    // store when the output tile changes next (or at the end)
    storeDone[j] = j >= 1 ? storeDone[j - 1] : 0;
    if (!next || next.p !== cur.p || next.o !== cur.o) {
      // The visit with the last input-channel tile is final, whatever the loop order; earlier ones spill
      // accumulator-wide partial sums that the next visit reads back.
      const final = cur.i === dims.i - 1;
      const bytes = final ? bytesOf(pix * oc * gt, ctx.outBits) : pix * oc * gt * ctx.psum;
      traffic.outputWrite += bytes;
      if (!final) spilled.add(cur.p * dims.o + cur.o);
      storeDone[j] = dram.transfer(compEnd[j], bytes);
    }
    if (nextLoad && nextLoad.waits) loadDone[j + 1] = dram.transfer(compEnd[j], nextLoad.bytes);
    if (next) cur = next;
  }
  return {
    mapping: m,
    computeCycles: computeSum,
    totalCycles: Math.max(compEnd[T - 1], dram.idleAt),
    overheadCycles: T * board.tileOverheadCycles,
    arrayTiles,
    words,
    unitWords,
    dram: traffic,
    ibufReadBytes: ibufRead,
    wbufReadBytes: wbufRead,
    obufAccessBytes: obufAcc,
  };
}

/**
 * The whole layer: the schedule of one group tile, repeated for every full group tile, plus the schedule of
 * the smaller last group tile when groupTile does not divide the groups, all repeated for recurrent time steps.
 */
export function scheduleLayer(ctx: LayerContext, m: Mapping): LayerTiming {
  const n = ctx.nest;
  const full = Math.floor(n.groups / m.groupTile);
  const rem = n.groups - full * m.groupTile;
  const parts: Array<[LayerTiming, number]> = [[scheduleGroupTile(ctx, m), full * n.repeat]];
  if (rem) parts.push([scheduleGroupTile(ctx, { ...m, groupTile: rem }), n.repeat]);
  const add = (f: (t: LayerTiming) => number) => parts.reduce((s, [t, k]) => s + k * f(t), 0);
  const perLayer = boardOf(ctx.cfg).layerOverheadCycles;
  return {
    mapping: m,
    computeCycles: Math.round(add((t) => t.computeCycles)),
    totalCycles: Math.round(add((t) => t.totalCycles) + perLayer),
    overheadCycles: Math.round(add((t) => t.overheadCycles) + perLayer),
    arrayTiles: add((t) => t.arrayTiles),
    words: add((t) => t.words),
    unitWords: add((t) => t.unitWords),
    dram: {
      input: add((t) => t.dram.input),
      weight: add((t) => t.dram.weight),
      outputWrite: add((t) => t.dram.outputWrite),
      outputRead: add((t) => t.dram.outputRead),
    },
    ibufReadBytes: add((t) => t.ibufReadBytes),
    wbufReadBytes: add((t) => t.wbufReadBytes),
    obufAccessBytes: add((t) => t.obufAccessBytes),
  };
}
