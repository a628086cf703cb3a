// The mapping search of the published Bit Fusion analytic simulator (Sharma et al., ISCA 2018), rewritten
// over plain numbers: for one convolution (a fully connected layer is a 1x1 conv on a 1x1 map) try every
// power-of-two tiling of B, OH = OW, IC, OC and every order of the five tile loops, and keep the mapping with
// the fewest cycles, energy breaking ties. The kernel window is never tiled.
//
// The formulas follow the published model on purpose, quirks included, so its figures can be reproduced:
// - the output tile is charged twice in DRAM (written out and read back as partial sums) even when the
//   reduction is not split, because the model tracks both directions with the same reuse rule;
// - weight tiles round the reduction up to whole array passes (rows * perf factor) but not the columns;
// - the first load and the last store are never overlapped with compute; everything between them is
//   overlapped perfectly, so a layer stalls only when its middle traffic outlasts its compute.

export type LoopName = 'B' | 'OW' | 'OH' | 'IC' | 'OC';
export const LOOPS: readonly LoopName[] = ['B', 'OW', 'OH', 'IC', 'OC'];

type Operand = 'act' | 'wgt' | 'out';

/** Which tile loops index each operand: a loop that does not index an operand can reuse its tile. */
const DEPENDS: Record<LoopName, Record<Operand, boolean>> = {
  B: { act: true, wgt: false, out: true },
  OW: { act: true, wgt: false, out: true },
  OH: { act: true, wgt: false, out: true },
  IC: { act: true, wgt: true, out: false },
  OC: { act: false, wgt: true, out: true },
};

/** One convolution as the model sees it (per group; batch folded in). */
export interface RefProblem {
  batch: number;
  outH: number;
  outW: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  /** Extent of the kernel window on the input (dilated kernels span more input than they have taps). */
  spanH: number;
  spanW: number;
  inC: number;
  outC: number;
  /** Operand widths as stored (tile sizes use these). */
  aBits: number;
  wBits: number;
  /** Reduction over kernel x input channels flattened into one dimension (the network's first conv). */
  im2col: boolean;
}

/** The accelerator as the model sees it. */
export interface RefArch {
  rows: number;
  cols: number;
  maxBits: number;
  /** Narrowest width the Fusion Unit runs; narrower operands run at this width. */
  minBits: number;
  /** Bits one tile may occupy in each buffer (half of it when double-buffered). */
  ibufTileBits: number;
  wbufTileBits: number;
  obufTileBits: number;
  dramBitsPerCycle: number;
  accumulatorBits: number;
  /** Energy per event, for breaking ties between equally fast mappings. */
  pjPerBusyCycle: number;
  pjPerIbufBit: number;
  pjPerWbufBit: number;
  pjPerObufBit: number;
  pjPerDramBit: number;
  pjPerCycle: number;
}

export interface RefTile {
  b: number;
  oh: number;
  ow: number;
  ic: number;
  oc: number;
}

export type Dataflow = 'input-stationary' | 'output-stationary' | 'weight-stationary';

export interface RefMapping {
  /** Tile loops with more than one trip, outermost first (loops of one trip do not affect the model). */
  order: LoopName[];
  tile: RefTile;
  trips: Record<LoopName, number>;
  /** How the array walks one tile in the buffers (the cheapest of the three, as the published model picks). */
  dataflow: Dataflow;
  computeCycles: number;
  /** DRAM cycles of the traffic between the first load and the last store. */
  middleMemoryCycles: number;
  /** Cycles of the first load and the last store (never overlapped). */
  edgeMemoryCycles: number;
  stallCycles: number;
  totalCycles: number;
  /** DRAM bits per operand. */
  dram: { act: number; wgt: number; outWrite: number; outRead: number };
  /** Buffer bits: fills from DRAM plus the array's accesses. */
  buffer: { ibuf: number; wbuf: number; obuf: number };
  energyPJ: number;
}

