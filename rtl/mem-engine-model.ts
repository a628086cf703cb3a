// The memory engines of the network program (rtl/modules/mem-loader.ts, rtl/modules/mem-storer.ts): their sizes,
// the plan a command turns into (runs of contiguous memory words and the local words they feed), and the parts of
// their cycle model both engines use (the DRAM model of rtl/modules/axi-dram-model.ts, the burst requests, the
// command control); rtl/mem-engine-sim.ts steps each engine with them one clock cycle at a time, with the same
// registers as the RTL, so the tests can hold every local write and handshake to the model's cycle.
//
// Rules the RTL and this model share:
// - A command is accepted when idle (cmd_ready); an op the engine does not take, or a field it cannot carry out
//   (a field width that is not a power of two up to 32, an IBUF bank stride d that does not divide ROWS), is
//   accepted too and answered one cycle later by `done` with `err` high, nothing read or written.
// - Setup: SETUP_CYCLES cycles after the accept the command's runs and walkers are loaded (the multiplies of the
//   addresses run through registered stages meanwhile); the first request goes out in the next cycle.
// - Requests: a command's memory words are runs (a 2-D walk: rows of runs, each `len` words, runs `cs` and rows
//   `rs` words apart; runs that touch are merged into one per row). Each run is split into INCR bursts of whole
//   beats (at most 256 beats, none across 4 KiB); one burst a cycle, at most MAX_OUT in flight (loader: until its
//   last beat is consumed; storer: until its B response).
// - Loader: R beats are consumed in order, one local write a cycle; a beat's words outside the burst's run are
//   skipped, a memory word holding several buffer words is held (RREADY low) until its last field is written.
//   Pad words of load-input need no memory word. The local write shows one cycle after its R word; `done` pulses
//   with the last write.
// - Storer: local reads (one a cycle, data the next cycle) run ahead into a FIFO of FIFO_D words; words are
//   placed one a cycle into the W beat register, which is sent when its last word of the burst is in; WSTRB
//   covers the burst's words of the beat (whole 32-bit words; all ones on a 32-bit bus). `done` pulses the
//   cycle after the last B response.
import type { NetInstr } from './net-program.js';
import { OPCODES, instrLayout } from './isa.js';
import type { RtlParams } from './params.js';
import type { DramTiming } from './axi-model.js';
import { clog2 } from './verilog.js';
import { unpackValues } from './descriptor.js';

export const LOADER_OPS: ReadonlyArray<NetInstr['op']> = ['tables', 'load-input', 'weights', 'residual'];
export const STORER_OPS: ReadonlyArray<NetInstr['op']> = ['store', 'store-acc'];

/** Cycles between a command's accept and the cycle its runs are loaded. */
export const SETUP_CYCLES = 5;

/** Sizes of the two engines. */
export interface MemEngineParams {
  /** AXI data width (32, 64 or 128 bits: 1, 2 or 4 memory words a beat). */
  dataBits: number;
  addrBits: number;
  /** Bursts in flight, at most (2..15). */
  maxOutstanding: number;
  /** Storer: words of the local-read prefetch FIFO (power of two, at least 2). */
  fifoDepth: number;
  rows: number;
  cols: number;
  ibAddrBits: number;
  ibHalf: number;
  wbAddrBits: number;
  wbHalf: number;
  obAddrBits: number;
  obHalf: number;
  obWordBits: number;
  /** Output unit: channel table address, residual buffer address, staging buffer address. */
  chAddrBits: number;
  rbAddrBits: number;
  stAddrBits: number;
}

/**
 * The engines of design `p`: a buffer's second half starts at its tile depth when it is double-buffered (0: one half).
 * Eight bursts in flight: a store of one word per pixel (an output channel slice narrower than the tensor's pixel)
 * is one single-beat burst a pixel, each in flight for about the DRAM latency, so the bursts in flight set its rate.
 */
export function memEngineParams(p: RtlParams, dataBits = 64): MemEngineParams {
  const half = (b: { doubleBuffered: boolean; tileDepth: number }) => (b.doubleBuffered ? b.tileDepth : 0);
  return {
    dataBits, addrBits: 32, maxOutstanding: 15, fifoDepth: 4, rows: p.rows, cols: p.cols,
    ibAddrBits: p.ibuf.addrBits, ibHalf: half(p.ibuf), wbAddrBits: p.wbuf.addrBits, wbHalf: half(p.wbuf),
    obAddrBits: p.obuf.addrBits, obHalf: half(p.obuf), obWordBits: p.obuf.wordBits,
    chAddrBits: p.output.chAddrBits, rbAddrBits: p.output.resAddrBits, stAddrBits: p.output.outAddrBits,
  };
}

