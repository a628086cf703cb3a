// Checks the generated RTL against the TypeScript models under a simulator: the BitBrick exhaustively, the
// Fusion Unit on thousands of vectors in every mode and sign combination. Used by the tests and by
// `hwq rtl --verify`. Each check returns a result rather than throwing, so a caller can print the first
// mismatch with its inputs.
import { mulberry32, randInt } from '../src/random.js';
import { tileCycles } from '../hw/array-timing.js';
import { bitBrick } from '../hw/bitbrick.js';
import { FU_MODES, FuMode, fusionUnit, modeName, operandRange, pairsPerCycle } from '../hw/fusion-unit.js';
import { CompiledTile, compileTile } from './compile.js';
import { RtlDesign, moduleOf, sourcesOf } from './generate.js';
import { fusionUnitModuleNames } from './modules/fusion-unit.js';
import { RtlParams } from './params.js';
import { FU_SUM_BITS, packWord, rtlMode, widthCode } from './pack.js';
import { Response, SimTop, Stimulus, cycleInputs, fieldOf, runIcarus, runVerilator, valueOf } from './sim.js';
import { ArrayTile, type TileShape, referenceTile, runTile } from '../hw/stepped-array.js';
import { actWord, bus, makeTile, wgtWord } from './tiles.js';

export type Simulator = 'verilator' | 'icarus';

export interface CheckResult {
  what: string;
  simulator: Simulator;
  /** Vectors (or tiles) compared. */
  checked: number;
  mismatches: number;
  /** The first mismatch, with its inputs, expected and observed values. */
  first?: string;
  /** Core checks: each tile's cycle counts, model and measured. */
  cycles?: TileCycles[];
}

/** A tile's length by the formula, by runTile, and as the RTL ran it (cycles after the descriptor was accepted). */
export interface TileCycles extends TileShape {
  tileCycles: number;
  runTile: number;
  /** One past the cycle of the last OBUF write (NaN when nothing was written). */
  rtlLastWrite: number;
  /** The cycle `done` pulsed (NaN when it never did). */
  rtlDone: number;
}

/** Deterministic PRNG (the project's mulberry32): the same vectors on every run. */
export const prng = mulberry32;

export { randInt };

function simulate(sim: Simulator, sources: Map<string, string>, top: SimTop, stim: Stimulus, coverageFile?: string): Response {
  if (coverageFile !== undefined && sim !== 'verilator') throw new Error('internal: coverage needs Verilator');
  return sim === 'verilator' ? runVerilator(sources, top, stim, coverageFile) : runIcarus(sources, top, stim);
}

/** Two's-complement value of a `bits`-wide response field. */
export function signedOf(v: bigint, bits: number): number {
  const x = Number(v);
  return x >= 2 ** (bits - 1) ? x - 2 ** bits : x;
}

export function checkBitBrick(design: RtlDesign, sim: Simulator): CheckResult {
  const m = moduleOf(design, 'bitbrick');
  const top: SimTop = { name: 'bitbrick', ports: m.ports };
  const cases: Array<[number, boolean, number, boolean]> = [];
  for (const sx of [false, true]) for (const sy of [false, true]) for (let x = 0; x < 4; x++) for (let y = 0; y < 4; y++) cases.push([x, sx, y, sy]);
  const stim = cases.map(([x, sx, y, sy]) => [BigInt(x), sx ? 1n : 0n, BigInt(y), sy ? 1n : 0n]);
  const resp = simulate(sim, sourcesOf(design, ['bitbrick']), top, stim);
  const res: CheckResult = { what: 'bitbrick exhaustive', simulator: sim, checked: cases.length, mismatches: 0 };
  cases.forEach(([x, sx, y, sy], i) => {
    const raw = valueOf(resp[i][0]);
    const got = raw === null ? null : signedOf(raw, m.ports[4].width);
    const want = bitBrick(x, sx, y, sy);
    if (got !== want) {
      res.mismatches++;
      res.first ??= `bitbrick x=${x} sx=${sx} y=${y} sy=${sy}: expected ${want}, got ${got ?? 'x'}`;
    }
  });
  return res;
}

