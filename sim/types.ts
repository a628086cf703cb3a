// Result types every simulator model returns (the cycle-accurate model and the bitfusion-ref analytic model),
// so the CLI, sweeps and reports print them the same way.
import type { LayerKind, Precision } from '../src/model/ir.js';

export type SimModelName = 'cycle' | 'bitfusion-ref';

/** Bytes moved per operand. */
export interface Traffic {
  /** Activations in (DRAM -> IBUF). */
  input: number;
  /** Weights in (DRAM -> WBUF). */
  weight: number;
  /** Outputs and partial sums out (OBUF -> DRAM). */
  outputWrite: number;
  /** Partial sums read back (DRAM -> OBUF) when the reduction is split across tiles. */
  outputRead: number;
}

export interface EnergyBreakdown {
  computePJ: number;
  bufferPJ: number;
  dramPJ: number;
  staticPJ: number;
  totalPJ: number;
}

export interface LayerSimResult {
  name: string;
  kind: LayerKind;
  /** Precision asked for, and the widths the Fusion Units run it at (raised to 2, 4 or 8). */
  precision: Precision;
  hwPrecision: Precision;
  /** Multiply-accumulates of the layer for the whole batch. */
  macs: number;
  computeCycles: number;
  stallCycles: number;
  totalCycles: number;
  /**
   * The board's fixed cycles inside totalCycles (per tile and per layer; part of stallCycles), present when the
   * config has a `board` group (cycle model only).
   */
  overheadCycles?: number;
  /** Useful MACs / (totalCycles * units * products per unit per cycle at hwPrecision). */
  utilization: number;
  dram: Traffic;
  /** Bytes read plus written in each on-chip buffer. */
  bufferBytes: { ibuf: number; wbuf: number; obuf: number };
  energy: EnergyBreakdown;
  /** How the layer was mapped (loop order, tile sizes), for the reader. */
  mapping: string;
}

export interface NetworkSimResult {
  simulator: SimModelName;
  model: string;
  config: string;
  /** A label such as 'a4w4' or 'mixed'. */
  precision: string;
  batch: number;
  macs: number;
  totalCycles: number;
  computeCycles: number;
  stallCycles: number;
  latencyMs: number;
  energyUJ: number;
  /** Effective operations per second (2 ops per MAC). */
  opsPerSecond: number;
  layers: LayerSimResult[];
}
