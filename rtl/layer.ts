// The layer compiler: one compute layer of the integer model (conv or fc, as the GEMM of its im2col patches)
// becomes what the host runs on bitfusion_layer: the per-channel tables, then per chunk of output pixels the
// array tiles (a long reduction split into continuation tiles) and one output pass that turns the chunk's
// accumulators into packed activation words. The cycle model of the whole program is here too.
import { tileCycles } from '../hw/array-timing.js';
import type { HwConfig } from '../hw/config.js';
import { type FuMode, operandRange, pairsPerCycle } from '../hw/fusion-unit.js';
import { UserError } from '../src/errors.js';
import type { HwqModel } from '../src/intmodel/format.js';
import { hardwareMode } from '../src/intmodel/hardware-modes.js';
import { type IntegerLayer, im2col, integerLayerOf, layerGemmShape } from '../src/intmodel/execute.js';
import { type CompiledLayer, type CompiledTile, type Gemm, type LayerTiling, type TileOrigin, compileLayer } from './compile.js';
import {
  type ChannelParams, type ElementBits, type OutputPass, outputPassCycles, packActivations, packOutputDescriptor, wordsPerPixel,
} from './output-path.js';
import { RtlParams } from './params.js';
import { layerMode } from './weights.js';

/** How the layer's output codes are laid out: element width, codes per word, signedness. */
export interface OutputFormat {
  bits: ElementBits;
  perWord: number;
  signed: boolean;
}

export interface LayerOptions {
  /** Operand precisions of the layer (raised to the Fusion Unit's 2/4/8 bits). */
  aBits: number;
  wBits: number;
  /** Input codes are signed (a layer reading a ReLU output has unsigned codes). */
  aSigned: boolean;
  out: OutputFormat;
  tiling?: LayerTiling;
  /** [outC][M] residual codes added by the output path (rtl/output-path.ts). */
  residual?: ArrayLike<number>;
}

export type LayerStep =
  | { kind: 'tile'; tile: CompiledTile; origin: TileOrigin }
  | { kind: 'output'; pass: OutputPass; packed: bigint; m0: number; residualWords: Uint32Array | null };

export interface LayerProgram {
  mode: FuMode;
  aSigned: boolean;
  gemm: Gemm;
  compiled: CompiledLayer;
  channels: ChannelParams;
  out: OutputFormat;
  /** Output words per pixel and in all. */
  wordsPerPixel: number;
  words: number;
  steps: LayerStep[];
}

/** Compiles one layer with its input codes ([C][H][W], or the fc input vector), reduced in im2col order. */
export function compileIntegerLayer(L: IntegerLayer, input: ArrayLike<number>, p: RtlParams, opts: LayerOptions): LayerProgram {
  const shape = layerGemmShape(L.layer);
  const name = `layer '${L.layer.name}'`;
  if (shape.groups !== 1) throw new RangeError(`${name} has ${shape.groups} groups; the layer compiler runs ungrouped layers`);
  const { M, K, N } = shape;
  const w = new Int32Array(K * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) w[k * N + n] = L.weights[n * K + k];
  return compileLayerGemm(L, { M, K, N, a: im2col(L.layer, input, L.inZeroPoint), w }, p, opts);
}

/**
 * Compiles one layer given as a GEMM: activations [M][K] and weights [K][N] in the reduction order the tiles
 * take (im2col's, or rtl/window.ts's window order), the layer's per-channel tables and output grid from `L`.
 */