export function checkMemEngineParams(e: MemEngineParams): void {
  if (![32, 64, 128].includes(e.dataBits)) throw new Error(`memory engines: dataBits ${e.dataBits} must be 32, 64 or 128`);
  if (e.maxOutstanding < 2 || e.maxOutstanding > 15) throw new Error(`memory engines: maxOutstanding ${e.maxOutstanding} must be in 2..15`);
  if (e.fifoDepth < 2 || (e.fifoDepth & (e.fifoDepth - 1)) !== 0) throw new Error(`memory engines: fifoDepth ${e.fifoDepth} must be a power of two >= 2`);
  if (e.obWordBits > 32) throw new Error(`memory engines: OBUF words of ${e.obWordBits} bits do not fit a memory word`);
}

/** Bits of an op's payload. */
export function payloadBits(op: NetInstr['op']): number {
  const l = instrLayout(op);
  return l.length ? l[l.length - 1].lsb + l[l.length - 1].bits : 0;
}

/** Payload bits of cmd_fields: the widest payload of the engine's ops, in whole words. */
export function fieldsBits(ops: ReadonlyArray<NetInstr['op']>): number {
  return 32 * Math.max(1, ...ops.map((op) => Math.ceil(payloadBits(op) / 32)));
}

/** A command as the engines take it: the opcode and the instruction's payload bits. */
export interface EngineCommand {
  op: number;
  fields: bigint;
}

const u32 = (v: number) => v >>> 0;
const isField = (b: number) => [1, 2, 4, 8, 16, 32].includes(b);

/** The 2-D walk of a command's runs. */
interface Runs { base: number; nr: number; nc: number; len: number; rs: number; cs: number }

/** What the engine loads SETUP_CYCLES after the accept. */
interface Plan {
  op: NetInstr['op'];
  f: Record<string, number>;
  runs: Runs;
  total: number;
}

function opName(code: number): NetInstr['op'] | undefined {
  return (Object.keys(OPCODES) as Array<NetInstr['op']>).find((k) => OPCODES[k] === code);
}

/** The command's walk, or null when the engine refuses it (err). */
export function planOf(e: MemEngineParams, cmd: EngineCommand, ops: ReadonlyArray<NetInstr['op']>): Plan | null {
  const op = opName(cmd.op);
  if (!op || !ops.includes(op)) return null;
  const f = unpackValues(instrLayout(op), cmd.fields);
  const merge = (r: Runs): Runs => (r.len === r.cs ? { ...r, nc: 1, len: u32(r.nc * r.len) } : r);
  const one = (base: number, len: number): Runs => ({ base, nr: 1, nc: 1, len, rs: 0, cs: 0 });
  let runs: Runs;
  let total: number;
  switch (op) {
    case 'tables':
      runs = one(f.addr, 3 * f.channels);
      total = 3 * f.channels;
      break;
    case 'weights':
      if (!isField(f.word_bits)) return null;
      runs = one(f.addr, Math.ceil((f.words * f.word_bits) / 32));
      total = f.words;
      break;
    case 'residual':
      runs = merge({
        base: u32(f.src + (f.oy0 * f.stride_y * f.src_w + f.ox0 * f.stride_x) * f.g + f.word_lo), nr: f.rows, nc: f.cols, len: f.words,
        rs: u32(f.stride_y * f.src_w * f.g), cs: u32(f.stride_x * f.g),
      });
      total = f.rows * f.cols * f.words;
      break;
    case 'load-input': {
      if (!isField(f.act_bits) || f.d === 0 || e.rows % f.d !== 0) return null;
      const y0 = f.oy0 * f.stride_y - f.pad_top;
      const x0 = f.ox0 * f.stride_x - f.pad_left;
      const ya = Math.max(y0, 0);
      const xa = Math.max(x0, 0);
      const nr = Math.max(Math.min(y0 + f.th, f.in_h) - ya, 0);
      const nc = Math.max(Math.min(x0 + f.tw, f.in_w) - xa, 0);
      const wf = Math.floor((f.g0 * f.act_bits) / 32);
      const wl = Math.floor(((f.g0 + f.gs - 1) * f.act_bits) / 32);
      runs = merge({ base: u32(f.src + (ya * f.in_w + xa) * f.gm + wf), nr, nc, len: wl - wf + 1, rs: u32(f.in_w * f.gm), cs: f.gm });
      total = f.th * f.tw * f.gs;
      break;
    }
    case 'store':
      runs = merge({
        base: u32(f.dst + (f.oy0 * f.dst_w + f.ox0) * f.g + f.word_lo), nr: f.rows, nc: f.cols, len: f.words, rs: u32(f.dst_w * f.g), cs: f.g,
      });
      total = f.rows * f.cols * f.words;
      break;
    case 'store-acc':
      runs = f.stride === f.n ? one(f.addr, f.m * f.n) : { base: f.addr, nr: f.m, nc: 1, len: f.n, rs: f.stride, cs: 0 };
      total = f.m * f.n;
      break;
    default:
      return null;
  }
  if (total === 0) runs = { ...runs, nr: 0 };
  return { op, f, runs, total };
}

