// The network program: a whole .hwq network as one memory image and one instruction stream the core runs layer
// after layer on its own, compiled once per model (no image needed). rtl/net-exec.ts runs it word by word.
//
// Memory (32-bit words, packed dense): the weights of every array tile in the order the WBUF takes them
// (bank-interleaved: WBUF word i of a load goes to bank i % banks, word floor(i / banks) of the half; 32 / b of
// them a memory word when a WBUF word is b bits), the per-channel tables (bias, M0, shift per output channel), and
// every tensor the network holds as codes, pixel-major, 32 / bits codes a word (rtl/window.ts). A tensor read by
// compute layers of different activation widths or signs is written once per format.
//
// A layer runs tile by tile under a tiling in the cycle simulator's terms (sim/mapping.ts: a block of output rows
// and columns, a slice of output channels, a slice of input channels, a loop order), so the array tiles and the
// memory traffic are the ones the simulator schedules. Per tile of the loops:
//   load-input  the block's input tile (halo and image padding included) of the channel slice into an IBUF half
//   weights     a column tile's weights for the channel slice into a WBUF half (stored once, loaded per use)
//   rows        every array row's starting window word, when it changes (the layer's kernel, pitch or slice width)
//   tile        the array over the block's pixels: each row reads its own window words (rtl/window.ts); the first
//               channel slice starts from zero, the others add to the partial sums in OBUF
//   residual    after the last channel slice: the residual operand's words for the block and channel slice
//   output      an output pass over the block and channel slice into the staging buffer; with a residual, each
//               residual code is read in its own tensor's format, moved by a channel offset (option A: zero-point
//               channels outside the source's), rescaled onto the output grid and clamped to it, then added
//   store       the staging buffer's words into the tensor, pixel by pixel of the block
//   store-acc   the accumulators of the last layer to memory (the host reads the logits)
//   tables      per-channel tables of a layer into the output unit, before its tiles
//   host        pause: the host runs one step (pooling) on memory and resumes the program
//   end
// The input channel slices are the innermost loop whenever there is more than one (partial sums stay in OBUF);
// a tiling that says otherwise is reordered, and the layer says so.
//
// What stays on the host, and why: quantizing the image (the host has the floats), pooling (no pooling unit:
// for the CIFAR ResNets one global average over 64 pixels), adding the last layer's bias to the accumulators it
// reads back (the output unit writes 2- to 8-bit codes, not 32-bit sums).
import type { HwConfig } from '../hw/config.js';
import { fuWidth, pairsPerCycle } from '../hw/fusion-unit.js';
import type { FuMode } from '../hw/fusion-unit.js';
import { tileCycles } from '../hw/array-timing.js';
import type { ActQuant } from '../src/intmodel/activation.js';
import { actRange } from '../src/intmodel/activation.js';
import { type IntegerLayer, integerLayerOf } from '../src/intmodel/execute.js';
import type { HwqLayer, HwqModel } from '../src/intmodel/format.js';
import { networkPlan } from '../src/intmodel/network-plan.js';
import { integerShell, requantizedLayer, rescaleMultiplier } from '../src/intmodel/run-network.js';
import type { ComputeLayer, PoolLayer, Shape3 } from '../src/model/ir.js';
import type { TileDescriptor } from './descriptor.js';
import type { NetInstr, PixelBlock, ResidualRead, WindowTile } from './net-instr.js';
import { scheduleOrder } from './net-deps.js';
import { estimateCycles } from './instr-estimate.js';
import type { OutputFormat } from './layer.js';
import { type ElementBits, type OutputPass, outputPassCycles, outputPassProblem, wordsPerPixel } from './output-path.js';
import { packWord } from './pack.js';
import type { RtlParams } from './params.js';
import { layerMode } from './weights.js';
import { bankWords, inputTile, rowStarts, windowSteps } from './walk.js';
import {
  type PackedTensor, type WindowGeometry, memoryFormat, padWord, tensorWords, windowGemm, windowOf,
} from './window.js';

