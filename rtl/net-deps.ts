// What each network program instruction reads and writes, and the wait masks that keep the overlapped run equal
// to the sequential one (rtl/net-exec.ts runs the instructions one after another: the reference).
//
// The sequencer (rtl/modules/sequencer.ts) issues in order, each engine one command at a time: an instruction
// issues when its engine has no command outstanding and every engine of its wait mask has none. So when an
// instruction issues, everything earlier on its own engine has finished, and so has everything earlier on an
// engine of its mask. The compiler gives an instruction the engines of the earlier instructions it conflicts
// with (a resource one writes and the other reads or writes) that are not known to be finished already.
// accessOf is the one place that says what an instruction touches; the masks and the checker derive from it.
import type { NetInstr } from './net-instr.js';

/** The engines that run commands while the sequencer goes on ('seq': rows, host and end run in the sequencer). */
export type Engine = 'loader' | 'storer' | 'core' | 'output';

/** Which engine carries out each op ('rows' the sequencer's row-table writes, 'halt' stops the sequencer: the end, or a host step). */
export const ENGINE_OF: Record<NetInstr['op'], Engine | 'rows' | 'halt'> = {
  tables: 'loader', 'load-input': 'loader', weights: 'loader', residual: 'loader', store: 'storer', 'store-acc': 'storer',
  tile: 'core', rows: 'rows', output: 'output', host: 'halt', end: 'halt',
};

/** Wait mask bits (header word bits [19:16], rtl/isa.ts). */
export const ENGINE_BIT: Record<Engine, number> = { loader: 1, storer: 2, core: 4, output: 8 };
export const ENGINES = Object.keys(ENGINE_BIT) as Engine[];
export const ALL_ENGINES = ENGINES.reduce((m, e) => m | ENGINE_BIT[e], 0);

/** A memory range of 32-bit words [lo, hi). */
export interface WordRange {
  lo: number;
  hi: number;
}

/**
 * What an instruction touches. On-chip resources by name: `ib0`/`ib1`, `wb0`/`wb1` and `ob0`/`ob1` the buffer
 * halves, `obport` the OBUF read port (a continuation tile, an output pass and a store-acc each take it whole),
 * `rowtable`, `tables` (the output unit's per-channel tables), `resbuf` (the residual buffer), `staging` (the
 * staging buffer: every pass writes it from word 0). Memory as word ranges. `all`: conflicts with everything.
 */
export interface Access {
  reads: string[];
  writes: string[];
  memReads: WordRange[];
  memWrites: WordRange[];
  all?: boolean;
}

const wordsOf = (t: { c: number; format: { perWord: number } }) => Math.ceil(t.c / t.format.perWord);
const none = (): Access => ({ reads: [], writes: [], memReads: [], memWrites: [] });

/** The resources `ins` reads and writes (memory ranges may be wider than the words it moves, never narrower). */
export function accessOf(ins: NetInstr): Access {
  const a = none();
  switch (ins.op) {
    case 'tables':
      a.writes.push('tables');
      a.memReads.push({ lo: ins.addr, hi: ins.addr + 3 * ins.channels });
      break;
    case 'load-input': {
      const w = ins.window;
      const g = wordsOf(ins.src);
      const y0 = Math.max(0, ins.block.oy0 * w.strideY - w.padTop);
      const y1 = Math.min(w.inH, ins.block.oy0 * w.strideY - w.padTop + ins.input.th);
      a.writes.push(`ib${ins.half}`);
      if (y1 > y0) a.memReads.push({ lo: ins.src.base + y0 * w.inW * g, hi: ins.src.base + y1 * w.inW * g });
      break;
    }
    case 'weights':
      a.writes.push(`wb${ins.half}`);
      a.memReads.push({ lo: ins.addr, hi: ins.addr + Math.ceil(ins.words / (32 / ins.wordBits)) });
      break;
    case 'rows':
      a.writes.push('rowtable');
      break;
    case 'tile': {
      const t = ins.tile;
      a.reads.push(`ib${t.ibHalf}`, `wb${t.wbHalf}`, 'rowtable');
      a.writes.push(`ob${t.obHalf}`);
      if (t.accumulate) a.writes.push('obport');
      break;
    }
    case 'residual': {
      const r = ins.read;
      const g = wordsOf(r.src);
      const b = ins.block;
      a.writes.push('resbuf');
      if (b.rows > 0) a.memReads.push({ lo: r.src.base + b.oy0 * r.strideY * r.src.w * g, hi: r.src.base + ((b.oy0 + b.rows - 1) * r.strideY + 1) * r.src.w * g });
      break;
    }
    case 'output':
      a.reads.push(`ob${ins.pass.obufHalf}`, 'tables');
      if (ins.pass.residual) a.reads.push('resbuf');
      a.writes.push('staging', 'obport');
      break;
    case 'store': {
      const b = ins.block;
      const g = wordsOf(ins.dst);
      const at = (y: number, x: number) => ins.dst.base + (y * ins.dst.w + x) * g + ins.wordLo;
      a.reads.push('staging');
      if (b.rows > 0 && b.cols > 0) a.memWrites.push({ lo: at(b.oy0, b.ox0), hi: at(b.oy0 + b.rows - 1, b.ox0 + b.cols - 1) + ins.words });
      break;
    }
    case 'store-acc':
      a.reads.push(`ob${ins.half}`);
      a.writes.push('obport');
      if (ins.M > 0 && ins.N > 0) a.memWrites.push({ lo: ins.addr, hi: ins.addr + (ins.M - 1) * ins.stride + ins.N });
      break;
    case 'host':
    case 'end':
      a.all = true;
      break;
  }
  return a;
}

