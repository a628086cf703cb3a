// The fast, cycle-accurate layer model: maps a layer onto the array (tile sizes and loop order searched under
// the per-tile buffer capacities), then runs the tile schedule through a model of double (or single) buffering
// with one DRAM channel. Compute cycles of each array tile come from hw/array-timing.ts, the same formula the
// cycle-stepped array and the RTL are tested to take, so a layer's compute cycles are exact.
import { HwConfig, ConfigError, dramBitsPerCycle, tileCapacity } from '../hw/config.js';
import { tileIssueCycles } from '../hw/array-timing.js';
import { FuMode, pairsPerCycle } from '../hw/fusion-unit.js';
import { LoopNest, inputExtent } from './loop-nest.js';

/** Outer (DRAM-level) tile loops: p = output pixels (batch, rows, columns), o = output channels, i = input channels. */
export type LoopName = 'p' | 'o' | 'i';
export const LOOP_ORDERS: LoopName[][] = [
  ['p', 'o', 'i'], ['p', 'i', 'o'], ['o', 'p', 'i'], ['o', 'i', 'p'], ['i', 'p', 'o'], ['i', 'o', 'p'],
];

export interface Mapping {
  /** Outermost first. */
  order: LoopName[];
  bt: number;
  oht: number;
  owt: number;
  oct: number;
  ict: number;
  /** Groups packed side by side on the columns (block-diagonal weights), for grouped/depthwise convs. */
  gt: number;
}