/** Products per Fusion Unit per cycle: floor(max/a) * floor(max/w), widths raised to the minimum. */
export function perfFactor(aBits: number, wBits: number, arch: Pick<RefArch, 'maxBits' | 'minBits'>): number {
  const a = Math.max(aBits, arch.minBits);
  const w = Math.max(wBits, arch.minBits);
  return Math.floor(arch.maxBits / a) * Math.floor(arch.maxBits / w);
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

/** Compute cycles of one tile (no fill or drain in this model). */
export function tileComputeCycles(p: RefProblem, t: RefTile, arch: RefArch): number {
  const lanes = arch.rows * perfFactor(p.aBits, p.wBits, arch);
  const colPasses = ceilDiv(t.oc, arch.cols);
  if (p.im2col) return t.b * t.oh * t.ow * colPasses * ceilDiv(p.kernelH * p.kernelW * t.ic, lanes);
  return t.b * colPasses * t.ow * t.oh * p.kernelH * p.kernelW * ceilDiv(t.ic, lanes);
}

/** 1, 2, 4, ... capped at `n` (the cap itself is the last size). */
function powerSizes(n: number): number[] {
  const out: number[] = [];
  for (let s = 1; ; s *= 2) {
    out.push(Math.min(s, n));
    if (s >= n) break;
  }
  return out;
}

/** Every permutation of 0..n-1, for n = 0..5, computed once. */
const PERMUTATIONS: number[][][] = (() => {
  const all: number[][][] = [];
  for (let n = 0; n <= LOOPS.length; n++) {
    const out: number[][] = [];
    const rec = (prefix: number[], rest: number[]): void => {
      if (rest.length === 0) {
        out.push(prefix);
        return;
      }
      rest.forEach((x, i) => rec([...prefix, x], [...rest.slice(0, i), ...rest.slice(i + 1)]));
    };
    rec([], Array.from({ length: n }, (_, i) => i));
    all.push(out);
  }
  return all;
})();

interface TileFacts {
  tile: RefTile;
  trips: Record<LoopName, number>;
  tiles: number;
  computeCycles: number;
  /** Bits of one tile of each operand. */
  size: Record<Operand, number>;
  dataflow: Dataflow;
  /** Array accesses to the buffers over the whole layer (bits). */
  inner: { ibuf: number; wbuf: number; obuf: number };
}

/** Tile-level facts that do not depend on the loop order; undefined when the tile overflows a buffer. */
function tileFacts(p: RefProblem, t: RefTile, arch: RefArch): TileFacts | undefined {
  const perf = perfFactor(p.aBits, p.wBits, arch);
  const lanes = arch.rows * perf;
  const taps = p.kernelH * p.kernelW;
  const wgt = ceilDiv(taps * t.ic, lanes) * lanes * t.oc * p.wBits;
  const act = p.im2col
    ? t.ow * t.oh * taps * t.ic * t.b * p.aBits
    : (p.spanW + (t.ow - 1) * p.strideW) * (p.spanH + (t.oh - 1) * p.strideH) * t.ic * t.b * p.aBits;
  const out = t.ow * t.oh * ceilDiv(t.oc, arch.cols) * arch.cols * t.b * arch.accumulatorBits;
  if (wgt > arch.wbufTileBits || act > arch.ibufTileBits || out > arch.obufTileBits) return undefined;

  const trips: Record<LoopName, number> = {
    B: ceilDiv(p.batch, t.b),
    OW: ceilDiv(p.outW, t.ow),
    OH: ceilDiv(p.outH, t.oh),
    IC: ceilDiv(p.inC, t.ic),
    OC: ceilDiv(p.outC, t.oc),
  };
  const tiles = trips.B * trips.OW * trips.OH * trips.IC * trips.OC;

  // The array's walk over one tile: whichever operand stays put, the cheapest in bits moved (the published
  // model's estimate, padded to whole array passes), decides how often each buffer is touched.
  const acc = arch.accumulatorBits;
  const colLoop = ceilDiv(t.oc, arch.cols) * arch.cols;
  const redLoop = p.im2col ? ceilDiv(t.ic * taps, lanes) * lanes : ceilDiv(t.ic, lanes) * lanes * taps;
  const pixLoop = t.b * t.oh * t.ow;
  const isCost = redLoop * pixLoop * (p.aBits + colLoop * (p.wBits + acc));
  const osCost = colLoop * pixLoop * (acc + redLoop * (p.aBits + p.wBits));
  const wsCost = redLoop * colLoop * (p.wBits + pixLoop * (p.aBits + acc));
  const best = Math.min(isCost, osCost, wsCost);
  const red = taps * t.ic;
  let inner: TileFacts['inner'];
  let dataflow: Dataflow;
  if (isCost === best) {
    dataflow = 'input-stationary';
    const n = red * pixLoop;
    inner = { ibuf: n * p.aBits, wbuf: n * t.oc * p.wBits, obuf: 2 * n * t.oc * acc };
  } else if (osCost === best) {
    dataflow = 'output-stationary';
    const n = t.oc * pixLoop;
    inner = { ibuf: n * red * p.aBits, wbuf: n * red * p.wBits, obuf: 2 * n * acc };
  } else {
    dataflow = 'weight-stationary';
    const n = red * t.oc;
    inner = { ibuf: n * pixLoop * p.aBits, wbuf: n * p.wBits, obuf: 2 * n * pixLoop * acc };
  }
  inner = { ibuf: inner.ibuf * tiles, wbuf: inner.wbuf * tiles, obuf: inner.obuf * tiles };

  return {
    tile: t,
    trips,
    tiles,
    computeCycles: tiles * tileComputeCycles(p, t, arch),
    size: { act, wgt, out },
    dataflow,
    inner,
  };
}

/** Scratch result of one loop order, reused across the search so the inner loop allocates nothing. */
interface OrderScore {
  /** Total DRAM bits per operand (the output counts once per direction). */
  act: number;
  wgt: number;
  out: number;
  totalCycles: number;
  stallCycles: number;
  middleMemoryCycles: number;
  edgeMemoryCycles: number;
  energyPJ: number;
}

const newScore = (): OrderScore => ({ act: 0, wgt: 0, out: 0, totalCycles: 0, stallCycles: 0, middleMemoryCycles: 0, edgeMemoryCycles: 0, energyPJ: 0 });

/**
 * Scores one loop order: `loops[perm[0]]` is the outermost loop. Walking outwards from the innermost loop,
 * an operand's footprint grows with every loop that indexes it while the footprint still fits its buffer
 * (loops that do not index it reuse it for free); once it no longer fits, every further loop refetches it.
 * The largest footprint that still fit is what the first load brings in and the last store drains.
 */
function scoreOrder(f: TileFacts, loops: readonly LoopName[], perm: readonly number[], arch: RefArch, s: OrderScore): void {
  let act = f.size.act, wgt = f.size.wgt, out = f.size.out;
  let heldAct = act, heldWgt = wgt, heldOut = out;
  let fitAct = true, fitWgt = true, fitOut = true;
  for (let i = perm.length - 1; i >= 0; i--) {
    const loop = loops[perm[i]];
    const n = f.trips[loop];
    const dep = DEPENDS[loop];
    if (!fitAct) act *= n;
    else if (dep.act) {
      act *= n;
      if (act > arch.ibufTileBits) fitAct = false;
      else heldAct = act;
    }
    if (!fitWgt) wgt *= n;
    else if (dep.wgt) {
      wgt *= n;
      if (wgt > arch.wbufTileBits) fitWgt = false;
      else heldWgt = wgt;
    }
    if (!fitOut) out *= n;
    else if (dep.out) {
      out *= n;
      if (out > arch.obufTileBits) fitOut = false;
      else heldOut = out;
    }
  }
  const bw = arch.dramBitsPerCycle;
  // Outputs move both ways (read back as partial sums, written out), each with the same footprint.
  const firstLoad = heldAct + heldWgt + heldOut;
  const lastStore = heldOut;
  const all = act + wgt + 2 * out;
  s.act = act;
  s.wgt = wgt;
  s.out = out;
  s.middleMemoryCycles = ceilDiv(all - firstLoad - lastStore, bw);
  s.edgeMemoryCycles = ceilDiv(firstLoad, bw) + ceilDiv(lastStore, bw);
  s.stallCycles = Math.max(0, s.middleMemoryCycles - f.computeCycles) + s.edgeMemoryCycles;
  s.totalCycles = f.computeCycles + s.stallCycles;
  s.energyPJ = f.computeCycles * arch.pjPerBusyCycle
    + (act + f.inner.ibuf) * arch.pjPerIbufBit + (wgt + f.inner.wbuf) * arch.pjPerWbufBit
    + (2 * out + f.inner.obuf) * arch.pjPerObufBit + all * arch.pjPerDramBit + s.totalCycles * arch.pjPerCycle;
}

function toMapping(f: TileFacts, order: LoopName[], s: OrderScore): RefMapping {
  return {
    order,
    tile: f.tile,
    trips: f.trips,
    dataflow: f.dataflow,
    computeCycles: f.computeCycles,
    middleMemoryCycles: s.middleMemoryCycles,
    edgeMemoryCycles: s.edgeMemoryCycles,
    stallCycles: s.stallCycles,
    totalCycles: s.totalCycles,
    dram: { act: s.act, wgt: s.wgt, outWrite: s.out, outRead: s.out },
    buffer: { ibuf: s.act + f.inner.ibuf, wbuf: s.wgt + f.inner.wbuf, obuf: 2 * s.out + f.inner.obuf },
    energyPJ: s.energyPJ,
  };
}

/** The tile sizes the published model tries: powers of two (OC in whole array columns unless im2col). */
export function candidateTiles(p: RefProblem, arch: RefArch): RefTile[] {
  const out: RefTile[] = [];
  const ocSizes = p.im2col
    ? powerSizes(p.outC)
    : powerSizes(ceilDiv(p.outC, arch.cols)).map((k) => Math.min(k * arch.cols, p.outC));
  for (const b of powerSizes(p.batch)) {
    for (const s of powerSizes(Math.max(p.outH, p.outW))) {
      for (const ic of powerSizes(p.inC)) {
        for (const oc of ocSizes) out.push({ b, oh: Math.min(s, p.outH), ow: Math.min(s, p.outW), ic, oc });
      }
    }
  }
  return out;
}

/**
 * The best mapping of one convolution: fewest cycles, then least energy. Throws when no tile fits the
 * buffers (a kernel window too large for half the input or weight buffer).
 */
export function searchMapping(p: RefProblem, arch: RefArch): RefMapping {
  const facts: TileFacts[] = [];
  for (const t of candidateTiles(p, arch)) {
    const f = tileFacts(p, t, arch);
    if (f) facts.push(f);
  }
  if (facts.length === 0) {
    throw new RangeError(`no tile of this layer fits the buffers (kernel ${p.kernelH}x${p.kernelW}, ${p.inC} -> ${p.outC} channels)`);
  }
  // Cheapest compute first, so the bound below cuts most tilings before their orders are scored.
  facts.sort((x, y) => x.computeCycles - y.computeCycles);
  const bw = arch.dramBitsPerCycle;
  const s = newScore();
  let best: { f: TileFacts; loops: LoopName[]; perm: number[]; cycles: number; energy: number } | undefined;
  for (const f of facts) {
    // The first load and the last store hold at least one tile each, and stalls are never negative.
    const bound = f.computeCycles + ceilDiv(f.size.act + f.size.wgt + f.size.out, bw) + ceilDiv(f.size.out, bw);
    if (best && bound > best.cycles) continue;
    // Loops of one trip change nothing, so only the orders of the others are distinct.
    const loops = LOOPS.filter((l) => f.trips[l] > 1);
    for (const perm of PERMUTATIONS[loops.length]) {
      scoreOrder(f, loops, perm, arch, s);
      if (!best || s.totalCycles < best.cycles || (s.totalCycles === best.cycles && s.energyPJ < best.energy)) {
        best = { f, loops, perm, cycles: s.totalCycles, energy: s.energyPJ };
      }
    }
  }
  const b = best!;
  scoreOrder(b.f, b.loops, b.perm, arch, s);
  return toMapping(b.f, b.perm.map((i) => b.loops[i]), s);
}
