// How long an instruction roughly takes, for the compiler's issue order (rtl/net-deps.ts scheduleOrder): the order
// the overlapped run would start the instructions in. Not a cycle model: the RTL and its models count the cycles.
import { tileCycles } from '../hw/array-timing.js';
import type { NetInstr } from './net-instr.js';
import { outputPassCycles } from './output-path.js';

/**
 * Rough cycles of an instruction, for the issue order only: memory traffic at a word a cycle after the DRAM
 * latency (a store's pixels as separate short bursts), the array and the output unit as they count.
 */
export function estimateCycles(ins: NetInstr, rows: number, cols: number): number {
  const latency = 30;
  switch (ins.op) {
    case 'tile': return tileCycles(ins.tile.M * ins.tile.S, rows, cols) + 1;
    case 'output': return outputPassCycles(ins.pass, cols) + 1;
    case 'load-input': return latency + ins.input.th * ins.input.tw * Math.ceil(ins.input.gs / ins.input.d);
    case 'weights': return latency + Math.ceil(ins.words / (32 / ins.wordBits));
    case 'tables': return latency + 3 * ins.channels;
    case 'residual': return latency + ins.block.rows * ins.block.cols * ins.words;
    case 'store': return latency + 2 * ins.block.rows * ins.block.cols * ins.words;
    case 'store-acc': return latency + 2 * ins.M * ins.N;
    case 'rows': return rows;
    default: return 1;
  }
}
