// The host's view of board_system (rtl/modules/board-system.ts) on host_link's word bus: which word addresses reach
// the memory, the instruction memory and the status registers, and what the registers hold. The generator and the
// host code (rtl/board-run.ts) both read it from here, so an address the host uses is the one the RTL decodes.
import { hostLinkParams } from './host-link.js';

/**
 * The top two bits of host_link's word address pick a window; the rest is the word within it. Memory takes the
 * lower half (its RAM decodes as many bits as it has words and wraps above), the instruction memory (write only)
 * and the status registers (read only) a quarter each.
 */
export const BOARD_WINDOW = { memory: 0, imem: 2, status: 3 } as const;

/** Word address bits of host_link on the board: hostLinkParams' (24 whatever the clock, which sets only the bit time). */
export const BOARD_ADDR_BITS = hostLinkParams(200).memAddrBits;

/** First word address of a window. */
export function windowBase(w: keyof typeof BOARD_WINDOW): number {
  return BOARD_WINDOW[w] * 2 ** (BOARD_ADDR_BITS - 2);
}

/** Read-only status registers: word offsets in the status window. */
export const STATUS_REG = {
  /** FLAG bits below, stop_code in bits [4:3]. */
  flags: 0,
  /** The sequencer's pc: the running (or last) instruction's first word. */
  pc: 1,
  /** Where the last halt resumes (the word after the stopping instruction). */
  stopPc: 2,
  /** The host step's number at stop_code 1, the bad opcode at stop_code 2. */
  stopArg: 3,
  /** Cycles from the last start to its halt (still counting while busy). */
  runCycles: 4,
  /** Memory words behind the memory window (a constant of the build). */
  memWords: 5,
  /** Instruction memory words (a constant of the build). */
  imWords: 6,
  /** The array the build has, rows << 16 | cols: a program compiled for another array cannot run on it. */
  array: 7,
} as const;
export const STATUS_REGS = Object.keys(STATUS_REG).length;

/** Bits of the flags register (lost: a host memory access was refused or dropped; stays set until a reset). */
export const FLAG = { done: 0, busy: 1, err: 2, lost: 5 } as const;
export const STOP_CODE_LSB = 3;

/**
 * The board's memory: 2^18 32-bit words (1 MiB, 256 of the XC7VX690T's 1,470 BRAM36). The largest program of the
 * reports is ResNet-32 a8w8 at 195,848 words under the vc709 tiling (ResNet-20 a8w8 117,448, ResNet-32 a4w4
 * 101,256); the next power of two down (131,072) would not hold it.
 */
export const BOARD_MEM_WORDS = 2 ** 18;

export interface BoardStatus {
  done: boolean;
  busy: boolean;
  err: boolean;
  lost: boolean;
  stopCode: number;
  pc: number;
  stopPc: number;
  stopArg: number;
  runCycles: number;
  memWords: number;
  imWords: number;
  rows: number;
  cols: number;
}

/** The status registers as read in one block from the status window's first word. */
export function decodeStatus(words: readonly bigint[]): BoardStatus {
  if (words.length < STATUS_REGS) throw new Error(`board status: ${words.length} words read, ${STATUS_REGS} needed`);
  const r = (k: number) => Number(words[k]);
  const f = r(STATUS_REG.flags);
  return {
    done: ((f >> FLAG.done) & 1) === 1,
    busy: ((f >> FLAG.busy) & 1) === 1,
    err: ((f >> FLAG.err) & 1) === 1,
    lost: ((f >> FLAG.lost) & 1) === 1,
    stopCode: (f >> STOP_CODE_LSB) & 3,
    pc: r(STATUS_REG.pc),
    stopPc: r(STATUS_REG.stopPc),
    stopArg: r(STATUS_REG.stopArg),
    runCycles: r(STATUS_REG.runCycles),
    memWords: r(STATUS_REG.memWords),
    imWords: r(STATUS_REG.imWords),
    rows: r(STATUS_REG.array) >>> 16,
    cols: r(STATUS_REG.array) & 0xffff,
  };
}