export function compileLayerGemm(
  L: IntegerLayer, g: { M: number; K: number; N: number; a: Int32Array; w: Int32Array }, p: RtlParams, opts: LayerOptions,
): LayerProgram {
  const name = `layer '${L.layer.name}'`;
  if (p.accBits !== 32) throw new RangeError(`${name}: the output path reads 32-bit accumulators (the integer model's int32); the design has ${p.accBits}`);
  const mode = hardwareMode({ a: opts.aBits, w: opts.wBits }, { maxBits: 8, name: p.configName });
  const { M, N, a, w } = g;
  const [alo, ahi] = operandRange(mode.a, opts.aSigned);
  const [wlo, whi] = operandRange(mode.w, true);
  for (let i = 0; i < a.length; i++) if (a[i] < alo || a[i] > ahi) throw new RangeError(`${name}: input code ${a[i]} is outside ${alo}..${ahi}`);
  for (let i = 0; i < w.length; i++) if (w[i] < wlo || w[i] > whi) throw new RangeError(`${name}: weight ${w[i]} is outside ${wlo}..${whi}`);
  const gemm: Gemm = { mode, aSigned: opts.aSigned, wSigned: true, ...g };
  const compiled = compileLayer(gemm, p, opts.tiling);
  const channels: ChannelParams = {
    bias: Int32Array.from({ length: N }, (_, n) => (L.bias ? L.bias[n] : 0)),
    m0: Int32Array.from(L.m0),
    shift: Int32Array.from(L.shift),
  };
  const G = wordsPerPixel(N, opts.out.perWord);
  if (opts.residual && opts.residual.length !== M * N) throw new RangeError(`${name}: residual has ${opts.residual.length} codes, the layer outputs ${M * N}`);
  const steps: LayerStep[] = [];
  compiled.tiles.forEach((tile, i) => {
    const origin = compiled.origins[i];
    steps.push({ kind: 'tile', tile, origin });
    const chunkDone = origin.last && origin.n0 + p.cols >= N;
    if (!chunkDone) return;
    const Mc = tile.tile.M;
    const pass: OutputPass = {
      M: Mc, N, mStride: compiled.mChunk, obufHalf: tile.descriptor.obufHalf ?? tile.descriptor.half, obufBase: 0,
      bits: opts.out.bits, perWord: opts.out.perWord, signed: opts.out.signed,
      zeroPoint: L.outZeroPoint, min: L.min, max: L.max, residual: opts.residual !== undefined, outBase: origin.m0 * G, resBase: 0,
    };
    let residualWords: Uint32Array | null = null;
    if (opts.residual) {
      const chunk = new Int32Array(N * Mc);
      for (let n = 0; n < N; n++) for (let m = 0; m < Mc; m++) chunk[n * Mc + m] = opts.residual[n * M + origin.m0 + m];
      residualWords = packActivations(chunk, Mc, N, opts.out.bits, opts.out.perWord);
    }
    steps.push({ kind: 'output', pass, packed: packOutputDescriptor(pass, p), m0: origin.m0, residualWords });
  });
  return { mode, aSigned: opts.aSigned, gemm, compiled, channels, out: opts.out, wordsPerPixel: G, words: M * G, steps };
}

/**
 * Layer `index` of a .hwq model as the core runs it: its precision and operand signs, and the output format
 * its consumer reads (that layer's activation width raised to its Fusion Unit mode, one word per IBUF word
 * of a 1x1 convolution or fully connected consumer: pairsPerCycle of its mode codes).
 */
export function hwqLayerProgram(
  model: HwqModel, index: number, input: ArrayLike<number>, cfg: HwConfig, p: RtlParams, source: string,
  extra: Pick<LayerOptions, 'tiling' | 'residual'> = {},
): { layer: IntegerLayer; program: LayerProgram } {
  const l = model.layers[index];
  if (!l) throw new UserError(`'${source}' has no layer ${index} (it has ${model.layers.length})`);
  const L = integerLayerOf(l, source);
  const choice = layerMode(l.header, cfg, source);
  const next = model.layers[l.requant!.next];
  const nextMode = layerMode(next.header, cfg, source);
  const out: OutputFormat = { bits: nextMode.mode.a as ElementBits, perWord: pairsPerCycle(nextMode.mode), signed: nextMode.aSigned };
  const opts: LayerOptions = { aBits: l.header.aBits!, wBits: l.header.wBits, aSigned: choice.aSigned, out, ...extra };
  return { layer: L, program: compileIntegerLayer(L, input, p, opts) };
}

/** Cycles a step occupies the core from its start cycle to its done pulse (both counted once when back to back). */
export function stepCycles(s: LayerStep, p: RtlParams): number {
  return s.kind === 'tile' ? tileCycles(s.tile.tile.M * s.tile.tile.S, p.rows, p.cols) + 1 : outputPassCycles(s.pass, p.cols) + 1;
}

/** The program's compute cycles when every step starts in the cycle its predecessor's done pulses. */
export function layerCycles(prog: LayerProgram, p: RtlParams): number {
  return prog.steps.reduce((sum, s) => sum + stepCycles(s, p), 0);
}