export interface FuVector {
  mode: FuMode;
  aSigned: boolean;
  wSigned: boolean;
  acts: number[];
  wts: number[];
}

/** Corner operands (all-min, all-max, mixed extremes) and `randomPerCombo` random words per mode and sign combination. */
export function fuVectors(randomPerCombo: number, seed = 1): FuVector[] {
  const r = prng(seed);
  const out: FuVector[] = [];
  for (const mode of FU_MODES) for (const aSigned of [false, true]) for (const wSigned of [false, true]) {
    const n = pairsPerCycle(mode);
    const [alo, ahi] = operandRange(mode.a, aSigned);
    const [wlo, whi] = operandRange(mode.w, wSigned);
    const fill = (v: number) => new Array<number>(n).fill(v);
    const alt = (x: number, y: number) => Array.from({ length: n }, (_, i) => (i % 2 ? y : x));
    const corners: Array<[number[], number[]]> = [
      [fill(alo), fill(wlo)], [fill(ahi), fill(whi)], [fill(alo), fill(whi)], [fill(ahi), fill(wlo)],
      [alt(alo, ahi), alt(whi, wlo)], [alt(ahi, alo), alt(wlo, whi)], [fill(0), fill(wlo)], [fill(alo), fill(0)],
    ];
    for (const [acts, wts] of corners) out.push({ mode, aSigned, wSigned, acts, wts });
    for (let i = 0; i < randomPerCombo; i++) {
      out.push({
        mode, aSigned, wSigned,
        acts: Array.from({ length: n }, () => randInt(r, alo, ahi)),
        wts: Array.from({ length: n }, () => randInt(r, wlo, whi)),
      });
    }
  }
  return out;
}

/**
 * Every mode whose operands are at most 4 bits, exhaustively: for each (activation, weight) value pair of the
 * mode's ranges, vector (va, vw) gives pair i the values va + i and vw + 3i (wrapping in the range), so every
 * pair slot of the word sees every value pair once, in every sign combination.
 */
export function fuExhaustiveVectors(): FuVector[] {
  const out: FuVector[] = [];
  for (const mode of FU_MODES.filter((m) => m.a <= 4 && m.w <= 4)) for (const aSigned of [false, true]) for (const wSigned of [false, true]) {
    const [alo, ahi] = operandRange(mode.a, aSigned);
    const [wlo, whi] = operandRange(mode.w, wSigned);
    const na = ahi - alo + 1;
    const nw = whi - wlo + 1;
    const n = pairsPerCycle(mode);
    for (let va = 0; va < na; va++) for (let vw = 0; vw < nw; vw++) {
      out.push({
        mode, aSigned, wSigned,
        acts: Array.from({ length: n }, (_, i) => alo + ((va + i) % na)),
        wts: Array.from({ length: n }, (_, i) => wlo + ((vw + 3 * i) % nw)),
      });
    }
  }
  return out;
}

function describe(v: FuVector): string {
  return `mode ${modeName(v.mode)} a_signed=${v.aSigned} w_signed=${v.wSigned} acts=[${v.acts}] wts=[${v.wts}] ` +
    `(act=0x${packWord(v.acts, v.mode.a).toString(16).padStart(8, '0')} wgt=0x${packWord(v.wts, v.mode.w).toString(16).padStart(8, '0')})`;
}