/** A layer's tiling, in the cycle simulator's terms (sim/mapping.ts Mapping; rtl/ does not import sim/). */
export interface LayerTiling {
  outRowTile: number;
  outColTile: number;
  outChanTile: number;
  inChanTile: number;
  /** Loops outermost first: p pixel blocks, o output channel slices, i input channel slices. */
  order: Array<'p' | 'o' | 'i'>;
}

/** The tiling of a compute layer (by its IR layer), or undefined for the compiler's own. */
export type TilingFor = (l: ComputeLayer) => LayerTiling | undefined;

/** The core's descriptor of a program tile (IBUF, WBUF and OBUF bases 0). */
export function tileDescriptor(t: WindowTile): TileDescriptor {
  return {
    mode: t.mode, aSigned: t.aSigned, wSigned: t.wSigned, half: t.ibHalf, M: t.M, S: t.S, ibufBase: 0, wbufBase: 0, obufBase: t.obufBase,
    accumulate: t.accumulate, obufHalf: t.obHalf, wbufHalf: t.wbHalf, walk: t.walk,
  };
}

export type { NetInstr, PixelBlock, ResidualRead, WindowTile } from './net-instr.js';

/** A step the host runs while the program pauses. */
export interface HostPool {
  kind: 'pool';
  layer: PoolLayer;
  from: PackedTensor;
  fromGrid: ActQuant;
  to: PackedTensor[];
  out: ActQuant;
}

export interface MemoryRegion {
  name: string;
  base: number;
  words: number;
}

/** A compute layer of the program: the tiling it runs, and its cycles and traffic as the instructions count them. */
export interface ProgramLayer {
  name: string;
  mode: FuMode;
  tiling: LayerTiling;
  /** 'simulator': the tiling asked for (its channel slices widened to whole words where `why` says); 'own': the compiler's (none asked for, or it did not fit: `why`). */
  source: 'simulator' | 'own';
  why?: string;
  first: number;
  last: number;
  tiles: number;
  passes: number;
  /** Array cycles of the tiles (hw/array-timing.ts tileCycles, plus the done cycle) and of the output passes. */
  tileCycles: number;
  passCycles: number;
  /** Words moved between memory and the core: inputs, weights, residuals, outputs (tables and the logits aside). */
  traffic: { input: number; weights: number; residual: number; output: number };
}

export interface NetProgram {
  instrs: NetInstr[];
  /** Memory words in all, and the words known before any image (weights and tables; the rest is zero). */
  words: number;
  image: Uint32Array;
  regions: MemoryRegion[];
  /** The input tensor's copies (one per reader format), on the input grid of the first layer. */
  input: { grid: ActQuant; copies: PackedTensor[] };
  /** Every tensor the network holds as codes, by the IR layer producing it: its copies and grid. */
  tensors: Map<string, { copies: PackedTensor[]; grid: ActQuant; shape: Shape3 }>;
  hostSteps: HostPool[];
  /** The last layer's accumulators in memory ([M][N], N fastest) and the bias the host adds. */
  logits: { addr: number; M: number; N: number; bias: Int32Array };
  layers: ProgramLayer[];
}

const formatKey = (f: OutputFormat) => `${f.bits}/${f.perWord}/${f.signed ? 's' : 'u'}`;

/** The input format of a compute layer in memory: its activation width at its Fusion Unit mode, packed dense. */
function readFormat(h: HwqLayer, cfg: HwConfig, source: string): { format: OutputFormat; mode: FuMode } {
  const choice = layerMode(h.header, cfg, source);
  return { format: memoryFormat(choice.mode.a as ElementBits, choice.aSigned), mode: choice.mode };
}

/** A format for a tensor no compute layer reads (it feeds a pool or an Add only): its codes at 8 bits or less. */
function looseFormat(grid: ActQuant): OutputFormat {
  return memoryFormat(fuWidth(grid.bits, 8) as ElementBits, grid.signed);
}

class Memory {
  regions: MemoryRegion[] = [];
  chunks: Array<{ base: number; data: Uint32Array }> = [];
  words = 0;
  alloc(name: string, words: number, data?: Uint32Array): number {
    const base = this.words;
    this.regions.push({ name, base, words });
    if (data) this.chunks.push({ base, data });
    this.words += words;
    return base;
  }
}

