// A network program on the board (or its simulation, rtl/board-sim.ts) through the host link, the way
// runProgramOnSystem (rtl/system-run.ts) runs it by poking memories: the program into the instruction memory, the
// memory image with the quantized input into memory, start at word 0, poll until it halts; at a host step read the
// tensor the step pools, pool it here, write the result back and start again where it stopped; at the end read the
// last layer's accumulators. Addresses come from rtl/board-map.ts, which the RTL is generated from.
import { STATUS_REGS, type BoardStatus, decodeStatus, windowBase } from './board-map.js';
import type { HostLink } from './host-link.js';
import { encodeProgram } from './isa.js';
import { STOP_CODE } from './modules/sequencer.js';
import { hostStep, programLogits, programMemory } from './net-exec.js';
import type { NetProgram } from './net-program.js';
import { wordsPerPixel } from './output-path.js';
import type { RtlParams } from './params.js';
import type { PackedTensor } from './window.js';

/** Words per write or read command: about 0.36 s each way at 115200 baud, well inside a serial link's reply timeout. */
export const CHUNK_WORDS = 1024;

/** The board refused the program or stopped where the host cannot go on. */
export class BoardRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoardRunError';
  }
}

export interface BoardSegment {
  /** Word it started at, why it stopped (STOP_CODE), where it resumes, and the cycles it ran (the board's count). */
  fromPc: number;
  stopCode: number;
  stopPc: number;
  cycles: number;
}

export interface BoardRun {
  /** The last layer's accumulators plus its bias, as programLogits gives them. */
  logits: Int32Array;
  segments: BoardSegment[];
  /** Words moved over the link each way, the program's included. */
  wordsWritten: number;
  wordsRead: number;
}

export interface BoardRunOptions {
  /** Wall-clock limit of one run to a halt, in ms (a simulation is a million times slower than the board). */
  haltTimeoutMs?: number;
}

/** Host-side state of a loaded program: the memory as far as the host knows it. */
export interface LoadedProgram {
  prog: NetProgram;
  memory: Uint32Array;
  wordsWritten: number;
}

async function writeWords(link: HostLink, addr: number, words: ArrayLike<number>): Promise<number> {
  for (let i = 0; i < words.length; i += CHUNK_WORDS) {
    const n = Math.min(CHUNK_WORDS, words.length - i);
    await link.write(addr + i, Array.from({ length: n }, (_, k) => BigInt(words[i + k] >>> 0)));
  }
  return words.length;
}

async function readWords(link: HostLink, addr: number, into: Uint32Array): Promise<number> {
  for (let i = 0; i < into.length; i += CHUNK_WORDS) {
    const got = await link.read(addr + i, Math.min(CHUNK_WORDS, into.length - i));
    got.forEach((w, k) => (into[i + k] = Number(w)));
  }
  return into.length;
}

/** Every status register, in one read. */
export async function readBoardStatus(link: HostLink): Promise<BoardStatus> {
  return decodeStatus(await link.read(windowBase('status'), STATUS_REGS));
}

/** The words of a packed tensor in memory. */
function tensorSpan(t: PackedTensor): { base: number; words: number } {
  return { base: t.base, words: t.h * t.w * wordsPerPixel(t.c, t.format.perWord) };
}

