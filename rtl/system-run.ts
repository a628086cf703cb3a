// A network program on the generated system under Verilator (bitfusion_system_sim: the system on the DRAM model),
// the way a host runs it on the board: memory holds the weights, tables and the quantized image, the instruction
// memory the program; run from word 0; at each halt the host does its step on memory (pooling) and runs again from
// the halt's next instruction, until the end; then it reads the last layer's accumulators from memory.
//
// Simulations here run from reset to a set cycle, so each segment (run to halt) is its own simulation: the memory
// and the instruction memory are loaded directly before the run and the memory is read back after it. What the
// core holds between segments is reloaded by the program anyway (the compiler writes the row table again after a
// host step; every layer loads its tables, inputs and weights).
import { tileCycles } from '../hw/array-timing.js';
import type { HwConfig } from '../hw/config.js';
import { axiDmaParams } from './axi-model.js';
import { generateRtl, simulationModels, sourcesOf } from './generate.js';
import { encodeProgram } from './isa.js';
import { IM_ADDR_BITS } from './modules/system.js';
import { STOP_CODE } from './modules/sequencer.js';
import { hostStep, programLogits, programMemory } from './net-exec.js';
import type { NetInstr, NetProgram } from './net-program.js';
import { outputPassCycles, wordsPerPixel } from './output-path.js';
import { rtlParams } from './params.js';
import { type SimTop, valueOf } from './sim.js';
import { EventScript, buildEventModel, runEvents } from './sim-events.js';

const SIM_TOP = 'bitfusion_system_sim';
const VLT = '`verilator_config\npublic_flat_rw -module "sdp_ram" -var "mem"\npublic_flat_rw -module "axi_dram_model" -var "mem"\n';

export interface SystemSegment {
  /** Instruction word it started at, the cycle (from run) it halted in, why, and where it resumes. */
  fromPc: number;
  cycles: number;
  stopCode: number;
  stopPc: number;
}

export interface SystemRun {
  memory: Uint32Array;
  accumulators: Int32Array;
  segments: SystemSegment[];
  /**
   * Cycles from each instruction's fetch to the next one's (its index in the program): the sequencer issues in
   * order, so this is its fetch and its wait for its engine and its wait mask, not how long its engine runs it.
   */
  instrCycles: number[];
}

/** A generous cycle count for instructions: each engine's work at a word a cycle, the array's tiles, and room for latency. */
function segmentBudget(instrs: readonly NetInstr[], rows: number, cols: number): number {
  let c = 2000;
  for (const ins of instrs) {
    c += 64;
    if (ins.op === 'tile') c += tileCycles(ins.tile.M * ins.tile.S, rows, cols);
    else if (ins.op === 'output') c += outputPassCycles(ins.pass, cols);
    else if (ins.op === 'load-input') c += 2 * ins.input.th * ins.input.tw * ins.input.gs;
    else if (ins.op === 'weights') c += 2 * ins.words;
    else if (ins.op === 'tables') c += 6 * ins.channels;
    else if (ins.op === 'residual') c += 2 * ins.block.rows * ins.block.cols * ins.words;
    else if (ins.op === 'store') c += 4 * ins.block.rows * ins.block.cols * ins.words;
    else if (ins.op === 'store-acc') c += 4 * ins.M * ins.N;
    else if (ins.op === 'rows') c += rows;
    if (ins.op === 'host' || ins.op === 'end') break;
  }
  return c * 2;
}

/** The simulated system for `prog`: the design with a DRAM model big enough for the program's memory. */
function systemModel(prog: NetProgram, cfg: HwConfig): { sources: Map<string, string>; top: SimTop; beats: number; perBeat: number } {
  const perBeat = axiDmaParams(rtlParams(cfg)).dataBits / 32;
  let beats = 2;
  while (beats * perBeat < prog.words) beats *= 2;
  const models = simulationModels(cfg, beats);
  const sources = sourcesOf(generateRtl(cfg));
  for (const m of models) sources.set(`${m.name}.v`, m.text);
  const simTop = models.find((m) => m.name === SIM_TOP)!;
  return { sources, top: { name: SIM_TOP, ports: simTop.ports, clock: 'clk' }, beats, perBeat };
}

/** Builds (or finds in the model cache) the Verilator model runProgramOnSystem runs `prog` on: once, before parallel runs. */
export function buildSystemModel(prog: NetProgram, cfg: HwConfig): void {
  const { sources, top } = systemModel(prog, cfg);
  buildEventModel(sources, top, VLT);
}