/** Tiles of n in pieces of t: [start, size] pairs. */
function pieces(n: number, t: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let a = 0; a < n; a += t) out.push([a, Math.min(t, n - a)]);
  return out;
}

interface LayerShape {
  window: WindowGeometry;
  P: number;
  C: number;
  N: number;
  /** Output formats' codes per word (the slices of output channels must not split a word). */
  outPerWord: number[];
}

/** Why a tiling does not fit the design, or undefined. */
function tilingProblem(t: LayerTiling, s: LayerShape, p: RtlParams): string | undefined {
  const w = s.window;
  if (t.inChanTile < s.C && t.inChanTile % s.P !== 0) return `input channel slices of ${t.inChanTile} split words of ${s.P} channels`;
  for (const pw of s.outPerWord) if (t.outChanTile < s.N && t.outChanTile % pw !== 0) return `output channel slices of ${t.outChanTile} split words of ${pw} codes`;
  const gs = Math.ceil(Math.min(t.inChanTile, s.C) / s.P);
  const S = Math.ceil((w.kh * w.kw * gs) / p.rows);
  if (S > p.maxSteps) return `${S} reduction steps exceed the design's ${p.maxSteps}`;
  const M = t.outRowTile * t.outColTile;
  const colTiles = Math.ceil(Math.min(t.outChanTile, s.N) / p.cols);
  if (M * colTiles > p.obuf.tileDepth) return `${M} pixels x ${colTiles} column tiles exceed the ${p.obuf.tileDepth}-word OBUF half`;
  if (M >= 2 ** p.countBits) return `${M} pixels exceed the ${p.countBits}-bit pixel count`;
  const th = Math.min(w.inH + w.padTop * 2, (t.outRowTile - 1) * w.strideY + (w.kh - 1) * w.dilY + 1);
  const tw = Math.min(w.inW + w.padLeft * 2, (t.outColTile - 1) * w.strideX + (w.kw - 1) * w.dilX + 1);
  const words = bankWords(inputTile(th, tw, gs, p.rows));
  if (words > p.ibuf.tileDepth) return `an input tile of ${th}x${tw} pixels needs ${words} words per IBUF bank, a half holds ${p.ibuf.tileDepth}`;
  return undefined;
}

/** The tiling with its channel slices rounded up to whole input words and whole output words. */
function widenSlices(t: LayerTiling, s: LayerShape): LayerTiling {
  const up = (v: number, k: number) => Math.ceil(v / k) * k;
  const outWord = Math.max(1, ...s.outPerWord);
  return { ...t, inChanTile: up(t.inChanTile, s.P), outChanTile: up(t.outChanTile, outWord) };
}

/** The compiler's tiling: whole reductions, one column tile of output channels, the largest block of output rows that fits. */
function ownTiling(s: LayerShape, p: RtlParams): LayerTiling {
  const w = s.window;
  const oc = Math.min(s.N, Math.max(p.cols, ...s.outPerWord));
  let ic = s.C;
  const t: LayerTiling = { outRowTile: w.outH, outColTile: w.outW, outChanTile: oc, inChanTile: ic, order: ['p', 'o', 'i'] };
  while (tilingProblem(t, s, p)?.includes('reduction steps') && ic > s.P) t.inChanTile = ic = Math.max(s.P, Math.ceil(ic / 2 / s.P) * s.P);
  while (tilingProblem(t, s, p) && t.outRowTile > 1) t.outRowTile = Math.ceil(t.outRowTile / 2);
  while (tilingProblem(t, s, p) && t.outColTile > 1) t.outColTile = Math.ceil(t.outColTile / 2);
  const problem = tilingProblem(t, s, p);
  if (problem) throw new RangeError(`no tiling fits: ${problem}`);
  return t;
}