/** Writes `prog` into the instruction memory and its memory image, with `x` quantized in, into memory. */
export async function loadProgramOverLink(link: HostLink, prog: NetProgram, p: RtlParams, x: ArrayLike<number>): Promise<LoadedProgram> {
  const st = await readBoardStatus(link);
  if (st.busy) throw new BoardRunError(`the board is busy (running the instruction at word ${st.pc}); reset it or wait for it to halt`);
  if (st.rows !== p.rows || st.cols !== p.cols) {
    throw new BoardRunError(`the board's design has a ${st.rows}x${st.cols} array; the program is compiled for ${p.rows}x${p.cols} (give the config the bitstream was built from)`);
  }
  const words = encodeProgram(prog.instrs, p);
  if (words.length > st.imWords) throw new BoardRunError(`the program takes ${words.length} instruction words; the board's instruction memory holds ${st.imWords}`);
  if (prog.words > st.memWords) throw new BoardRunError(`the program's memory takes ${prog.words} words; the board has ${st.memWords}`);
  const memory = programMemory(prog, x);
  let wordsWritten = await writeWords(link, windowBase('imem'), words);
  // The whole image: the tensors' words are zero before the program writes them, whatever an earlier run left.
  wordsWritten += await writeWords(link, windowBase('memory'), memory);
  const after = await readBoardStatus(link);
  if (after.lost) throw new BoardRunError('the board lost memory words the host wrote (it was busy, or a word came before the last was stored)');
  return { prog, memory, wordsWritten };
}

/** Runs a loaded program from word 0 to its end, doing the host steps; returns the logits. */
export async function runLoadedProgram(link: HostLink, loaded: LoadedProgram, opts: BoardRunOptions = {}): Promise<BoardRun> {
  const { prog, memory } = loaded;
  const limit = opts.haltTimeoutMs ?? 600_000;
  const segments: BoardSegment[] = [];
  let wordsWritten = loaded.wordsWritten;
  let wordsRead = 0;
  let pc = 0;
  for (;;) {
    await link.start(pc);
    const t0 = Date.now();
    while (!(await link.status()).done) {
      if (Date.now() - t0 > limit) {
        const st = await readBoardStatus(link);
        throw new BoardRunError(`the board did not halt within ${limit / 1000} s of starting at word ${pc} (busy ${st.busy}, at word ${st.pc}, ${st.runCycles} cycles)`);
      }
    }
    const st = await readBoardStatus(link);
    segments.push({ fromPc: pc, stopCode: st.stopCode, stopPc: st.stopPc, cycles: st.runCycles });
    if (st.err) throw new BoardRunError(`a memory engine got an error response in the run from word ${pc} (halted before word ${st.stopPc})`);
    if (st.lost) throw new BoardRunError(`the board lost a host memory access before the run from word ${pc}`);
    if (st.stopCode === STOP_CODE.end) break;
    if (st.stopCode === STOP_CODE.badOpcode) {
      throw new BoardRunError(`the board stopped on a bad opcode 0x${st.stopArg.toString(16).padStart(2, '0')} in the instruction before word ${st.stopPc}`);
    }
    if (st.stopCode !== STOP_CODE.host) throw new BoardRunError(`the board stopped with an unknown stop code ${st.stopCode} before word ${st.stopPc}`);
    const step = prog.hostSteps[st.stopArg];
    if (!step) throw new BoardRunError(`the board asks for host step ${st.stopArg}; the program has ${prog.hostSteps.length}`);
    // Only the pooled tensor comes over and only its destinations go back.
    const from = tensorSpan(step.from);
    wordsRead += await readWords(link, windowBase('memory') + from.base, memory.subarray(from.base, from.base + from.words));
    hostStep(prog, memory, st.stopArg);
    for (const t of step.to) {
      const to = tensorSpan(t);
      wordsWritten += await writeWords(link, windowBase('memory') + to.base, memory.subarray(to.base, to.base + to.words));
    }
    pc = st.stopPc;
  }
  const { addr, M, N } = prog.logits;
  wordsRead += await readWords(link, windowBase('memory') + addr, memory.subarray(addr, addr + M * N));
  return { logits: programLogits(prog, memory), segments, wordsWritten, wordsRead };
}

/** Loads `prog` with the image `x` and runs it to the end over `link`. */
export async function runProgramOverLink(link: HostLink, prog: NetProgram, p: RtlParams, x: ArrayLike<number>, opts: BoardRunOptions = {}): Promise<BoardRun> {
  return runLoadedProgram(link, await loadProgramOverLink(link, prog, p, x), opts);
}
