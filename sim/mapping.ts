// How a layer is cut into tiles and in which order the tiles run (a mapping), and the search space of
// mappings: every set of tile sizes whose tile fits the room a tile has in each buffer, under every loop
// order, ranked by a cheap estimate. The layer model (sim/layer-model.ts) schedules the best-ranked few.
import { tileCapacity } from '../hw/config.js';
import { tileIssueCycles } from '../hw/array-timing.js';
import { inputExtent } from './loop-nest.js';
import { LayerContext, LayerModelInput, bytesOf, contextOf } from './layer-context.js';
import { transferCycles } from './dram.js';

/** Outer (DRAM-level) tile loops: p = output pixels (batch, rows, columns), o = output channels, i = input channels. */
export type LoopName = 'p' | 'o' | 'i';
export const LOOP_ORDERS: LoopName[][] = [
  ['p', 'o', 'i'], ['p', 'i', 'o'], ['o', 'p', 'i'], ['o', 'i', 'p'], ['i', 'p', 'o'], ['i', 'o', 'p'],
];

/**
 * The tile sizes of a mapping. A tile is what one buffer half holds while the array works on it; a dimension
 * that the tile does not divide ends in one smaller edge tile.
 */
export interface TileSizes {
  /** Images of the batch per tile. */
  batchTile: number;
  /** Output rows per tile (the input rows it reads add the kernel's halo). */
  outRowTile: number;
  /** Output columns per tile. */
  outColTile: number;
  /** Output channels of one group per tile: the array columns it fills, in passes of `cols`. */
  outChanTile: number;
  /**
   * Input channels of one group per tile: the reduction tile. Partial sums of an output tile spill to DRAM
   * between reduction tiles unless the input-channel loop is innermost.
   */
  inChanTile: number;
  /** Groups packed side by side on the columns (block-diagonal weights), for grouped/depthwise convs. */
  groupTile: number;
}

export interface Mapping extends TileSizes {
  /** The DRAM-level tile loops, outermost first. */
  order: LoopName[];
}