export function checkFusionUnit(design: RtlDesign, sim: Simulator, vectors: FuVector[]): CheckResult {
  const m = moduleOf(design, 'fusion_unit');
  const top: SimTop = { name: 'fusion_unit', ports: m.ports };
  const stim: Stimulus = vectors.map((v) => [
    BigInt(widthCode(v.mode.a)), BigInt(widthCode(v.mode.w)), v.aSigned ? 1n : 0n, v.wSigned ? 1n : 0n,
    BigInt(packWord(v.acts, v.mode.a)), BigInt(packWord(v.wts, v.mode.w)),
  ]);
  // Illegal width code 3 must give 0 whatever the operands.
  stim.push([3n, 2n, 1n, 1n, 0xffffffffn, 0xffffffffn], [2n, 3n, 0n, 0n, 0x12345678n, 0x9abcdef0n]);
  const resp = simulate(sim, sourcesOf(design, fusionUnitModuleNames()), top, stim);
  const res: CheckResult = { what: 'fusion_unit', simulator: sim, checked: stim.length, mismatches: 0 };
  const note = (msg: string) => {
    res.mismatches++;
    res.first ??= msg;
  };
  vectors.forEach((v, i) => {
    const want = fusionUnit(v.mode, v.acts, v.wts, v.aSigned, v.wSigned);
    const raw = valueOf(resp[i][0]);
    const got = raw === null ? null : signedOf(raw, FU_SUM_BITS);
    if (got !== want) note(`${describe(v)}: expected ${want}, got ${got ?? 'x'}`);
  });
  for (let i = vectors.length; i < stim.length; i++) {
    if (valueOf(resp[i][0]) !== 0n) note(`illegal width code (a_bits=${stim[i][0]}, w_bits=${stim[i][1]}): expected 0, got ${resp[i][0]}`);
  }
  return res;
}

/** One observed OBUF write (or array output) of a tile, relative to the tile's first IBUF read. */
export interface ObservedWrite {
  cycle: number;
  col: number;
  value: number;
}

/** Compares a tile's observed writes with runTile and referenceTile; returns a description of the first difference. */
export function compareTile(t: ArrayTile, seen: ObservedWrite[], label: string): string | undefined {
  const run = runTile(t);
  const ref = referenceTile(t);
  for (let i = 0; i < ref.length; i++) {
    if (ref[i] !== run.out[i]) return `${label}: internal: runTile and referenceTile differ at output ${i}`;
  }
  const want = [...run.writes].sort((x, y) => x.cycle - y.cycle || x.col - y.col);
  const got = [...seen].sort((x, y) => x.cycle - y.cycle || x.col - y.col);
  if (got.length !== want.length) return `${label}: ${got.length} outputs written, expected ${want.length}`;
  const perCol = new Array<number>(t.cols).fill(0);
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = got[i];
    if (g.cycle !== w.cycle || g.col !== w.col) return `${label}: write ${i} at cycle ${g.cycle} column ${g.col}, expected cycle ${w.cycle} column ${w.col} (m=${w.m})`;
    const m = perCol[g.col]++;
    if (m !== w.m) return `${label}: column ${g.col} wrote output ${m} where the model writes ${w.m}`;
    const exp = run.out[w.m * t.cols + w.col];
    if (g.value !== exp) return `${label}: output m=${w.m} column ${w.col} (cycle ${w.cycle}): expected ${exp}, got ${g.value}`;
  }
  const last = got.length ? got[got.length - 1].cycle + 1 : 0;
  const formula = tileCycles(t.M * t.S, t.rows, t.cols);
  if (last !== run.cycles || last !== formula) return `${label}: last write ends cycle ${last}; runTile says ${run.cycles}, tileCycles ${formula}`;
  return undefined;
}

export function tileLabel(t: ArrayTile): string {
  return `tile ${t.rows}x${t.cols} mode ${modeName(t.mode)} a_signed=${t.aSigned} w_signed=${t.wSigned} M=${t.M} S=${t.S}`;
}

/** The standard tile set of a size: every mode x sign combination at random M, S, plus extreme tiles. */
export function tileSet(rows: number, cols: number, seed: number, maxM = 3, maxS = 4): ArrayTile[] {
  const r = prng(seed);
  const out: ArrayTile[] = [];
  for (const mode of FU_MODES) for (const aSigned of [false, true]) for (const wSigned of [false, true]) {
    out.push(makeTile({ rows, cols, mode, aSigned, wSigned, M: randInt(r, 1, maxM), S: randInt(r, 1, maxS), fill: 'random' }, r));
  }
  const m88 = rtlMode(8, 8);
  const m22 = rtlMode(2, 2);
  out.push(makeTile({ rows, cols, mode: m88, aSigned: false, wSigned: false, M: 2, S: 6, fill: 'max' }, r));
  out.push(makeTile({ rows, cols, mode: m88, aSigned: false, wSigned: true, M: 2, S: 6, fill: 'mixed' }, r));
  out.push(makeTile({ rows, cols, mode: m88, aSigned: true, wSigned: true, M: 1, S: 5, fill: 'min' }, r));
  out.push(makeTile({ rows, cols, mode: m22, aSigned: true, wSigned: false, M: 3, S: 1, fill: 'mixed' }, r));
  return out;
}