export interface LayerTiming {
  mapping: Mapping;
  computeCycles: number;
  totalCycles: number;
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

/** Bytes of one partial sum in OBUF and in DRAM between reduction tiles: the accumulator width. */
function psumBytes(cfg: HwConfig): number {
  return cfg.accumulatorBits / 8;
}

function bytesOf(elems: number, bits: number): number {
  return Math.ceil((elems * bits) / 8);
}

/** Tile sizes of a dimension of size n cut into tiles of t: full tiles and one remainder. */
export function cuts(n: number, t: number): { size: number; count: number }[] {
  const full = Math.floor(n / t);
  const rem = n - full * t;
  const out = [];
  if (full) out.push({ size: t, count: full });
  if (rem) out.push({ size: rem, count: 1 });
  return out;
}

function tileOptions(n: number): number[] {
  const out = new Set<number>([n]);
  for (let t = 1; t < n; t *= 2) out.add(t);
  return [...out].sort((a, b) => a - b);
}

interface Context {
  nest: LoopNest;
  cfg: HwConfig;
  mode: FuMode;
  /** Real operand widths (bytes in DRAM and buffers) and the output width written after the last reduction tile. */
  aBits: number;
  wBits: number;
  outBits: number;
  lanes: number; // reduction elements per array step: rows * pairs per unit
  bw: number; // DRAM bits per cycle, sustained
  psum: number; // bytes per partial sum
  overlap: boolean; // every buffer double-buffered: transfers overlap compute
}

/** The tile lists of one mapping (per-dimension sizes with edge tiles), shared by the estimate and the schedule. */
interface Tiles {
  p: { pix: number; foot: number }[]; // output pixels, input footprint (b * ih * iw) per pixel tile
  o: number[];
  i: number[];
  colTiles: (oc: number) => number;
  steps: (ic: number) => number;
}

function makeTiles(ctx: Context, m: Mapping): Tiles {
  const n = ctx.nest;
  const p: Tiles['p'] = [];
  for (const b of cuts(n.batch, m.bt)) for (const h of cuts(n.oh, m.oht)) for (const w of cuts(n.ow, m.owt)) {
    const ih = inputExtent(h.size, n.sh, n.haloH, n.ih);
    const iw = inputExtent(w.size, n.sw, n.haloW, n.iw);
    for (let k = 0; k < b.count * h.count * w.count; k++) p.push({ pix: b.size * h.size * w.size, foot: b.size * ih * iw });
  }
  const expand = (cs: { size: number; count: number }[]) => cs.flatMap((c) => new Array<number>(c.count).fill(c.size));
  const { cols } = ctx.cfg;
  return {
    p,
    o: expand(cuts(n.ocg, m.oct)),
    i: expand(cuts(n.icg, m.ict)),
    colTiles: (oc) => Math.ceil((oc * m.gt) / cols),
    steps: (ic) => Math.ceil((m.gt * ic * n.kh * n.kw) / ctx.lanes),
  };
}

function fits(ctx: Context, m: Mapping): boolean {
  const n = ctx.nest;
  const ih = inputExtent(m.oht, n.sh, n.haloH, n.ih);
  const iw = inputExtent(m.owt, n.sw, n.haloW, n.iw);
  return (
    bytesOf(m.gt * m.ict * m.bt * ih * iw, ctx.aBits) <= tileCapacity(ctx.cfg.ibuf) &&
    bytesOf(m.gt * m.oct * m.ict * n.kh * n.kw, ctx.wBits) <= tileCapacity(ctx.cfg.wbuf) &&
    m.bt * m.oht * m.owt * m.oct * m.gt * ctx.psum <= tileCapacity(ctx.cfg.obuf)
  );
}

function transferCycles(ctx: Context, bytes: number): number {
  return bytes > 0 ? Math.ceil((bytes * 8) / ctx.bw) : 0;
}

/**
 * Whether an operand's traffic repeats across loop `free` (a loop that does not index it): true when `free`
 * is outside the innermost loop that does index it. Loops of one trip do not count.
 */
function reloadsAcross(order: LoopName[], indexed: [LoopName, LoopName], free: LoopName, trips: Record<LoopName, number>): boolean {
  if (trips[free] <= 1) return false;
  let inner = -1;
  for (let k = 0; k < 3; k++) if ((order[k] === indexed[0] || order[k] === indexed[1]) && trips[order[k]] > 1) inner = k;
  return order.indexOf(free) < inner;
}

/**
 * reloadsAcross for every loop order and every pattern of loops with more than one trip, computed once:
 * RELOADS[order][mask] = [inputs repeat across o, weights across p, partial sums spill across i], with mask
 * bit 0 = p, 1 = o, 2 = i having more than one trip.
 */
const RELOADS: boolean[][][] = LOOP_ORDERS.map((order) =>
  Array.from({ length: 8 }, (_, mask) => {
    const trips = { p: mask & 1 ? 2 : 1, o: mask & 2 ? 2 : 1, i: mask & 4 ? 2 : 1 };
    return [reloadsAcross(order, ['p', 'i'], 'o', trips), reloadsAcross(order, ['o', 'i'], 'p', trips), reloadsAcross(order, ['p', 'o'], 'i', trips)];
  }),
);

/** Sum of f(size) over a dimension of len cut into full tiles of t and one remainder. */
function overExtent(len: number, t: number, stride: number, halo: number, full: number): number {
  const k = Math.floor(len / t), rem = len - k * t;
  return k * inputExtent(t, stride, halo, full) + (rem ? inputExtent(rem, stride, halo, full) : 0);
}

function overCeil(len: number, t: number, mul: number, div: number): number {
  const k = Math.floor(len / t), rem = len - k * t;
  return k * Math.ceil((t * mul) / div) + (rem ? Math.ceil((rem * mul) / div) : 0);
}

/**
 * Lower-bound style estimates used to rank mappings: max(compute, memory) plus the unoverlapped first load,
 * for one set of tile sizes under every loop order (compute does not depend on the order, traffic does).
 * Closed form over the edge-tile cuts, so the search stays cheap.
 */
function estimateOrders(ctx: Context, m: Omit<Mapping, 'order'>, out: (orderIndex: number, e: number) => void): void {
  const { rows, cols } = ctx.cfg;
  const n = ctx.nest;
  const ovh = tileIssueCycles(1, rows, cols) - 1;
  // Closed-form sums over the cut dimensions (full tiles and one remainder): this runs for every candidate of
  // every layer, so it allocates nothing.
  const np = Math.ceil(n.batch / m.bt) * Math.ceil(n.oh / m.oht) * Math.ceil(n.ow / m.owt);
  const no = Math.ceil(n.ocg / m.oct), ni = Math.ceil(n.icg / m.ict);
  const sumPix = n.batch * n.oh * n.ow;
  const sumFoot = n.batch * overExtent(n.oh, m.oht, n.sh, n.haloH, n.ih) * overExtent(n.ow, m.owt, n.sw, n.haloW, n.iw);
  const sumSteps = overCeil(n.icg, m.ict, m.gt * n.kh * n.kw, ctx.lanes);
  const sumCol = overCeil(n.ocg, m.oct, m.gt, cols);
  const compute = sumCol * (sumPix * sumSteps + np * ni * ovh);
  const groupTiles = Math.ceil(n.groups / m.gt);
  const mask = (np > 1 ? 1 : 0) | (no > 1 ? 2 : 0) | (ni > 1 ? 4 : 0);
  const inputOnce = bytesOf(m.gt * n.icg * sumFoot, ctx.aBits);
  const weightOnce = bytesOf(m.gt * n.icg * n.ocg * n.kh * n.kw, ctx.wBits);
  const outFinal = bytesOf(m.gt * n.ocg * sumPix, ctx.outBits);
  const spillOnce = (ni - 1) * m.gt * n.ocg * sumPix * ctx.psum;
  const firstFoot = m.bt * inputExtent(m.oht, n.sh, n.haloH, n.ih) * inputExtent(m.owt, n.sw, n.haloW, n.iw);
  const first = transferCycles(ctx, bytesOf(m.gt * m.ict * firstFoot, ctx.aBits) + bytesOf(m.gt * m.oct * m.ict * n.kh * n.kw, ctx.wBits));
  for (let k = 0; k < LOOP_ORDERS.length; k++) {
    const [inputAgain, weightAgain, spills] = RELOADS[k][mask];
    const inputB = inputOnce * (inputAgain ? no : 1);
    const weightB = weightOnce * (weightAgain ? np : 1);
    const spill = spills ? spillOnce : 0;
    const memory = transferCycles(ctx, inputB + weightB + outFinal + 2 * spill);
    // without double buffering transfers no longer hide behind compute (a ranking estimate; the schedule is exact)
    out(k, groupTiles * ((ctx.overlap ? Math.max(compute, memory) : compute + memory) + first));
  }
}

/**
 * Runs the tile schedule: loads of tile j+1 overlap compute of tile j (the other buffer half), stores of a
 * finished output tile go out after its compute, all transfers share one DRAM channel in issue order.
 */
function scheduleGroupTile(ctx: Context, m: Mapping): LayerTiming {
  const t = makeTiles(ctx, m);
  const n = ctx.nest;
  const { rows, cols } = ctx.cfg;
  const P = pairsPerCycle(ctx.mode);
  const dims: Record<LoopName, number> = { p: t.p.length, o: t.o.length, i: t.i.length };
  const [L0, L1, L2] = m.order;
  const T = dims.p * dims.o * dims.i;
  const at = (j: number): Record<LoopName, number> => {
    const r: Record<LoopName, number> = { p: 0, o: 0, i: 0 };
    r[L2] = j % dims[L2];
    r[L1] = Math.floor(j / dims[L2]) % dims[L1];
    r[L0] = Math.floor(j / (dims[L2] * dims[L1]));
    return r;
  };
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
      const x = bytesOf(m.gt * t.i[c.i] * t.p[c.p].foot, ctx.aBits);
      traffic.input += x;
      b += x;
      waits ||= single.ibuf;
    }
    if (!prev || prev.o !== c.o || prev.i !== c.i) {
      const x = bytesOf(m.gt * t.o[c.o] * t.i[c.i] * kk, ctx.wBits);
      traffic.weight += x;
      b += x;
      waits ||= single.wbuf;
    }
    if ((!prev || prev.p !== c.p || prev.o !== c.o) && spilled.has(c.p * dims.o + c.o)) {
      const x = t.p[c.p].pix * t.o[c.o] * m.gt * ctx.psum;
      traffic.outputRead += x;
      b += x;
      waits ||= single.obuf;
    }
    return { bytes: b, waits };
  };

  let chan = 0;
  const loadDone = new Float64Array(T + 1);
  const compEnd = new Float64Array(T);
  const storeDone = new Float64Array(T);
  let cur = at(0);
  loadDone[0] = chan = transferCycles(ctx, load(0, null).bytes);
  for (let j = 0; j < T; j++) {
    const next = j + 1 < T ? at(j + 1) : null;
    const nextLoad = next ? load(j + 1, cur) : null;
    // Double buffering: tile j+1 loads into the halves tile j-1 used, overlapping tile j's compute. A
    // single-buffered target takes the load only after tile j is done with it (issued below, after j's store).
    if (nextLoad && !nextLoad.waits) {
      const start = Math.max(chan, j >= 1 ? compEnd[j - 1] : 0);
      loadDone[j + 1] = chan = start + transferCycles(ctx, nextLoad.bytes);
    }
    // compute tile j
    const ic = t.i[cur.i], oc = t.o[cur.o], pix = t.p[cur.p].pix;
    const steps = t.steps(ic);
    const colTiles = t.colTiles(oc);
    const w = pix * steps;
    const comp = colTiles * tileIssueCycles(w, rows, cols);
    computeSum += comp;
    arrayTiles += colTiles;
    words += colTiles * w;
    const usedRows = Math.min(rows, Math.ceil((m.gt * ic * kk) / P));
    unitWords += w * usedRows * oc * m.gt;
    ibufRead += colTiles * w * usedRows * bytesOf(P, ctx.aBits);
    wbufRead += w * usedRows * oc * m.gt * bytesOf(P, ctx.wBits);
    obufAcc += pix * oc * m.gt * ctx.psum * 2;
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
      const bytes = final ? bytesOf(pix * oc * m.gt, ctx.outBits) : pix * oc * m.gt * ctx.psum;
      traffic.outputWrite += bytes;
      if (!final) spilled.add(cur.p * dims.o + cur.o);
      const start = Math.max(chan, compEnd[j]);
      storeDone[j] = chan = start + transferCycles(ctx, bytes);
    }
    if (nextLoad && nextLoad.waits) {
      const start = Math.max(chan, compEnd[j]);
      loadDone[j + 1] = chan = start + transferCycles(ctx, nextLoad.bytes);
    }
    if (next) cur = next;
  }
  const total = Math.max(compEnd[T - 1], chan);
  return {
    mapping: m,
    computeCycles: computeSum,
    totalCycles: total,
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
 * the smaller last group tile when gt does not divide the groups, all repeated for recurrent time steps.
 */
function schedule(ctx: Context, m: Mapping): LayerTiming {
  const n = ctx.nest;
  const full = Math.floor(n.groups / m.gt);
  const rem = n.groups - full * m.gt;
  const parts: Array<[LayerTiming, number]> = [[scheduleGroupTile(ctx, m), full * n.repeat]];
  if (rem) parts.push([scheduleGroupTile(ctx, { ...m, gt: rem }), n.repeat]);
  const add = (f: (t: LayerTiming) => number) => parts.reduce((s, [t, k]) => s + k * f(t), 0);
  return {
    mapping: m,
    computeCycles: add((t) => t.computeCycles),
    totalCycles: add((t) => t.totalCycles),
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

export interface LayerModelInput {
  nest: LoopNest;
  cfg: HwConfig;
  mode: FuMode;
  aBits: number;
  wBits: number;
  outBits: number;
  /** For error messages. */
  layerName: string;
}

function contextOf(x: LayerModelInput): Context {
  return { nest: x.nest, cfg: x.cfg, mode: x.mode, aBits: x.aBits, wBits: x.wBits, outBits: x.outBits, lanes: x.cfg.rows * pairsPerCycle(x.mode), bw: dramBitsPerCycle(x.cfg), psum: psumBytes(x.cfg), overlap: x.cfg.ibuf.doubleBuffered && x.cfg.wbuf.doubleBuffered && x.cfg.obuf.doubleBuffered };
}

/** The schedule of one given mapping (the search's choice or any other that fits). */
export function scheduleMapping(x: LayerModelInput, m: Mapping): LayerTiming {
  return schedule(contextOf(x), m);
}

/** All tile-size sets that fit the buffers (each is tried under every loop order). */
export function candidateTiles(x: LayerModelInput): Omit<Mapping, 'order'>[] {
  const ctx = contextOf(x);
  const n = x.nest;
  const gts = [1];
  if (n.groups > 1) for (let g = 2; g <= n.groups && g * n.ocg <= x.cfg.cols; g *= 2) gts.push(g);
  const out: Omit<Mapping, 'order'>[] = [];
  for (const gt of gts) {
    for (const bt of tileOptions(n.batch)) for (const oht of tileOptions(n.oh)) for (const owt of tileOptions(n.ow)) {
      for (const oct of gt > 1 ? [n.ocg] : tileOptions(n.ocg)) for (const ict of tileOptions(n.icg)) {
        const m = { bt, oht, owt, oct, ict, gt, order: LOOP_ORDERS[0] };
        if (fits(ctx, m)) out.push({ bt, oht, owt, oct, ict, gt });
      }
    }
  }
  return out;
}

/** How many of the best-estimated mappings get the full schedule. */
const SCHEDULED = 6;

const cache = new Map<string, LayerTiming>();

/** Forgets the memoized layer timings (benchmarks time the full search). */
export function clearLayerCache(): void {
  cache.clear();
}

/** Searches the mappings and returns the fastest schedule (less DRAM traffic breaks ties). */
export function bestLayerTiming(x: LayerModelInput): LayerTiming {
  // The whole config is in the key: a field left out would let one design answer for another.
  const key = JSON.stringify([x.nest, x.cfg, x.mode, x.aBits, x.wBits, x.outBits]);
  const hit = cache.get(key);
  if (hit) return hit;
  const ctx = contextOf(x);
  const cands = candidateTiles(x);
  if (cands.length === 0) {
    const n = x.nest;
    const minIn = bytesOf(inputExtent(1, n.sh, n.haloH, n.ih) * inputExtent(1, n.sw, n.haloW, n.iw), x.aBits);
    const minW = bytesOf(n.kh * n.kw, x.wBits);
    throw new ConfigError(
      `${x.cfg.name}: buffers too small for one tile of layer '${x.layerName}': a tile needs at least ${minIn} B of IBUF, ${minW} B of WBUF and ${psumBytes(x.cfg)} B of OBUF per half ` +
        `(have ${tileCapacity(x.cfg.ibuf)}, ${tileCapacity(x.cfg.wbuf)}, ${tileCapacity(x.cfg.obuf)} B usable per tile)`,
    );
  }
  // Keep the SCHEDULED best estimates (a short sorted list; thousands of candidates stream past it).
  const top: { m: Mapping; e: number }[] = [];
  for (const sizes of cands) {
    estimateOrders(ctx, sizes, (orderIndex, e) => {
      if (top.length === SCHEDULED && e >= top[SCHEDULED - 1].e) return;
      let k = top.length;
      while (k > 0 && top[k - 1].e > e) k--;
      top.splice(k, 0, { m: { ...sizes, order: LOOP_ORDERS[orderIndex] }, e });
      if (top.length > SCHEDULED) top.pop();
    });
  }
  let best: LayerTiming | undefined;
  const dramOf = (t: LayerTiming) => t.dram.input + t.dram.weight + t.dram.outputRead + t.dram.outputWrite;
  for (const { m } of top) {
    const t = schedule(ctx, m);
    if (!best || t.totalCycles < best.totalCycles || (t.totalCycles === best.totalCycles && dramOf(t) < dramOf(best))) best = t;
  }
  cache.set(key, best!);
  return best!;
}

export function describeMapping(m: Mapping): string {
  const g = m.gt > 1 ? ` g${m.gt}` : '';
  return `${m.order.join('>')} b${m.bt} oh${m.oht} ow${m.owt} oc${m.oct} ic${m.ict}${g}`;
}