/** Compiles `model` for the design with parameters `p` on config `cfg` (see the file comment). */
export function compileNetwork(model: HwqModel, cfg: HwConfig, p: RtlParams, source: string, tilingFor: TilingFor = () => undefined): NetProgram {
  const plan = networkPlan(model, source);
  const net = model.network;
  const mem = new Memory();
  const instrs: NetInstr[] = [];
  const hostSteps: HostPool[] = [];
  const layers: ProgramLayer[] = [];
  const R = p.rows;
  const Cols = p.cols;

  // Which formats each tensor is read in: one copy per compute reader's format.
  const hwqOf = new Map(model.layers.map((l) => [net.layers[l.irIndex].name, l]));
  const formats = new Map<string, OutputFormat[]>();
  for (const l of net.layers) {
    const h = hwqOf.get(l.name);
    if (!h || !h.header.act) continue;
    const f = readFormat(h, cfg, source).format;
    const list = formats.get(l.inputs[0]) ?? [];
    if (!list.some((x) => formatKey(x) === formatKey(f))) list.push(f);
    formats.set(l.inputs[0], list);
  }
  const tensors: NetProgram['tensors'] = new Map();
  const place = (name: string, shape: Shape3, grid: ActQuant): PackedTensor[] => {
    const fs = formats.get(name) ?? [looseFormat(grid)];
    const copies = fs.map((format, i) => {
      const t = { c: shape.c, h: shape.h, w: shape.w, format };
      return { ...t, base: mem.alloc(`${name}${fs.length > 1 ? ` #${i}` : ''}`, tensorWords(t)) };
    });
    tensors.set(name, { copies, grid, shape });
    return copies;
  };
  const copyIn = (name: string, f: OutputFormat): PackedTensor => {
    const c = tensors.get(name)?.copies.find((x) => formatKey(x.format) === formatKey(f));
    if (!c) throw new Error(`internal: tensor '${name}' has no copy in format ${formatKey(f)}`);
    return c;
  };

  const first = model.layers.find((l) => net.layers[l.irIndex].inputs[0] === 'input');
  if (!first?.header.act) throw new Error(`'${source}': no quantized layer reads the network input`);
  const input = { grid: first.header.act, copies: place('input', net.input, first.header.act) };
  let logits: NetProgram['logits'] | null = null;
  let lastStarts = '';
  let ibHalf: 0 | 1 = 1;
  let wbHalf: 0 | 1 = 1;
  let obHalf: 0 | 1 = 1;

  const computeStep = (l: ComputeLayer, h: HwqLayer, L: IntegerLayer, out: { name: string; grid: ActQuant } | null, residual: ResidualRead | null) => {
    if (l.kind === 'matmul') throw new Error(`'${source}' layer '${l.name}' is a matmul layer; the network program runs conv and fc layers`);
    const { format: inFormat, mode } = readFormat(h, cfg, source);
    const P = pairsPerCycle(mode);
    const src = copyIn(l.inputs[0], inFormat);
    const inShape = tensors.get(l.inputs[0])!.shape;
    const window = windowOf(l, inShape, P);
    const N = l.kind === 'fc' ? l.outFeatures : l.outC;
    const copies = out ? place(out.name, l.output, out.grid) : [];
    const shape: LayerShape = { window, P, C: inShape.c, N, outPerWord: copies.map((c) => c.format.perWord) };
    const asked = tilingFor(l);
    const problem = asked ? tilingProblem(asked, shape, p) : undefined;
    // A tiling whose channel slices split packed words is widened to whole words (the simulator counts bytes).
    const widened = asked && problem ? widenSlices(asked, shape) : undefined;
    const widenedOk = widened !== undefined && tilingProblem(widened, shape, p) === undefined;
    const why = problem ? (widenedOk ? `${problem}: widened to ${widened!.outChanTile} output and ${widened!.inChanTile} input channels` : problem) : undefined;
    const tiling = asked && !problem ? { ...asked } : widenedOk ? widened! : ownTiling(shape, p);
    tiling.outRowTile = Math.min(tiling.outRowTile, window.outH);
    tiling.outColTile = Math.min(tiling.outColTile, window.outW);
    tiling.outChanTile = Math.min(tiling.outChanTile, N);
    tiling.inChanTile = Math.min(tiling.inChanTile, inShape.c);
    const iTrips = Math.ceil(inShape.c / tiling.inChanTile);
    const order = iTrips > 1 && tiling.order[2] !== 'i' ? [...tiling.order.filter((x) => x !== 'i'), 'i' as const] : tiling.order;
    const reordered = order.join() !== tiling.order.join();
    const layer: ProgramLayer = {
      name: l.name, mode, tiling: { ...tiling, order }, source: asked && (!problem || widenedOk) ? 'simulator' : 'own',
      why: why ?? (asked ? undefined : 'no tiling given'), first: instrs.length, last: 0, tiles: 0, passes: 0, tileCycles: 0, passCycles: 0,
      traffic: { input: 0, weights: 0, residual: 0, output: 0 },
    };
    if (reordered) layer.why = `the loop order ${tiling.order.join('>')} runs as ${order.join('>')}: partial sums stay in OBUF`;

    // Weights in window order ([K'][N], full channel words), and the tables.
    const zeros = new Int32Array(inShape.c * inShape.h * inShape.w).fill(L.inZeroPoint);
    const wAll = windowGemm(L, zeros, inShape, mode).w;
    const tables = new Uint32Array(3 * N);
    for (let n = 0; n < N; n++) {
      tables[3 * n] = (L.bias ? L.bias[n] : 0) >>> 0;
      tables[3 * n + 1] = L.m0[n] >>> 0;
      tables[3 * n + 2] = L.shift[n] >>> 0;
    }
    // The tables go just before the layer's first residual, output pass or store: the output unit reads the layer
    // before's until its last pass, and the loader may fetch this layer's first weights before then.
    let tablesOut: NetInstr | null = { op: 'tables', layer: l.name, addr: mem.alloc(`${l.name} tables`, tables.length, tables), channels: N };
    const pushTables = () => {
      if (tablesOut) instrs.push(tablesOut);
      tablesOut = null;
    };

    // Every input tile of the layer is laid out with the full block's row pitch, so its rows' walk is the same.
    const pitch = (Math.min(tiling.outColTile, window.outW) - 1) * window.strideX + (window.kw - 1) * window.dilX + 1;
    const blocks = pieces(window.outH, tiling.outRowTile).flatMap(([oy0, rows]) => pieces(window.outW, tiling.outColTile)
      .map(([ox0, cols]): PixelBlock => ({ oy0, ox0, rows, cols })));
    const trips = { p: blocks.length, o: Math.ceil(N / tiling.outChanTile), i: iTrips };
    const weightsAt = new Map<string, number>();
    const banks = R * Cols;
    const pad = padWord(mode, L.inZeroPoint);
    const G = window.G;
    let loaded = '';
    const at = { p: 0, o: 0, i: 0 };
    const total = trips.p * trips.o * trips.i;
    for (let k = 0; k < total; k++) {
      let rest = k;
      for (let d = 2; d >= 0; d--) {
        at[order[d]] = rest % trips[order[d]];
        rest = Math.floor(rest / trips[order[d]]);
      }
      const block = blocks[at.p];
      const oc0 = at.o * tiling.outChanTile;
      const ocs = Math.min(tiling.outChanTile, N - oc0);
      const ic0 = at.i * tiling.inChanTile;
      const g0 = ic0 / P;
      const gs = Math.ceil(Math.min(tiling.inChanTile, inShape.c - ic0) / P);
      const th = (block.rows - 1) * window.strideY + (window.kh - 1) * window.dilY + 1;
      const tw = (block.cols - 1) * window.strideX + (window.kw - 1) * window.dilX + 1;
      const tile = inputTile(th, tw, gs, R, pitch);
      // The input tile goes after the first weights: a layer's first weights only wait for a WBUF half, its input
      // for the layer before's stores.
      let loadOut: NetInstr | null = null;
      if (loaded !== `${at.p}/${at.i}`) {
        ibHalf = (1 - ibHalf) as 0 | 1;
        loadOut = { op: 'load-input', src, block, window, g0, input: tile, actBits: P * mode.a, half: ibHalf, pad };
        const perMemory = 32 / (P * mode.a);
        layer.traffic.input += th * tw * (Math.ceil((g0 + gs) / perMemory) - Math.floor(g0 / perMemory));
        loaded = `${at.p}/${at.i}`;
      }
      if (at.i === 0) obHalf = (1 - obHalf) as 0 | 1;
      const M = block.rows * block.cols;
      const S = Math.ceil((window.kh * window.kw * gs) / R);
      for (let c0 = oc0; c0 < oc0 + ocs; c0 += Cols) {
        const key = `${c0}/${ic0}`;
        let addr = weightsAt.get(key);
        const perMemory = 32 / (P * mode.w);
        if (addr === undefined) {
          const data = new Uint32Array(Math.ceil((S * banks) / perMemory));
          const vals = new Array<number>(P);
          for (let s = 0; s < S; s++) for (let r = 0; r < R; r++) for (let c = 0; c < Cols; c++) {
            const j = s * R + r;
            for (let q = 0; q < P; q++) {
              // Tile word j = t*gs + g reads the layer's window word t*G + g0 + g.
              const t = Math.floor(j / gs);
              const kIdx = (t * G + g0 + (j % gs)) * P + q;
              vals[q] = j < window.kh * window.kw * gs && c0 + c < N ? wAll[kIdx * N + c0 + c] : 0;
            }
            const i = s * banks + r * Cols + c;
            const sub = i % perMemory;
            data[(i - sub) / perMemory] = (data[(i - sub) / perMemory] + packWord(vals, mode.w) * 2 ** (sub * P * mode.w)) >>> 0;
          }
          addr = mem.alloc(`${l.name} weights oc${c0} ic${ic0}`, data.length, data);
          weightsAt.set(key, addr);
        }
        wbHalf = (1 - wbHalf) as 0 | 1;
        instrs.push({ op: 'weights', addr, words: S * banks, wordBits: P * mode.w, half: wbHalf });
        if (loadOut) instrs.push(loadOut);
        loadOut = null;
        layer.traffic.weights += Math.ceil((S * banks) / perMemory);
        const starts = rowStarts(tile, window, R);
        const startsKey = JSON.stringify(starts);
        if (startsKey !== lastStarts) {
          instrs.push({ op: 'rows', starts });
          lastStarts = startsKey;
        }
        const wt: WindowTile = {
          mode, aSigned: inFormat.signed, wSigned: true, M, S, walk: windowSteps(tile, window, block.cols, R, p.ibuf.offsetBits), ibHalf, wbHalf, obHalf,
          obufBase: ((c0 - oc0) / Cols) * M, accumulate: at.i > 0,
        };
        instrs.push({ op: 'tile', tile: wt });
        layer.tiles++;
        layer.tileCycles += tileCycles(M * S, R, Cols) + 1;
      }
      if (at.i !== trips.i - 1) continue;
      pushTables();
      if (!out) {
        const bias = Int32Array.from({ length: N }, (_, n) => (L.bias ? L.bias[n] : 0));
        logits ??= { addr: mem.alloc(`${l.name} accumulators`, window.outH * window.outW * N), M: window.outH * window.outW, N, bias };
        if (trips.p !== 1) throw new Error(`'${source}' last layer '${l.name}' needs its output pixels in one block (it has ${trips.p})`);
        instrs.push({ op: 'store-acc', addr: logits.addr + oc0, half: obHalf, M, N: ocs, stride: N });
        continue;
      }
      let res: (ResidualRead & { wordLo: number; words: number }) | null = null;
      if (residual) {
        const f = residual.src.format;
        const lo = Math.max(0, oc0 - residual.channelOffset);
        const hi = Math.min(residual.src.c, oc0 + ocs - residual.channelOffset);
        const wordLo = hi > lo ? Math.floor(lo / f.perWord) : 0;
        const words = hi > lo ? Math.ceil(hi / f.perWord) - wordLo : 0;
        res = { ...residual, wordLo, words };
        if (words > 0) {
          instrs.push({ op: 'residual', read: residual, block, wordLo, words });
          layer.traffic.residual += M * words;
        }
      }
      for (const c of copies) {
        const pass: OutputPass = {
          M, N: ocs, mStride: M, obufHalf: obHalf, obufBase: 0, bits: c.format.bits, perWord: c.format.perWord, signed: c.format.signed,
          zeroPoint: L.outZeroPoint, min: L.min, max: L.max, residual: res !== null, outBase: 0, resBase: 0, chBase: oc0, residualRead: res ?? undefined,
        };
        const problem = outputPassProblem(pass, p);
        if (problem) throw new RangeError(`'${source}' layer '${l.name}': output pass: ${problem}`);
        instrs.push({ op: 'output', pass });
        const Gt = wordsPerPixel(ocs, c.format.perWord);
        instrs.push({ op: 'store', dst: c, block, wordLo: oc0 / c.format.perWord, words: Gt });
        layer.traffic.output += M * Gt;
        layer.passes++;
        layer.passCycles += outputPassCycles(pass, Cols) + 1;
      }
    }
    layer.last = instrs.length - 1;
    layers.push(layer);
  };

  for (const s of plan.steps) {
    if (s.kind === 'fused') continue;
    if (s.kind === 'requant') computeStep(s.layer, s.hwq, integerLayerOf(s.hwq, source), { name: s.layer.name, grid: s.out }, null);
    else if (s.kind === 'readers') computeStep(s.layer, s.hwq, requantizedLayer(s.hwq, s.layer.activation, s.out), { name: s.layer.name, grid: s.out }, null);
    else if (s.kind === 'logits') computeStep(s.layer, s.hwq, { ...integerShell(s.hwq, s.layer), inZeroPoint: s.hwq.header.act!.zeroPoint }, null, null);
    else if (s.kind === 'add') {
      if (!s.fused) throw new Error(`'${source}': Add '${s.layer.name}' adds two computed tensors; the core adds a residual to a layer's output only`);
      const h = s.fused.hwq;
      const from = tensors.get(s.operands[0])!;
      const shape = s.layer.output;
      const same = from.grid.scale === s.out.scale && from.grid.zeroPoint === s.out.zeroPoint;
      const { qmin, qmax } = actRange(s.out);
      const residual: ResidualRead = {
        src: from.copies[0], strideY: from.shape.h / shape.h, strideX: from.shape.w / shape.w, channelOffset: (shape.c - from.shape.c) / 2,
        zeroPoint: from.grid.zeroPoint, rescale: same ? null : rescaleMultiplier(from.grid, s.out), outZeroPoint: s.out.zeroPoint, min: qmin, max: qmax,
      };
      // The layer's output is the Add's: held under the Add's name, on its grid.
      computeStep(h.header.layer as ComputeLayer, h, requantizedLayer(h, s.layer.activation, s.out), { name: s.layer.name, grid: s.out }, residual);
    } else {
      const from = tensors.get(s.layer.inputs[0])!;
      const to = place(s.layer.name, s.layer.output, s.out);
      hostSteps.push({ kind: 'pool', layer: s.layer, from: from.copies[0], fromGrid: from.grid, to, out: s.out });
      instrs.push({ op: 'host', step: hostSteps.length - 1 });
      // The host may reset the core while it works: the row table is written again before the next tile.
      lastStarts = '';
    }
  }
  instrs.push({ op: 'end' });
  if (!logits) throw new Error(`'${source}': the program has no logits`);
  // Issue order: the sequencer issues in order, so the instructions go in the order an overlapped run would start
  // them (rtl/net-deps.ts; conflicting instructions keep their order, so the results do not change). A layer's
  // weights and tables may move into the layer before; a layer's range ends at its last instruction.
  const order = scheduleOrder(instrs, (ins) => estimateCycles(ins, R, Cols));
  const pos = new Array<number>(order.length);
  order.forEach((j, k) => { pos[j] = k; });
  const sorted = order.map((j) => instrs[j]);
  let prevLast = -1;
  for (const l of layers) {
    let lo = Infinity, hi = -1;
    for (let j = l.first; j <= l.last; j++) {
      lo = Math.min(lo, pos[j]);
      hi = Math.max(hi, pos[j]);
    }
    l.first = Math.max(lo, prevLast + 1);
    l.last = hi;
    prevLast = hi;
  }
  instrs.splice(0, instrs.length, ...sorted);
  const image = new Uint32Array(mem.words);
  for (const c of mem.chunks) image.set(c.data, c.base);
  return { instrs, words: mem.words, image, regions: mem.regions, input, tensors, hostSteps, logits, layers };
}
