// What an array costs in FPGA logic, as a function of its shape: the LUT count the generated core needs on a 7-series
// device, and whether it fits the VC709's XC7VX690T. LUTs are the binding resource: the Fusion Units map to LUT logic
// (no DSP48), and the buffers take a few percent of the block RAM. The model is LUTs = PER_UNIT x rows x cols + FIXED,
// a least-squares fit to the Yosys synthesis (hierarchy kept) of the generated core from 2x2 to 16x32
// (reports/rtl/resources.json, checked by test/hw/fpga-resources.test.ts): within 1 % from 64 units up, 6 % at 2x2.
// PER_UNIT is the Fusion Unit itself (FUSION_UNIT_LUTS, measured alone) plus its processing element's share of the
// array: the partial-sum adder, the weight bank's logic, and the per-row and per-column parts (IBUF and OBUF banks,
// skew registers, accumulators) spread over the units; separate row and column terms fit with negative costs.
import type { HwConfig } from './config.js';

/** LUTs of one 8-bit Fusion Unit synthesized alone (reports/rtl/resources.md). */
export const FUSION_UNIT_LUTS = 335;
/** LUTs per unit with its share of the array, and the core's fixed part. */
export const LUTS_PER_UNIT = 367.4;
export const LUTS_FIXED = 62.7;

export interface FpgaDevice {
  name: string;
  luts: number;
  /** The share of LUTs a design may use and still route (the rule of reports/rtl/resources.md). */
  usable: number;
}

export const XC7VX690T: FpgaDevice = { name: 'xc7vx690t', luts: 433_200, usable: 0.8 };

/** The FPGA part a config targets, when its `technology` names one this model knows. */
export function fpgaDeviceOf(cfg: Pick<HwConfig, 'technology'>): FpgaDevice | undefined {
  return cfg.technology.toLowerCase().startsWith(XC7VX690T.name) ? XC7VX690T : undefined;
}

export function estimatedLuts(cfg: Pick<HwConfig, 'rows' | 'cols'>): number {
  return Math.round(LUTS_PER_UNIT * cfg.rows * cfg.cols + LUTS_FIXED);
}

/** Whether the array fits its device (always true for a config that names no FPGA part). */
export function fitsDevice(cfg: Pick<HwConfig, 'rows' | 'cols' | 'technology'>): boolean {
  const dev = fpgaDeviceOf(cfg);
  return !dev || estimatedLuts(cfg) <= dev.luts * dev.usable;
}
