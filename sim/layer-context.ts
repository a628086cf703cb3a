// What every part of the layer model reads: one layer's loop nest on a config at one precision mode, and the
// constants derived from them once per layer (lanes, DRAM bandwidth, partial-sum width, buffering).
import { HwConfig, dramBitsPerCycle } from '../hw/config.js';
import { FuMode, pairsPerCycle } from '../hw/fusion-unit.js';
import { LoopNest } from './loop-nest.js';

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

/** The input (its real operand widths give the bytes in DRAM and buffers, outBits the width written after the last
 *  reduction tile) and the constants derived from it. */
export interface LayerContext extends Omit<LayerModelInput, 'layerName'> {
  /** Reduction elements per array step: rows x pairs per unit. */
  lanes: number;
  /** DRAM bits per cycle, sustained. */
  bw: number;
  /** Bytes per partial sum. */
  psum: number;
  /** Every buffer double-buffered: transfers overlap compute. */
  overlap: boolean;
}

export function contextOf(x: LayerModelInput): LayerContext {
  const { cfg } = x;
  return {
    nest: x.nest, cfg, mode: x.mode, aBits: x.aBits, wBits: x.wBits, outBits: x.outBits,
    lanes: cfg.rows * pairsPerCycle(x.mode),
    bw: dramBitsPerCycle(cfg),
    psum: psumBytes(cfg),
    overlap: cfg.ibuf.doubleBuffered && cfg.wbuf.doubleBuffered && cfg.obuf.doubleBuffered,
  };
}

/** Bytes of one partial sum in OBUF and in DRAM between reduction tiles: the accumulator width. */
export function psumBytes(cfg: HwConfig): number {
  return cfg.accumulatorBits / 8;
}

/** Bytes of `elems` values of `bits` each, packed. */
export function bytesOf(elems: number, bits: number): number {
  return Math.ceil((elems * bits) / 8);
}