/** The DRAM model of rtl/modules/axi-dram-model.ts, register for register. Memory in 32-bit words. */
export class DramModel {
  private rq: Array<{ beat: number; len: number; due: number }> = [];
  private wq: Array<{ beat: number; len: number }> = [];
  private bq: number[] = [];
  private rBeat = 0;
  private wBeat = 0;
  private credit: number;
  private now = 0;
  readonly beatBytes: number;
  readonly k: number;

  constructor(readonly t: DramTiming, dataBits: number, readonly mem: Uint32Array) {
    this.beatBytes = dataBits / 8;
    this.k = dataBits / 32;
    this.credit = this.beatBytes + t.bytesPerCycle - 1;
  }

  private get canBeat(): boolean {
    return this.credit >= this.beatBytes;
  }

  get arReady(): boolean { return this.rq.length < this.t.queueDepth; }
  get awReady(): boolean { return this.wq.length < this.t.queueDepth; }
  get rValid(): boolean { return this.rq.length > 0 && this.now >= this.rq[0].due && this.canBeat; }
  get rLast(): boolean { return this.rq.length > 0 && this.rBeat === this.rq[0].len - 1; }
  // The RTL model holds W back only in a cycle an R beat moves; a model runs one engine, so R and W never meet here.
  get wReady(): boolean { return this.wq.length > 0 && this.canBeat && !this.rValid; }
  get bValid(): boolean { return this.bq.length > 0 && this.now >= this.bq[0]; }

  /** Word `i` of the R beat on the bus. */
  rWord(i: number): number {
    return this.mem[(this.rq[0].beat + this.rBeat) * this.k + i] ?? 0;
  }

  /** The clock edge: the handshakes of the cycle (AR and AW by byte address and beats, W words with their strobes). */
  edge(h: { ar?: { addr: number; beats: number }; aw?: { addr: number; beats: number }; r: boolean; w?: { words: number[]; strb: boolean[] }; b: boolean }): void {
    const rFire = h.r && this.rValid;
    const wFire = h.w !== undefined && this.wReady;
    if (h.r && !this.rValid) throw new Error('internal: RREADY without RVALID taken as a beat');
    this.credit = Math.min(this.beatBytes + this.t.bytesPerCycle - 1, this.credit - (rFire || wFire ? this.beatBytes : 0) + this.t.bytesPerCycle);
    if (rFire) {
      if (this.rLast) {
        this.rq.shift();
        this.rBeat = 0;
      } else this.rBeat++;
    }
    if (wFire) {
      const at = (this.wq[0].beat + this.wBeat) * this.k;
      h.w!.words.forEach((v, i) => { if (h.w!.strb[i]) this.mem[at + i] = v; });
      if (this.wBeat === this.wq[0].len - 1) {
        this.wq.shift();
        this.wBeat = 0;
        this.bq.push(this.now + this.t.latency);
        // the RTL model keeps QDEPTH responses and has no way to hold a burst back
        if (this.bq.length > this.t.queueDepth) throw new Error(`DRAM model: more than ${this.t.queueDepth} write responses pending; use queueDepth >= maxOutstanding`);
      } else this.wBeat++;
    }
    if (h.b && this.bValid) this.bq.shift();
    if (h.ar) this.rq.push({ beat: h.ar.addr / this.beatBytes, len: h.ar.beats, due: this.now + this.t.latency });
    if (h.aw) this.wq.push({ beat: h.aw.addr / this.beatBytes, len: h.aw.beats });
    this.now++;
  }
}

/** The request side both engines share: the walk of runs and the burst split. */
export class Requests {
  addr = 0;
  left = 0;
  run = 0;
  row = 0;
  rows = 0;
  cols = 0;
  r: Runs = { base: 0, nr: 0, nc: 0, len: 0, rs: 0, cs: 0 };
  constructor(private k: number) {}

