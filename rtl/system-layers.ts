// A network program's cycles on the system, per layer: the instruction cycles rtl/system-run.ts measures (from an
// instruction's fetch to the next one's) summed over each layer's instructions and split by what they are. The
// engines overlap, so an instruction's cycles are the in-order issue's wait at it (for its engine and its wait mask),
// not its engine's work. A layer's instructions are contiguous in the program (from after the layer before's last to
// its own last), so the layers' cycles add up to the run's (the host steps aside).
import type { NetInstr, NetProgram } from './net-program.js';

export type InstrKind = 'loads' | 'tiles' | 'passes' | 'stores' | 'host';

/** What each kind of instruction is for. */
export const INSTR_KIND: Record<NetInstr['op'], InstrKind> = {
  tables: 'loads', 'load-input': 'loads', weights: 'loads', rows: 'loads', residual: 'loads', tile: 'tiles', output: 'passes',
  store: 'stores', 'store-acc': 'stores', host: 'host', end: 'host',
};

export interface SystemLayerCycles {
  name: string;
  /** All the layer's instructions' cycles, and the same split by kind. */
  cycles: number;
  byKind: Record<InstrKind, number>;
  /** The array's cycles for the layer's tiles as the compiler counts them (hw/array-timing.ts). */
  arrayTileCycles: number;
}

export function systemLayerCycles(prog: NetProgram, instrCycles: readonly number[]): SystemLayerCycles[] {
  if (instrCycles.length !== prog.instrs.length) {
    throw new Error(`internal: ${instrCycles.length} instruction cycle counts for a program of ${prog.instrs.length} instructions`);
  }
  return prog.layers.map((l) => {
    const byKind: Record<InstrKind, number> = { loads: 0, tiles: 0, passes: 0, stores: 0, host: 0 };
    for (let i = l.first; i <= l.last; i++) byKind[INSTR_KIND[prog.instrs[i].op]] += instrCycles[i];
    const cycles = Object.values(byKind).reduce((a, b) => a + b, 0);
    return { name: l.name, cycles, byKind, arrayTileCycles: l.tileCycles };
  });
}
