// The network program: a whole .hwq network as one memory image and one instruction stream the core runs layer
// after layer on its own, compiled once per model (no image needed). rtl/net-exec.ts runs it word by word.
//
// Memory (32-bit words): the weights of every tile in the order the WBUF takes them (bank-interleaved: word i of a
// load goes to bank i % banks, word floor(i / banks) of the half), the per-channel tables (bias, M0, shift per
// output channel), and every tensor the network holds as codes, pixel-major and packed as its reader reads it
// (rtl/gather.ts). A tensor read by compute layers of different modes is written once per format.
//
// Instructions, in order (the sequencer runs each to completion before the next in this functional form):
//   tables    per-channel tables of a layer into the output unit
//   weights   one tile's WBUF words into a half
//   gather    one tile's IBUF words: the windows of a chunk of output pixels, reduction steps s0 .. s0+S-1
//   tile      start the array on a descriptor (rtl/descriptor.ts)
//   residual  the residual operand's source pixels of a chunk into the residual buffer (strided for option A)
//   output    an output pass (rtl/output-path.ts) into the staging buffer; with a residual, each residual code is
//             read from its own tensor's format, moved by a channel offset (option A: zero-point channels outside
//             the source's), rescaled onto the output grid and clamped to it, then added in the zero point's place
//   store     staging words to memory
//   store-acc the accumulators of an OBUF half to memory (the last layer: the host reads the logits)
//   host      pause: the host runs one step (pooling) on memory and resumes the program
//   end
// What stays on the host, and why: quantizing the image (the host has the floats), pooling (no pooling unit:
// for the CIFAR ResNets one global average over 64 pixels), adding the last layer's bias to the accumulators it
// reads back (the output unit writes 2- to 8-bit codes, not 32-bit sums).
import type { HwConfig } from '../hw/config.js';
import { fuWidth, pairsPerCycle } from '../hw/fusion-unit.js';
import type { FuMode } from '../hw/fusion-unit.js';
import type { ActQuant } from '../src/intmodel/activation.js';
import { actRange } from '../src/intmodel/activation.js';
import { type IntegerLayer, integerLayerOf } from '../src/intmodel/execute.js';
import type { HwqLayer, HwqModel } from '../src/intmodel/format.js';
import { networkPlan } from '../src/intmodel/network-plan.js';
import type { QuantizedMultiplier } from '../src/intmodel/requant.js';
import { integerShell, requantizedLayer, rescaleMultiplier } from '../src/intmodel/run-network.js';
import type { ComputeLayer, PoolLayer, Shape3 } from '../src/model/ir.js';
import type { TileDescriptor } from './descriptor.js';
import { type PackedTensor, type WindowGeometry, padWord, tensorWords, windowGemm, windowOf } from './gather.js';
import { type LayerOptions, type OutputFormat, compileLayerGemm } from './layer.js';
import { type ElementBits, type OutputPass, packOutputDescriptor, wordsPerPixel } from './output-path.js';
import type { RtlParams } from './params.js';
import { layerMode } from './weights.js';

/** How an output pass reads its residual operand (see the file comment). */
export interface ResidualRead {
  src: PackedTensor;
  /** Output pixel (oy, ox) reads source pixel (oy * strideY, ox * strideX). */
  strideY: number;
  strideX: number;
  /** Output channel n reads source channel n - channelOffset; outside 0 .. src.c - 1 the source's zero point. */
  channelOffset: number;
  zeroPoint: number;
  /** Onto the output grid (null: the grids are the same); the result clamped to min .. max, the output grid's codes. */
  rescale: QuantizedMultiplier | null;
  outZeroPoint: number;
  min: number;
  max: number;
}

export type NetInstr =
  | { op: 'tables'; layer: string; addr: number; channels: number }
  | { op: 'weights'; addr: number; words: number; half: 0 | 1 }
  | { op: 'gather'; src: PackedTensor; window: WindowGeometry; m0: number; M: number; s0: number; S: number; half: 0 | 1; pad: number }
  | { op: 'tile'; descriptor: TileDescriptor; packed: bigint }
  | { op: 'residual'; read: ResidualRead; m0: number; M: number; outW: number }
  | { op: 'output'; pass: OutputPass; packed: bigint; residual: ResidualRead | null }
  | { op: 'store'; addr: number; words: number }
  | { op: 'store-acc'; addr: number; half: 0 | 1; base: number; mStride: number; M: number; N: number }
  | { op: 'host'; step: number }
  | { op: 'end' };

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
  /** Per compute layer: its name, mode and the instructions it spans (first .. last, inclusive). */
  layers: Array<{ name: string; mode: FuMode; first: number; last: number; tiles: number; passes: number }>;
}

