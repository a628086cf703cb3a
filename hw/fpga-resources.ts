// What an array costs in FPGA logic, as a function of its shape: the LUT count the generated core needs on a 7-series
// device, and whether it fits the VC709's XC7VX690T. LUTs are the binding resource: the Fusion Units map to LUT logic
// (no DSP48), and the buffers take a few percent of the block RAM. The coefficients are a least-squares fit of
// LUTs = PER_UNIT x units + FIXED to the Yosys synthesis of the generated core at 2x2 ... 16x16
// (reports/rtl/resources.json, checked by test/hw/fpga-resources.test.ts): within 1 % from 8x8 up, 6 % at 2x2.
import type { HwConfig } from './config.js';

/** LUTs (logic and LUT memory) per Fusion Unit with its share of the array's wiring, and the core's fixed part. */
export const LUTS_PER_UNIT = 674.4;
export const LUTS_FIXED = -9.4;

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