/** Gap between tiles in the array test: the mode input may only change once the pipeline is empty. */
const GAP = 2;
const RESET_CYCLES = 2;

/**
 * Drives the bare systolic_array with tiles one after another, presenting each word one cycle after its
 * (virtual) IBUF read and each unit's weight in its multiply cycle, as the buffers and controller will.
 */
export function checkArray(design: RtlDesign, sim: Simulator, tiles: ArrayTile[]): CheckResult {
  const p = design.params;
  const R = p.rows;
  const C = p.cols;
  const top: SimTop = { name: 'systolic_array', ports: moduleOf(design, 'systolic_array').ports, clock: 'clk' };
  const stim: Stimulus = [];
  const idle = (rst: bigint, t?: ArrayTile): bigint[] => [
    rst, BigInt(t ? widthCode(t.mode.a) : 0), BigInt(t ? widthCode(t.mode.w) : 0), t?.aSigned ? 1n : 0n, t?.wSigned ? 1n : 0n, 0n, 0n, 0n, 0n, 0n,
    t?.init ? 1n : 0n, 0n,
  ];
  for (let i = 0; i < RESET_CYCLES; i++) stim.push(idle(1n));
  const starts: number[] = [];
  for (const t of tiles) {
    if (t.rows !== R || t.cols !== C) throw new Error(`internal: tile ${t.rows}x${t.cols} on a ${R}x${C} array`);
    const k0 = stim.length; // cycle of the tile's first (virtual) IBUF read
    starts.push(k0);
    const W = t.M * t.S;
    const span = tileCycles(W, R, C) + GAP;
    for (let k = 0; k < span; k++) {
      const row = idle(0n, t);
      const word = k - 1;
      if (word >= 0 && word < W) {
        const s = word % t.S;
        row[5] = 1n;
        row[6] = s === 0 ? 1n : 0n;
        row[7] = s === t.S - 1 ? 1n : 0n;
        row[8] = bus(Array.from({ length: R }, (_, r) => actWord(t, word, r)));
      }
      const wg = new Array<number>(R * C).fill(0);
      for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) {
        const w = k - 1 - r - c;
        if (w >= 0 && w < W) wg[r * C + c] = wgtWord(t, w % t.S, r, c);
      }
      row[9] = bus(wg);
      stim.push(row);
    }
    // A continuation tile's partial sums, each in the cycle its step-0 word reaches the column's accumulator.
    if (t.init) {
      for (let m = 0; m < t.M; m++) for (let c = 0; c < C; c++) {
        const k = k0 + 1 + m * t.S + R + c;
        stim[k][11] |= BigInt.asUintN(p.accBits, BigInt(t.init[m * C + c])) << BigInt(c * p.accBits);
      }
    }
  }
  const resp = simulate(sim, sourcesOf(design, [...fusionUnitModuleNames(), 'systolic_array']), top, stim);
  const res: CheckResult = { what: `systolic_array ${R}x${C}`, simulator: sim, checked: tiles.length, mismatches: 0 };
  tiles.forEach((t, i) => {
    const k0 = starts[i];
    const end = i + 1 < tiles.length ? starts[i + 1] : stim.length;
    const seen: ObservedWrite[] = [];
    for (let k = k0; k < end; k++) {
      const [valid, data] = resp[k];
      for (let c = 0; c < C; c++) {
        const v = fieldOf(valid, c, 1);
        if (v === 0n) continue;
        if (v === null) {
          seen.push({ cycle: k - k0, col: c, value: NaN });
          continue;
        }
        const d = fieldOf(data, c, p.accBits);
        seen.push({ cycle: k - k0, col: c, value: d === null ? NaN : signedOf(d, p.accBits) });
      }
    }
    const diff = compareTile(t, seen, tileLabel(t));
    if (diff) {
      res.mismatches++;
      res.first ??= diff;
    }
  });
  return res;
}