const formatKey = (f: OutputFormat) => `${f.bits}/${f.perWord}/${f.signed ? 's' : 'u'}`;

/** The input format of a compute layer: its activation width at its Fusion Unit mode, P codes a word. */
function readFormat(h: HwqLayer, cfg: HwConfig, source: string): { format: OutputFormat; mode: FuMode } {
  const choice = layerMode(h.header, cfg, source);
  return { format: { bits: choice.mode.a as ElementBits, perWord: pairsPerCycle(choice.mode), signed: choice.aSigned }, mode: choice.mode };
}

/** A format for a tensor no compute layer reads (it feeds a pool or an Add only): its codes at 8 bits or less, 4 a word. */
function looseFormat(grid: ActQuant): OutputFormat {
  const bits = fuWidth(grid.bits, 8) as ElementBits;
  return { bits, perWord: 32 / bits >= 4 ? 4 : 1, signed: grid.signed };
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

/** Compiles `model` for the design with parameters `p` on config `cfg` (see the file comment). */
export function compileNetwork(model: HwqModel, cfg: HwConfig, p: RtlParams, source: string): NetProgram {
  const plan = networkPlan(model, source);
  const net = model.network;
  const mem = new Memory();
  const instrs: NetInstr[] = [];
  const hostSteps: HostPool[] = [];
  const layers: NetProgram['layers'] = [];

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
    const t = tensors.get(name);
    const c = t?.copies.find((x) => formatKey(x.format) === formatKey(f));
    if (!c) throw new Error(`internal: tensor '${name}' has no copy in format ${formatKey(f)}`);
    return c;
  };

  const first = model.layers.find((l) => net.layers[l.irIndex].inputs[0] === 'input');
  if (!first?.header.act) throw new Error(`'${source}': no quantized layer reads the network input`);
  const input = { grid: first.header.act, copies: place('input', net.input, first.header.act) };
  let logits: NetProgram['logits'] | null = null;

  const computeStep = (l: ComputeLayer, h: HwqLayer, L: IntegerLayer, out: { name: string; grid: ActQuant } | null, residual: ResidualRead | null) => {
    const { format: inFormat, mode } = readFormat(h, cfg, source);
    const src = copyIn(l.inputs[0], inFormat);
    const inShape = tensors.get(l.inputs[0])!.shape;
    const window = windowOf(l as Exclude<ComputeLayer, { kind: 'matmul' }>, inShape, inFormat.perWord);
    // The tiles depend on the weights alone: they are compiled with zero-point inputs, the gather fills IBUF at run time.
    const zeros = new Int32Array(inShape.c * inShape.h * inShape.w).fill(L.inZeroPoint);
    const g = windowGemm(L, zeros, inShape, mode);
    const copies = out ? place(out.name, l.output, out.grid) : [];
    const outFormat = copies[0]?.format ?? { bits: 8 as ElementBits, perWord: 4, signed: true };
    const opts: LayerOptions = { aBits: h.header.aBits!, wBits: h.header.wBits, aSigned: inFormat.signed, out: outFormat };
    const prog = compileLayerGemm(L, g, p, opts);
    const firstInstr = instrs.length;
    const N = g.N;
    const tables = new Uint32Array(3 * N);
    for (let n = 0; n < N; n++) {
      tables[3 * n] = prog.channels.bias[n] >>> 0;
      tables[3 * n + 1] = prog.channels.m0[n] >>> 0;
      tables[3 * n + 2] = prog.channels.shift[n] >>> 0;
    }
    instrs.push({ op: 'tables', layer: l.name, addr: mem.alloc(`${l.name} tables`, tables.length, tables), channels: N });
    // A column tile's weights for one reduction slice are the same for every chunk of pixels: stored once.
    const weightsAt = new Map<string, number>();
    const banks = p.rows * p.cols;
    const pad = padWord(mode, L.inZeroPoint);
    const perStep = p.rows;
    let tiles = 0;
    let passes = 0;
    for (const st of prog.steps) {
      if (st.kind === 'tile') {
        const t = st.tile;
        const half = t.descriptor.half;
        const key = `${st.origin.n0}/${st.origin.k0}`;
        const words = t.tile.S * banks;
        let addr = weightsAt.get(key);
        if (addr === undefined) {
          const data = new Uint32Array(words);
          const halfBase = p.wbuf.doubleBuffered ? half * p.wbuf.tileDepth : 0;
          for (const w of t.wbufWrites) data[(w.addr - halfBase - t.descriptor.wbufBase) * banks + w.bank] = w.data >>> 0;
          addr = mem.alloc(`${l.name} weights n0=${st.origin.n0} k0=${st.origin.k0}`, words, data);
          weightsAt.set(key, addr);
        }
        instrs.push({ op: 'weights', addr, words, half });
        const s0 = st.origin.k0 / (perStep * pairsPerCycle(mode));
        instrs.push({ op: 'gather', src, window, m0: st.origin.m0, M: t.tile.M, s0, S: t.tile.S, half, pad });
        instrs.push({ op: 'tile', descriptor: t.descriptor, packed: t.packed });
        tiles++;
      } else if (out) {
        if (residual) instrs.push({ op: 'residual', read: residual, m0: st.m0, M: st.pass.M, outW: l.output.w });
        copies.forEach((c) => {
          const pass: OutputPass = {
            ...st.pass, bits: c.format.bits, perWord: c.format.perWord, signed: c.format.signed, outBase: 0, residual: residual !== null, resBase: 0,
          };
          instrs.push({ op: 'output', pass, packed: packOutputDescriptor(pass, p), residual });
          const G = wordsPerPixel(N, c.format.perWord);
          instrs.push({ op: 'store', addr: c.base + st.m0 * G, words: st.pass.M * G });
          passes++;
        });
      } else {
        // The last layer: its accumulators go to memory as they are; the host adds the bias.
        logits ??= { addr: mem.alloc(`${l.name} accumulators`, g.M * N), M: g.M, N, bias: Int32Array.from({ length: N }, (_, n) => (L.bias ? L.bias[n] : 0)) };
        instrs.push({ op: 'store-acc', addr: logits.addr + st.m0 * N, half: st.pass.obufHalf, base: st.pass.obufBase, mStride: st.pass.mStride, M: st.pass.M, N });
      }
    }
    layers.push({ name: l.name, mode, first: firstInstr, last: instrs.length - 1, tiles, passes });
  };

  for (const s of plan.steps) {
    if (s.kind === 'fused') continue;
    if (s.kind === 'requant') computeStep(s.layer, s.hwq, integerLayerOf(s.hwq, source), { name: s.layer.name, grid: s.out }, null);
    else if (s.kind === 'readers') computeStep(s.layer, s.hwq, requantizedLayer(s.hwq, s.layer.activation, s.out), { name: s.layer.name, grid: s.out }, null);
    else if (s.kind === 'logits') {
      // Its output pass is never run (store-acc takes the accumulators): its descriptor only has to be valid.
      const L = { ...integerShell(s.hwq, s.layer), inZeroPoint: s.hwq.header.act!.zeroPoint, min: -128, max: 127 };
      computeStep(s.layer, s.hwq, L, null, null);
    }
    else if (s.kind === 'add') {
      if (!s.fused) throw new Error(`'${source}': Add '${s.layer.name}' adds two computed tensors; the core adds a residual to a layer's output only`);
      const h = s.fused.hwq;
      const l = h.header.layer as ComputeLayer;
      const from = tensors.get(s.operands[0])!;
      const shape = s.layer.output;
      const sy = from.shape.h / shape.h;
      const sx = from.shape.w / shape.w;
      const same = from.grid.scale === s.out.scale && from.grid.zeroPoint === s.out.zeroPoint;
      const { qmin, qmax } = actRange(s.out);
      const residual: ResidualRead = {
        src: from.copies[0], strideY: sy, strideX: sx, channelOffset: (shape.c - from.shape.c) / 2, zeroPoint: from.grid.zeroPoint,
        rescale: same ? null : rescaleMultiplier(from.grid, s.out), outZeroPoint: s.out.zeroPoint, min: qmin, max: qmax,
      };
      // The layer's output is the Add's: named after it, on its grid.
      computeStep({ ...l, output: shape }, h, requantizedLayer(h, s.layer.activation, s.out), { name: s.layer.name, grid: s.out }, residual);
    } else {
      const from = tensors.get(s.layer.inputs[0])!;
      const to = place(s.layer.name, s.layer.output, s.out);
      hostSteps.push({ kind: 'pool', layer: s.layer, from: from.copies[0], fromGrid: from.grid, to, out: s.out });
      instrs.push({ op: 'host', step: hostSteps.length - 1 });
    }
  }
  instrs.push({ op: 'end' });
  if (!logits) throw new Error(`'${source}': the program has no logits`);
  const image = new Uint32Array(mem.words);
  for (const c of mem.chunks) image.set(c.data, c.base);
  return { instrs, words: mem.words, image, regions: mem.regions, input, tensors, hostSteps, logits, layers };
}