const overlaps = (x: WordRange[], y: WordRange[]) => x.some((a) => y.some((b) => a.lo < b.hi && b.lo < a.hi));
const shares = (x: string[], y: string[]) => x.some((r) => y.includes(r));

/** Whether running `a` and `b` in either order (or at once) can give different results. */
export function conflicts(a: Access, b: Access): boolean {
  if (a.all || b.all) return true;
  return shares(a.writes, b.writes) || shares(a.writes, b.reads) || shares(a.reads, b.writes)
    || overlaps(a.memWrites, b.memWrites) || overlaps(a.memWrites, b.memReads) || overlaps(a.memReads, b.memWrites);
}

const asyncEngine = (op: NetInstr['op']): Engine | null => {
  const e = ENGINE_OF[op];
  return e === 'rows' || e === 'halt' ? null : e;
};

/**
 * Each instruction's wait mask: the engines whose last command (in program order) conflicts with it and is not
 * known to have finished. An engine's command is known finished once a later instruction was issued to the same
 * engine or waited for it. A halt waits for every engine (the sequencer drains them before it stops anyway).
 */
export function waitMasks(instrs: readonly NetInstr[]): number[] {
  const last = new Map<Engine, Access>();
  return instrs.map((ins) => {
    const acc = accessOf(ins);
    const own = asyncEngine(ins.op);
    let mask = 0;
    for (const [e, prev] of last) if (e !== own && conflicts(prev, acc)) mask |= ENGINE_BIT[e];
    for (const e of ENGINES) if (mask & ENGINE_BIT[e]) last.delete(e);
    if (ENGINE_OF[ins.op] === 'halt') last.clear();
    if (own) last.set(own, acc);
    return mask;
  });
}

export interface OrderViolation {
  /** The earlier and the later instruction, which conflict and may run at once. */
  first: number;
  second: number;
}

/**
 * Pairs of conflicting instructions the masks do not order (empty when overlapping cannot change results): the
 * second may issue while the first's engine still runs it. Independent of waitMasks: for each instruction on an
 * engine, the first later instruction that must find it finished (same engine, a mask with its engine, a halt),
 * and every conflicting instruction before that one.
 */
export function orderViolations(instrs: readonly NetInstr[], masks: readonly number[]): OrderViolation[] {
  const acc = instrs.map(accessOf);
  const out: OrderViolation[] = [];
  for (let i = 0; i < instrs.length; i++) {
    const e = asyncEngine(instrs[i].op);
    if (!e) continue;
    for (let j = i + 1; j < instrs.length; j++) {
      // j issues only after i finished (its own engine, its mask or a halt), and so does everything after j.
      if (asyncEngine(instrs[j].op) === e || (masks[j] & ENGINE_BIT[e]) !== 0 || ENGINE_OF[instrs[j].op] === 'halt') break;
      if (conflicts(acc[i], acc[j])) out.push({ first: i, second: j });
    }
  }
  return out;
}

/** Estimated cycles of an instruction, for ordering only (the masks keep any order correct). */
export type CycleEstimate = (ins: NetInstr) => number;

/**
 * The order an engine-per-command machine would start the instructions in: each starts at the earliest time its
 * engine is free for its estimated cycles (a gap between commands already placed will do: an engine's commands
 * need not keep the program's order) once every earlier conflicting instruction has finished. Issuing in this
 * order lets the sequencer's in-order issue start a load for the next tile while the array runs this one (the
 * double-buffered halves), and a tile while the output unit and the storer finish the one before. Conflicting
 * instructions keep their order (a later one starts after the earlier one's finish, and estimates are >= 1), so
 * running the reordered program one instruction at a time gives the same results.
 */
export function scheduleOrder(instrs: readonly NetInstr[], estimate: CycleEstimate): number[] {
  const acc = instrs.map(accessOf);
  const busy = new Map<string, Array<[number, number]>>();
  const finish: number[] = [];
  const start: number[] = [];
  instrs.forEach((ins, j) => {
    const unit = asyncEngine(ins.op) ?? 'seq';
    const d = Math.max(1, estimate(ins));
    let t = 0;
    for (let i = 0; i < j; i++) if (finish[i] > t && conflicts(acc[i], acc[j])) t = finish[i];
    const slots = busy.get(unit) ?? [];
    for (const [s, f] of slots) if (t < f && s < t + d) t = f;
    start.push(t);
    finish.push(t + d);
    slots.push([t, t + d]);
    slots.sort((x, y) => x[0] - y[0]);
    busy.set(unit, slots);
  });
  return instrs.map((_, j) => j).sort((a, b) => start[a] - start[b] || a - b);
}