  load(r: Runs): void {
    this.r = r;
    this.addr = r.base;
    this.row = r.base;
    this.run = r.base;
    this.rows = r.nr;
    this.cols = r.nc;
    this.left = r.nr !== 0 && r.nc !== 0 ? r.len : 0;
  }

  /** The next burst: byte address, beats, the first word's place in its beat and the burst's words. */
  burst(): { addr: number; beats: number; lo: number; words: number } {
    const lo = this.addr % this.k;
    const pageBeats = 1024 / this.k;
    const room = Math.min(256, pageBeats - (Math.floor(this.addr / this.k) % pageBeats));
    const beats = Math.min(room, Math.ceil((lo + this.left) / this.k));
    const words = Math.min(this.left, beats * this.k - lo);
    return { addr: u32((this.addr - lo) * 4), beats, lo, words };
  }

  advance(words: number): void {
    if (words < this.left) {
      this.addr = u32(this.addr + words);
      this.left -= words;
    } else if (this.cols > 1) {
      this.cols--;
      this.run = u32(this.run + this.r.cs);
      this.addr = this.run;
      this.left = this.r.len;
    } else if (this.rows > 1) {
      this.rows--;
      this.cols = this.r.nc;
      this.row = u32(this.row + this.r.rs);
      this.run = this.row;
      this.addr = this.row;
      this.left = this.r.len;
    } else this.left = 0;
  }
}

/** A local write of the loader: port, select (pt: 0 bias, 1 m0, 2 shift; wb: bank; ib: bank mask), address, word. */
export interface LocalWrite {
  cycle: number;
  port: 'ib' | 'wb' | 'pt' | 'rb';
  sel: number;
  addr: number;
  data: number;
}

export interface EngineTrace {
  accepted: number[];
  done: number[];
  /** err as it stands in each done cycle. */
  err: boolean[];
  /** Address requests: AR (loader) or AW (storer). */
  req: Array<{ cycle: number; addr: number; beats: number }>;
  w: Array<{ cycle: number; last: boolean }>;
  writes: LocalWrite[];
  /** Storer local reads: st (staging) or ob (bank in sel). */
  reads: Array<{ cycle: number; port: 'st' | 'ob'; sel: number; addr: number }>;
}

export interface QueuedEngineCommand extends EngineCommand {
  /** First cycle cmd_valid is high (it stays high until accepted). */
  validFrom: number;
}

export interface EngineModelInput {
  e: MemEngineParams;
  dram: DramTiming;
  commands: QueuedEngineCommand[];
  /** DRAM contents in words; updated in place by the storer. */
  memory: Uint32Array;
  cycles: number;
  /** Storer: the staging buffer and the OBUF banks it reads. */
  staging?: Uint32Array;
  obuf?: Int32Array[];
}

/** What both engines' simulations start from: the beat size, the DRAM model, the trace, the command control and the requests. */
export function engineSetup(m: EngineModelInput, ops: ReadonlyArray<NetInstr['op']>):
  { k: number; dram: DramModel; trace: EngineTrace; ctl: Control; rq: Requests } {
  const k = m.e.dataBits / 32;
  const trace = emptyTrace();
  return { k, dram: new DramModel(m.dram, m.e.dataBits, m.memory), trace, ctl: new Control(m, ops, trace), rq: new Requests(k) };
}

export function emptyTrace(): EngineTrace {
  return { accepted: [], done: [], err: [], req: [], w: [], writes: [], reads: [] };
}

/** Both engines' command handshake and setup: the phase counter, refusal and done. */
export class Control {
  phase = 0;
  plan: Plan | null = null;
  next = 0;
  err = false;
  doneNext = false;
  constructor(private m: EngineModelInput, private ops: ReadonlyArray<NetInstr['op']>, private trace: EngineTrace) {}

  /** Command accepted this cycle (cmd_ready and cmd_valid). */
  fire(c: number): QueuedEngineCommand | undefined {
    const q = this.m.commands[this.next];
    if (this.phase !== 0 || !q || q.validFrom > c) return undefined;
    this.trace.accepted.push(c);
    return q;
  }

  /** The edge of an accept: a refused command is done the next cycle with err. */
  accept(q: QueuedEngineCommand): void {
    this.next++;
    this.plan = planOf(this.m.e, q, this.ops);
    this.err = this.plan === null;
    if (this.plan) this.phase = 1;
    else this.doneNext = true;
  }
}

export const wbBankBits = (e: MemEngineParams) => Math.max(1, clog2(e.rows * e.cols));
/** Bits of an OBUF bank number. */
export const obBankBits = (e: MemEngineParams) => Math.max(1, clog2(e.cols));