/**
 * Runs `prog` (compiled for `cfg`) on the image `x` on the simulated system; `masks` replaces the compiler's wait
 * masks (rtl/net-deps.ts), e.g. every engine for each instruction to run it one instruction at a time.
 */
export function runProgramOnSystem(prog: NetProgram, cfg: HwConfig, x: ArrayLike<number>, masks?: readonly number[]): SystemRun {
  const p = rtlParams(cfg);
  const words = encodeProgram(prog.instrs, p, masks);
  if (words.length > 2 ** IM_ADDR_BITS) throw new RangeError(`the program takes ${words.length} words; the instruction memory holds ${2 ** IM_ADDR_BITS}`);
  const { sources, top, beats, perBeat } = systemModel(prog, cfg);
  const outs = top.ports.filter((q) => q.dir === 'output').map((q) => q.name);
  // Word offsets of the instructions, to find a segment's instructions from its start word.
  const starts: number[] = [];
  for (let i = 0, at = 0; i < prog.instrs.length; i++) {
    starts.push(at);
    at += 1 + ((words[at] >>> 8) & 0xff);
  }

  let memory = programMemory(prog, x);
  const instrCycles = new Array<number>(prog.instrs.length).fill(0);
  const segments: SystemSegment[] = [];
  let pc = 0;
  for (;;) {
    const first = starts.indexOf(pc);
    if (first < 0) throw new Error(`internal: the system stopped at word ${pc}, not an instruction's start`);
    const budget = segmentBudget(prog.instrs.slice(first), p.rows, p.cols);
    const s = new EventScript(top);
    const dram = s.memory(`TOP.${SIM_TOP}.u_dram`, 'mem');
    const imem = s.memory(`TOP.${SIM_TOP}.u_sys.u_seq.u_imem`, 'mem');
    s.set('rst', 1n).at(2).set('rst', 0n);
    for (let b = 0; b < beats; b++) {
      let v = 0n;
      for (let k = perBeat - 1; k >= 0; k--) v = (v << 32n) | BigInt(memory[b * perBeat + k] ?? 0);
      if (v !== 0n) s.poke(dram, b, v);
    }
    words.forEach((w, i) => s.poke(imem, i, w));
    s.at(3).set('run', 1n).set('run_pc', BigInt(pc)).at(4).set('run', 0n);
    s.at(budget);
    for (let b = 0; b < beats; b++) s.peek(dram, b);
    const run = runEvents(sources, top, VLT, s, ['halted', 'pc']);
    // The pc output changes as each instruction is fetched: the cycles between changes are an instruction's.
    let prevAt = 3;
    let prevPc = pc;
    for (const l of run.lines) {
      const now = Number(valueOf(l.values[outs.indexOf('pc')]));
      const halted = valueOf(l.values[outs.indexOf('halted')]) === 1n;
      if (now !== prevPc || halted) {
        const k = starts.indexOf(prevPc);
        if (k >= 0) instrCycles[k] = l.cycle - prevAt;
        prevAt = l.cycle;
        prevPc = now;
      }
      if (halted) break;
    }
    const halt = run.lines.find((l) => valueOf(l.values[outs.indexOf('halted')]) === 1n);
    if (!halt) throw new Error(`the system did not halt within ${budget} cycles of starting at word ${pc}`);
    const stopCode = Number(valueOf(halt.values[outs.indexOf('stop_code')]));
    const stopPc = Number(valueOf(halt.values[outs.indexOf('stop_pc')]));
    const arg = Number(valueOf(halt.values[outs.indexOf('stop_arg')]));
    segments.push({ fromPc: pc, cycles: halt.cycle - 3, stopCode, stopPc });
    const next = new Uint32Array(memory.length);
    for (let b = 0; b < beats; b++) {
      const v = run.peeks[b] ?? 0n;
      for (let k = 0; k < perBeat && b * perBeat + k < next.length; k++) next[b * perBeat + k] = Number((v >> BigInt(32 * k)) & 0xffffffffn);
    }
    memory = next;
    if (stopCode === STOP_CODE.end) break;
    if (stopCode !== STOP_CODE.host) throw new Error(`the system stopped at word ${stopPc} on a bad opcode ${arg}`);
    hostStep(prog, memory, arg);
    pc = stopPc;
  }
  return { memory, accumulators: programLogits(prog, memory), segments, instrCycles };
}

