// Energy of a layer from the config's per-access costs: BitBrick activity, buffer bytes, DRAM bytes, and
// static power per cycle. Pure arithmetic on counts the timing model produced.
import { EnergyConfig } from '../hw/config.js';
import { EnergyBreakdown, Traffic } from './types.js';

export interface ActivityCounts {
  /** Unit-cycles with operands (each fires its 16 BitBricks). */
  unitWords: number;
  bricksPerUnit: number;
  ibufBytes: number;
  wbufBytes: number;
  obufBytes: number;
  dram: Traffic;
  cycles: number;
}

export function layerEnergy(e: EnergyConfig, a: ActivityCounts): EnergyBreakdown {
  const computePJ = a.unitWords * a.bricksPerUnit * e.bitBrickPJ;
  const bufferPJ = a.ibufBytes * e.ibufPJPerByte + a.wbufBytes * e.wbufPJPerByte + a.obufBytes * e.obufPJPerByte;
  const dramPJ = dramBytes(a.dram) * e.dramPJPerByte;
  const staticPJ = a.cycles * e.staticPJPerCycle;
  return { computePJ, bufferPJ, dramPJ, staticPJ, totalPJ: computePJ + bufferPJ + dramPJ + staticPJ };
}

export function dramBytes(t: Traffic): number {
  return t.input + t.weight + t.outputWrite + t.outputRead;
}