/** The short form the simulator's per-layer output prints. */
export function describeMapping(m: Mapping): string {
  const g = m.groupTile > 1 ? ` g${m.groupTile}` : '';
  return `${m.order.join('>')} b${m.batchTile} oh${m.outRowTile} ow${m.outColTile} oc${m.outChanTile} ic${m.inChanTile}${g}`;
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

/** The tile of each loop that the j-th tile in run order visits, when the loops have `trips` tiles each. */
export function tileAt(order: LoopName[], trips: Record<LoopName, number>, j: number): Record<LoopName, number> {
  const [L0, L1, L2] = order;
  const r: Record<LoopName, number> = { p: 0, o: 0, i: 0 };
  r[L2] = j % trips[L2];
  r[L1] = Math.floor(j / trips[L2]) % trips[L1];
  r[L0] = Math.floor(j / (trips[L2] * trips[L1]));
  return r;
}

function tileOptions(n: number): number[] {
  const out = new Set<number>([n]);
  for (let t = 1; t < n; t *= 2) out.add(t);
  return [...out].sort((a, b) => a - b);
}

function fits(ctx: LayerContext, m: TileSizes): boolean {
  const n = ctx.nest;
  const ih = inputExtent(m.outRowTile, n.sh, n.haloH, n.ih);
  const iw = inputExtent(m.outColTile, n.sw, n.haloW, n.iw);
  return (
    bytesOf(m.groupTile * m.inChanTile * m.batchTile * ih * iw, ctx.aBits) <= tileCapacity(ctx.cfg.ibuf) &&
    bytesOf(m.groupTile * m.outChanTile * m.inChanTile * n.kh * n.kw, ctx.wBits) <= tileCapacity(ctx.cfg.wbuf) &&
    m.batchTile * m.outRowTile * m.outColTile * m.outChanTile * m.groupTile * ctx.psum <= tileCapacity(ctx.cfg.obuf)
  );
}

/**
 * All tile-size sets that fit the buffers (each is tried under every loop order): powers of two and the whole
 * dimension; groups are packed only while they fit on the columns, and a packed tile takes all their channels.
 */
export function candidateTiles(x: LayerModelInput): TileSizes[] {
  const ctx = contextOf(x);
  const n = x.nest;
  const groupTiles = [1];
  if (n.groups > 1) for (let g = 2; g <= n.groups && g * n.ocg <= x.cfg.cols; g *= 2) groupTiles.push(g);
  const out: TileSizes[] = [];
  for (const groupTile of groupTiles) {
    for (const batchTile of tileOptions(n.batch)) for (const outRowTile of tileOptions(n.oh)) for (const outColTile of tileOptions(n.ow)) {
      for (const outChanTile of groupTile > 1 ? [n.ocg] : tileOptions(n.ocg)) for (const inChanTile of tileOptions(n.icg)) {
        const m = { batchTile, outRowTile, outColTile, outChanTile, inChanTile, groupTile };
        if (fits(ctx, m)) out.push(m);
      }
    }
  }
  return out;
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
 * Compute is the schedule's per-tile formula (sim/schedule.ts) summed in closed form over the edge-tile cuts,
 * so the search stays cheap.
 */
function estimateOrders(ctx: LayerContext, m: TileSizes, out: (orderIndex: number, e: number) => void): void {
  const { rows, cols } = ctx.cfg;
  const n = ctx.nest;
  const gt = m.groupTile;
  const ovh = tileIssueCycles(1, rows, cols) - 1;
  // Closed-form sums over the cut dimensions (full tiles and one remainder): this runs for every candidate of
  // every layer, so it allocates nothing.
  const np = Math.ceil(n.batch / m.batchTile) * Math.ceil(n.oh / m.outRowTile) * Math.ceil(n.ow / m.outColTile);
  const no = Math.ceil(n.ocg / m.outChanTile), ni = Math.ceil(n.icg / m.inChanTile);
  const sumPix = n.batch * n.oh * n.ow;
  const sumFoot = n.batch * overExtent(n.oh, m.outRowTile, n.sh, n.haloH, n.ih) * overExtent(n.ow, m.outColTile, n.sw, n.haloW, n.iw);
  const sumSteps = overCeil(n.icg, m.inChanTile, gt * n.kh * n.kw, ctx.lanes);
  const sumCol = overCeil(n.ocg, m.outChanTile, gt, cols);
  const compute = sumCol * (sumPix * sumSteps + np * ni * ovh);
  const groupTiles = Math.ceil(n.groups / gt);
  const mask = (np > 1 ? 1 : 0) | (no > 1 ? 2 : 0) | (ni > 1 ? 4 : 0);
  const inputOnce = bytesOf(gt * n.icg * sumFoot, ctx.aBits);
  const weightOnce = bytesOf(gt * n.icg * n.ocg * n.kh * n.kw, ctx.wBits);
  const outFinal = bytesOf(gt * n.ocg * sumPix, ctx.outBits);
  const spillOnce = (ni - 1) * gt * n.ocg * sumPix * ctx.psum;
  const firstFoot = m.batchTile * inputExtent(m.outRowTile, n.sh, n.haloH, n.ih) * inputExtent(m.outColTile, n.sw, n.haloW, n.iw);
  const first = transferCycles(bytesOf(gt * m.inChanTile * firstFoot, ctx.aBits) + bytesOf(gt * m.outChanTile * m.inChanTile * n.kh * n.kw, ctx.wBits), ctx.bw);
  for (let k = 0; k < LOOP_ORDERS.length; k++) {
    const [inputAgain, weightAgain, spills] = RELOADS[k][mask];
    const inputB = inputOnce * (inputAgain ? no : 1);
    const weightB = weightOnce * (weightAgain ? np : 1);
    const spill = spills ? spillOnce : 0;
    const memory = transferCycles(inputB + weightB + outFinal + 2 * spill, ctx.bw);
    // without double buffering transfers no longer hide behind compute (a ranking estimate; the schedule is exact)
    out(k, groupTiles * ((ctx.overlap ? Math.max(compute, memory) : compute + memory) + first));
  }
}

/** The `keep` mappings with the lowest estimates over every candidate and loop order, best first. */
export function bestEstimated(ctx: LayerContext, candidates: TileSizes[], keep: number): Mapping[] {
  // A short sorted list; thousands of candidates stream past it.
  const top: { m: Mapping; e: number }[] = [];
  for (const sizes of candidates) {
    estimateOrders(ctx, sizes, (orderIndex, e) => {
      if (top.length === keep && e >= top[keep - 1].e) return;
      let k = top.length;
      while (k > 0 && top[k - 1].e > e) k--;
      top.splice(k, 0, { m: { ...sizes, order: LOOP_ORDERS[orderIndex] }, e });
      if (top.length > keep) top.pop();
    });
  }
  return top.map((t) => t.m);
}