/** Random placements inside the buffer halves, alternating halves. */
export function placeTiles(tiles: ArrayTile[], p: RtlParams, seed: number): CompiledTile[] {
  const r = prng(seed);
  return tiles.map((t, i) => compileTile(t, {
    half: (i % 2) as 0 | 1,
    ibufBase: randInt(r, 0, Math.min(p.ibuf.tileDepth - t.M * t.S, 40)),
    wbufBase: randInt(r, 0, Math.min(p.wbuf.tileDepth - t.S, 40)),
    obufBase: randInt(r, 0, Math.min(p.obuf.tileDepth - t.M, 40)),
  }, p));
}

/**
 * Runs compiled tiles through bitfusion_core the way a host would, overlapping work with double
 * buffering: while tile i runs on one half, the host writes tile i+1 into the other half and reads tile
 * i-1's outputs. Checks every output bit for bit against runTile, every OBUF write to the cycle, the IBUF
 * reads (cycles 0 .. M*S-1 after start) and the done pulse.
 */
export function checkCore(design: RtlDesign, sim: Simulator, compiled: CompiledTile[], opts: { backToBack?: boolean; coverageFile?: string } = {}): CheckResult {
  const p = design.params;
  const mod = moduleOf(design, 'bitfusion_core');
  const top: SimTop = { name: 'bitfusion_core', ports: mod.ports, clock: 'clk' };
  const inputs = mod.ports.filter((x) => x.dir === 'input' && x.name !== 'clk').map((x) => x.name);
  const outIdx = (n: string) => mod.ports.filter((x) => x.dir === 'output').findIndex((x) => x.name === n);
  const { cycles, at } = cycleInputs();
  const load = (ct: CompiledTile, from: number): number => {
    ct.ibufWrites.forEach((w, i) => Object.assign(at(from + i), { ib_wr_en: 1n, ib_wr_bank: BigInt(w.bank), ib_wr_addr: BigInt(w.addr), ib_wr_data: BigInt(w.data) }));
    ct.wbufWrites.forEach((w, i) => Object.assign(at(from + i), { wb_wr_en: 1n, wb_wr_bank: BigInt(w.bank), wb_wr_addr: BigInt(w.addr), wb_wr_data: BigInt(w.data) }));
    return Math.max(ct.ibufWrites.length, ct.wbufWrites.length);
  };
  // reads[i][j]: the cycle whose response holds compiled[i].outputs[j]
  const reads: number[][] = compiled.map(() => []);
  const readOut = (i: number, from: number): number => {
    compiled[i].outputs.forEach((o, j) => {
      Object.assign(at(from + j), { ob_rd_bank: BigInt(o.bank), ob_rd_addr: BigInt(o.addr) });
      reads[i][j] = from + j + 1;
    });
    return compiled[i].outputs.length + 1;
  };
  let k = 2;
  const starts: number[] = [];
  if (opts.backToBack) {
    // Every tile preloaded (the caller keeps their buffer words apart); each start is issued in the cycle
    // the previous tile's done is high, the earliest the controller accepts it.
    for (const ct of compiled) k += load(ct, k);
    compiled.forEach((ct) => {
      Object.assign(at(k), { start: 1n, desc: ct.packed });
      starts.push(k);
      k += 1 + tileCycles(ct.tile.M * ct.tile.S, p.rows, p.cols);
    });
    k += 1;
    compiled.forEach((_, i) => (k += readOut(i, k)));
  } else {
    k += load(compiled[0], k);
    compiled.forEach((ct, i) => {
      Object.assign(at(k), { start: 1n, desc: ct.packed });
      starts.push(k);
      const run = tileCycles(ct.tile.M * ct.tile.S, p.rows, p.cols) + 2;
      const loadLen = i + 1 < compiled.length ? load(compiled[i + 1], k + 1) : 0;
      const readLen = i > 0 ? readOut(i - 1, k + 1) : 0;
      k += 1 + Math.max(run, loadLen, readLen);
    });
    k += readOut(compiled.length - 1, k);
  }
  at(k + 1);
  const stim: Stimulus = cycles.map((c) => inputs.map((n) => c[n] ?? 0n));
  const resp = simulate(sim, sourcesOf(design), top, stim, opts.coverageFile);
  const res: CheckResult = { what: `bitfusion_core ${p.rows}x${p.cols}`, simulator: sim, checked: compiled.length, mismatches: 0, cycles: [] };
  const bit = (k: number, name: string, i = 0): bigint | null => fieldOf(resp[k][outIdx(name)], i, 1);
  compiled.forEach((ct, i) => {
    const t = ct.tile;
    const label = tileLabel(t) + ` half ${ct.descriptor.half}`;
    const k0 = starts[i] + 1;
    const end = i + 1 < compiled.length ? starts[i + 1] + 1 : stim.length;
    const W = t.M * t.S;
    const total = tileCycles(W, p.rows, p.cols);
    const problems: string[] = [];
    let doneAt = NaN;
    for (let kk = k0; kk < end; kk++) {
      const rel = kk - k0;
      if (Number.isNaN(doneAt) && bit(kk, 'done') === 1n) doneAt = rel;
      const wantRead = rel >= 0 && rel < W ? 1n : 0n;
      if (bit(kk, 'ib_rd_en') !== wantRead) problems.push(`ib_rd_en is ${bit(kk, 'ib_rd_en')} in tile cycle ${rel}, expected ${wantRead}`);
      const wantDone = rel === total ? 1n : 0n;
      if (bit(kk, 'done') !== wantDone) problems.push(`done is ${bit(kk, 'done')} in tile cycle ${rel}, expected ${wantDone} (tileCycles ${total})`);
      const wantBusy = rel >= 0 && rel < total ? 1n : 0n;
      if (bit(kk, 'busy') !== wantBusy) problems.push(`busy is ${bit(kk, 'busy')} in tile cycle ${rel}, expected ${wantBusy}`);
    }
    const perCol = new Array<number>(t.cols).fill(0);
    const seen: ObservedWrite[] = [];
    for (let kk = k0; kk < end; kk++) {
      for (let c = 0; c < t.cols; c++) {
        const v = bit(kk, 'ob_wr_en', c);
        if (v === 0n) continue;
        const m = perCol[c]++;
        const j = ct.outputs.findIndex((o) => o.m === m && o.col === c);
        const raw = j < 0 || v === null ? null : valueOf(resp[reads[i][j]][outIdx('ob_rd_data')]);
        seen.push({ cycle: kk - k0, col: c, value: raw === null ? NaN : signedOf(raw, p.accBits) });
      }
    }
    res.cycles!.push({
      rows: p.rows, cols: p.cols, mode: t.mode, aSigned: t.aSigned, wSigned: t.wSigned, M: t.M, S: t.S,
      tileCycles: total, runTile: runTile(t).cycles,
      rtlLastWrite: seen.length ? Math.max(...seen.map((x) => x.cycle)) + 1 : NaN, rtlDone: doneAt,
    });
    const diff = problems[0] ? `${label}: ${problems[0]}` : compareTile(t, seen, label);
    if (diff) {
      res.mismatches++;
      res.first ??= diff;
    }
  });
  return res;
}

/** What `hwq rtl --verify` runs: BitBrick exhaustively, Fusion Unit vectors, and 40 tiles through the core. */
export function verifyDesign(design: RtlDesign, sim: Simulator, onStep?: (what: string) => void): CheckResult[] {
  const p = design.params;
  const out: CheckResult[] = [];
  onStep?.('bitbrick');
  out.push(checkBitBrick(design, sim));
  onStep?.('fusion_unit');
  out.push(checkFusionUnit(design, sim, fuVectors(60, 5)));
  onStep?.(`bitfusion_core ${p.rows}x${p.cols}`);
  out.push(checkCore(design, sim, placeTiles(tileSet(p.rows, p.cols, 17), p, 23)));
  return out;
}
