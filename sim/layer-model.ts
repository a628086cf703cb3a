// The fast, cycle-accurate layer model: searches the mappings of a layer onto the array and returns the
// fastest schedule. The pieces, one job each:
//   sim/layer-context.ts  the layer, config and precision a model run reads
//   sim/mapping.ts        what a mapping is (tile sizes, loop order), which ones fit, and the ranking estimate
//   sim/schedule.ts       a layer's cycles under one mapping: the double-buffered tile schedule and its traffic
//   sim/dram.ts           DRAM transfer timing (one channel)
// Compute cycles of each array tile come from hw/array-timing.ts, the same formula the cycle-stepped array
// and the RTL are tested to take, so a layer's compute cycles are exact.
import { ConfigError, tileCapacity } from '../hw/config.js';
import { inputExtent } from './loop-nest.js';
import { LayerContext, LayerModelInput, bytesOf, contextOf, psumBytes } from './layer-context.js';
import { Mapping, bestEstimated, candidateTiles } from './mapping.js';
import { LayerTiming, scheduleLayer } from './schedule.js';

export type { LayerModelInput } from './layer-context.js';
export type { LayerTiming } from './schedule.js';
export { describeMapping, type Mapping } from './mapping.js';

/** The schedule of one given mapping (the search's choice or any other that fits). */
export function scheduleMapping(x: LayerModelInput, m: Mapping): LayerTiming {
  return scheduleLayer(contextOf(x), m);
}

/** How many of the best-estimated mappings get the full schedule. */
const SCHEDULED = 6;

const cache = new Map<string, LayerTiming>();
/**
 * The best-estimated mappings per layer and design without its board timing: the ranking estimate reads the
 * array, buffers and DRAM only, and the board's costs enter the exact schedule of those few. Calibration
 * varies the board thousands of times over the same layers and pays for the search once.
 */
const searched = new Map<string, Mapping[]>();

/** Forgets the memoized layer timings and searches (benchmarks time the full search). */
export function clearLayerCache(): void {
  cache.clear();
  searched.clear();
}

/** Searches the mappings and returns the fastest schedule (less DRAM traffic breaks ties). */
export function bestLayerTiming(x: LayerModelInput): LayerTiming {
  // The whole config is in the key: a field left out would let one design answer for another.
  const key = JSON.stringify([x.nest, x.cfg, x.mode, x.aBits, x.wBits, x.outBits]);
  const hit = cache.get(key);
  if (hit) return hit;
  const ctx = contextOf(x);
  const { board: _board, ...design } = x.cfg;
  const searchKey = JSON.stringify([x.nest, design, x.mode, x.aBits, x.wBits, x.outBits]);
  let ranked = searched.get(searchKey);
  if (!ranked) {
    ranked = searchMappings(x, ctx);
    searched.set(searchKey, ranked);
  }
  let best: LayerTiming | undefined;
  const dramOf = (t: LayerTiming) => t.dram.input + t.dram.weight + t.dram.outputRead + t.dram.outputWrite;
  for (const m of ranked) {
    const t = scheduleLayer(ctx, m);
    if (!best || t.totalCycles < best.totalCycles || (t.totalCycles === best.totalCycles && dramOf(t) < dramOf(best))) best = t;
  }
  cache.set(key, best!);
  return best!;
}

/** The mappings that fit, best estimated first (SCHEDULED of them); refuses a design with no room for one tile. */
function searchMappings(x: LayerModelInput, ctx: LayerContext): Mapping[] {
  const cands = candidateTiles(x);
  if (cands.length === 0) {
    const n = x.nest;
    const minIn = bytesOf(inputExtent(1, n.sh, n.haloH, n.ih) * inputExtent(1, n.sw, n.haloW, n.iw), x.aBits);
    const minW = bytesOf(n.kh * n.kw, x.wBits);
    throw new ConfigError(
      `${x.cfg.name}: buffers too small for one tile of layer '${x.layerName}': ` +
        `a tile needs at least ${minIn} B of IBUF, ${minW} B of WBUF and ${psumBytes(x.cfg)} B of OBUF per half ` +
        `(have ${tileCapacity(x.cfg.ibuf)}, ${tileCapacity(x.cfg.wbuf)}, ${tileCapacity(x.cfg.obuf)} B usable per tile)`,
    );
  }
  return bestEstimated(ctx, cands, SCHEDULED);
}
