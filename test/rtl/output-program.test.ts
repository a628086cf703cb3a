// The output unit under Verilator on every output pass of a network program (rtl/net-program.ts): the tiny
// residual network's passes (channel slices, the identity block's rescaled residual, the option-A block's
// channel offset) on bitfusion_layer, with OBUF poked and the channel tables (pt_wr_*) and the residual buffer
// (rb_wr_*, the source's raw words) written from the executor's state (rtl/net-exec.ts) before the pass. Every
// act_wr word must equal the executor's staging word after it, written in the cycle runOutputPass says, and every
// pass must end (op_done) outputPassCycles + 1 cycles after its start. Then random passes on 4 and 3 columns,
// against runOutputPass: channel bases off the lanes' banks, residual word windows from wordLo > 0, source formats
// other than the output's, rescales with left and right shifts and saturation, clamps that bite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withVerilator } from '../helpers.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { generateRtl, sourcesOf } from '../../rtl/generate.js';
import { LAYER_VLT, layerTop } from '../../rtl/layer-fast.js';
import { actWrites } from '../../rtl/layer-verify.js';
import { executeInstr, hostStep } from '../../rtl/net-exec.js';
import {
  type ElementBits, type OutputPass, type OutputWrite, type ResidualLane, outputPassCycles, outputPassProblem, packOutputDescriptor,
  runOutputPass, wordsPerPixel,
} from '../../rtl/output-path.js';
import type { RtlParams } from '../../rtl/params.js';
import { prng, randInt } from '../../rtl/verify.js';
import { type EventRun, EventScript, runEvents } from '../../rtl/sim-events.js';
import { tinyProgram } from './tiny-program.js';

const CORE = 'TOP.bitfusion_layer.u_core';
const u32 = (v: number): bigint => BigInt.asUintN(32, BigInt(v));

interface PassRun {
  pass: OutputPass;
  start: number;
  /** The executor's staging words of the pass. */
  want: Uint32Array;
}

/**
 * What each pass of `runs` did in an event run watching op_done and act_wr_en: its act_wr words (cycles from the
 * pass's start) and the cycles from its start to op_done (NaN: never), the pass lasting until the next one's start.
 */
function passResults(run: EventRun, outNames: string[], runs: readonly { start: number }[], end: number): Array<{ got: OutputWrite[]; cycles: number }> {
  const value = (l: { values: string[] }, n: string) => l.values[outNames.indexOf(n)];
  return runs.map((pr, i) => {
    const k0 = pr.start + 1;
    const last = i + 1 < runs.length ? runs[i + 1].start + 1 : end;
    const mine = run.lines.filter((l) => l.cycle >= k0 && l.cycle < last);
    const got: OutputWrite[] = [];
    for (const l of mine) if (value(l, 'act_wr_en') !== '0') got.push(...actWrites(l.cycle - k0, (n) => value(l, n), []));
    const done = mine.find((l) => value(l, 'op_done') !== '0');
    return { got, cycles: done ? done.cycle - k0 + 1 : NaN };
  });
}

for (const [bits, rows, cols] of [[4, 4, 2], [8, 4, 2], [4, 2, 2], [8, 2, 2]] as const) {
  withVerilator(test, `tiny network a${bits}w${bits} on ${rows}x${cols}: every output pass's words and cycles equal the executor's`, async () => {
    const { design, p, prog, memory, st } = await tinyProgram(bits, rows, cols);
    // The host's pooling, as runProgram does it, so the layers after it see real codes.
    const host = (step: number) => hostStep(prog, memory, step);

    const top = layerTop(design);
    const s = new EventScript(top);
    const obuf = Array.from({ length: p.cols }, (_, b) => s.memory(`${CORE}.u_obuf.g_bank[${b}].u_bank`, 'mem'));
    s.set('rst', 1n).at(2).set('rst', 0n);
    let at = 3;
    const runs: PassRun[] = [];
    const seen = { residual: 0, rescale: 0, offset: 0, chBase: 0, wordLo: 0, format: 0 };
    for (const ins of prog.instrs) {
      if (ins.op === 'end') break;
      if (ins.op !== 'output') {
        executeInstr(st, ins, p, host);
        if (ins.op === 'tables') {
          for (let n = 0; n < ins.channels; n++) {
            [st.bias[n], st.m0[n], st.shift[n]].forEach((v, sel) => {
              s.at(at++).set('pt_wr_en', 1n).set('pt_wr_sel', BigInt(sel)).set('pt_wr_addr', BigInt(n)).set('pt_wr_data', u32(v));
            });
          }
          s.at(at).set('pt_wr_en', 0n);
        }
        continue;
      }
      const pass: OutputPass = ins.pass;
      const r = pass.residualRead;
      if (r) {
        seen.residual++;
        if (r.rescale) seen.rescale++;
        if (r.channelOffset !== 0) seen.offset++;
        if (r.wordLo > 0) seen.wordLo++;
        const f = r.src.format;
        if (f.bits !== pass.bits || f.perWord !== pass.perWord || f.signed !== pass.signed) seen.format++;
        // The residual instruction before this pass left the source's words in the buffer: write them through the port.
        for (let i = 0; i < pass.M * r.words; i++) {
          s.at(at++).set('rb_wr_en', 1n).set('rb_wr_addr', BigInt(pass.resBase + i)).set('rb_wr_data', u32(st.resbuf[i]));
        }
        s.at(at).set('rb_wr_en', 0n);
      }
      if ((pass.chBase ?? 0) > 0) seen.chBase++;
      // The accumulators the pass reads, as the program's tiles left them.
      s.at(at);
      const half = p.obuf.doubleBuffered ? pass.obufHalf * p.obuf.tileDepth : 0;
      for (let m = 0; m < pass.M; m++) for (let n = 0; n < pass.N; n++) {
        const a = half + pass.obufBase + Math.floor(n / p.cols) * pass.mStride + m;
        s.poke(obuf[n % p.cols], a, u32(st.obuf[n % p.cols][a]));
      }
      s.set('op_start', 1n).set('op_desc', packOutputDescriptor(pass, p));
      const start = at;
      s.at(at + 1).set('op_start', 0n).set('op_desc', 0n);
      executeInstr(st, ins, p, host);
      const G = wordsPerPixel(pass.N, pass.perWord);
      runs.push({ pass, start, want: st.staging.slice(pass.outBase, pass.outBase + pass.M * G) });
      at = start + outputPassCycles(pass, p.cols) + 2;
    }
    s.at(at + 2);
    const run = runEvents(sourcesOf(design), top, LAYER_VLT, s, ['op_done', 'act_wr_en']);
    const outNames = top.ports.filter((q) => q.dir === 'output').map((q) => q.name);
    const results = passResults(run, outNames, runs, at + 2);

    // The tiny network's passes must include what this test is about.
    assert.ok(seen.residual >= 2 && seen.rescale >= 1 && seen.offset >= 1, `passes seen: ${JSON.stringify(seen)}`);
    let wrongWords = 0;
    let wrongCycles = 0;
    const problems: string[] = [];
    runs.forEach((pr, i) => {
      const { got, cycles } = results[i];
      if (cycles !== outputPassCycles(pr.pass, p.cols) + 1) problems.push(`pass ${i}: done after ${cycles} cycles, the model says ${outputPassCycles(pr.pass, p.cols) + 1}`);
      // The write schedule does not read the data: any accumulators give it.
      const schedule = runOutputPass(pr.pass, p.cols, { bias: st.bias, m0: st.m0, shift: st.shift }, () => 0, () => 0);
      const addrs = got.map((w) => w.addr - pr.pass.outBase);
      if (addrs.join() !== schedule.map((w) => w.addr - pr.pass.outBase).join()) problems.push(`pass ${i}: wrote words ${addrs.slice(0, 8).join(' ')}...`);
      got.forEach((w, k) => {
        if (w.data !== pr.want[w.addr - pr.pass.outBase]) wrongWords++;
        if (schedule[k] && w.cycle !== schedule[k].cycle) wrongCycles++;
      });
    });
    assert.equal(problems.slice(0, 5), []);
    assert.is(wrongWords, 0, `${wrongWords} act_wr words differ from the executor's staging words`);
    assert.is(wrongCycles, 0, `${wrongCycles} words written in another cycle than runOutputPass says`);
    console.log(`  a${bits}w${bits} ${rows}x${cols}: ${runs.length} passes, ${runs.reduce((a, r) => a + r.want.length, 0)} words; ${JSON.stringify(seen)}`);
  });
}

/** A random pass on `p` that the design takes, with accumulators, tables and residual buffer words for it. */
function randomPass(p: RtlParams, r: () => number): { pass: OutputPass; acc: Int32Array; bias: Int32Array; m0: Int32Array; shift: Int32Array; res: Uint32Array } {
  const widths: ElementBits[] = [2, 4, 8];
  const pick = <T>(xs: readonly T[]) => xs[randInt(r, 0, xs.length - 1)];
  const code = (bits: number, signed: boolean) => (signed ? randInt(r, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1) : randInt(r, 0, 2 ** bits - 1));
  const shiftOf = () => (randInt(r, 0, 9) === 0 ? pick([-31, -20, 12, 30]) : randInt(r, -10, 4));
  for (;;) {
    const bits = pick(widths);
    const perWord = randInt(r, 1, Math.min(16, 32 / bits));
    const signed = randInt(r, 0, 1) === 1;
    const M = randInt(r, 1, 6);
    const N = randInt(r, 1, 13);
    const chBase = perWord * randInt(r, 0, 4);
    const lo = signed ? -(2 ** (bits - 1)) : 0;
    const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
    const min = randInt(r, 0, 3) === 0 ? randInt(r, lo, hi) : lo;
    const max = randInt(r, 0, 3) === 0 ? randInt(r, min, hi) : hi;
    const colTiles = Math.ceil(N / p.cols);
    const mStride = M + randInt(r, 0, 3);
    const pass: OutputPass = {
      M, N, mStride, obufHalf: randInt(r, 0, 1) as 0 | 1, obufBase: randInt(r, 0, 5), bits, perWord, signed, zeroPoint: code(bits, signed), min, max,
      residual: randInt(r, 0, 9) < 8, outBase: randInt(r, 0, 40), resBase: 0, chBase,
    };
    if (pass.residual && randInt(r, 0, 4) > 0) {
      const sb = pick(widths);
      const spw = randInt(r, 1, Math.min(16, 32 / sb));
      const ss = randInt(r, 0, 1) === 1;
      const c = randInt(r, 1, 20);
      const channelOffset = randInt(r, -6, 8);
      const first = Math.max(0, chBase - channelOffset);
      const last = Math.min(c, chBase + N - channelOffset) - 1;
      // The buffer's window: the words the pass reaches, sometimes from a word before them and with words after.
      const wLo = last >= first ? Math.floor(first / spw) : 0;
      const wordLo = Math.max(0, wLo - randInt(r, 0, 1));
      const words = (last >= first ? Math.floor(last / spw) - wordLo + 1 : 0) + randInt(r, 0, 1);
      const oLo = randInt(r, -256, 255);
      const lane: ResidualLane = {
        src: { c, format: { bits: sb, perWord: spw, signed: ss } }, channelOffset, zeroPoint: code(sb, ss),
        rescale: randInt(r, 0, 3) > 0 ? { m0: randInt(r, 0, 5) === 0 ? 0 : randInt(r, 2 ** 30, 2 ** 31 - 1), shift: shiftOf() } : null,
        outZeroPoint: randInt(r, -256, 255), min: oLo, max: randInt(r, oLo, 255), wordLo, words,
      };
      if (randInt(r, 0, 2) > 0) Object.assign(lane, { min: Math.max(oLo, lo), max: hi });
      pass.residualRead = lane;
    }
    const words = pass.residual ? (pass.residualRead?.words ?? wordsPerPixel(N, perWord)) : 0;
    pass.resBase = randInt(r, 0, Math.max(0, Math.min(20, p.output.resDepth - M * words)));
    if (mStride * (colTiles - 1) + M + pass.obufBase > p.obuf.tileDepth || outputPassProblem(pass, p)) continue;
    const n = chBase + N;
    const big = () => (randInt(r, 0, 15) === 0 ? pick([2147483647, -2147483648, 2 ** 30, -(2 ** 30)]) : randInt(r, -40000, 40000));
    return {
      pass,
      acc: Int32Array.from({ length: M * N }, big),
      bias: Int32Array.from({ length: n }, () => randInt(r, -5000, 5000)),
      m0: Int32Array.from({ length: n }, () => randInt(r, 2 ** 30, 2 ** 31 - 1)),
      shift: Int32Array.from({ length: n }, () => (randInt(r, 0, 9) === 0 ? pick([-31, 3, 30]) : randInt(r, -14, -4))),
      res: Uint32Array.from({ length: pass.resBase + M * words }, () => randInt(r, 0, 2 ** 32 - 1)),
    };
  }
}

for (const [rows, cols, seed] of [[2, 4, 11], [2, 3, 12]] as const) {
  withVerilator(test, `${rows}x${cols}: random passes (channel bases, residual windows and formats, rescales) equal runOutputPass to the word and cycle`, () => {
    const design = generateRtl(vc709Sized(rows, cols));
    const p = design.params;
    const r = prng(seed);
    const top = layerTop(design);
    const s = new EventScript(top);
    const obuf = Array.from({ length: p.cols }, (_, b) => s.memory(`${CORE}.u_obuf.g_bank[${b}].u_bank`, 'mem'));
    s.set('rst', 1n).at(2).set('rst', 0n);
    let at = 3;
    const runs: Array<{ start: number; want: OutputWrite[]; pass: OutputPass }> = [];
    let rescaled = 0;
    for (let k = 0; k < 60; k++) {
      const x = randomPass(p, r);
      const { pass } = x;
      if (pass.residual && pass.residualRead?.rescale) rescaled++;
      for (let n = 0; n < x.bias.length; n++) {
        [x.bias[n], x.m0[n], x.shift[n]].forEach((v, sel) => {
          s.at(at++).set('pt_wr_en', 1n).set('pt_wr_sel', BigInt(sel)).set('pt_wr_addr', BigInt(n)).set('pt_wr_data', u32(v));
        });
      }
      s.at(at).set('pt_wr_en', 0n);
      for (let a = pass.resBase; a < x.res.length; a++) s.at(at++).set('rb_wr_en', 1n).set('rb_wr_addr', BigInt(a)).set('rb_wr_data', u32(x.res[a]));
      s.at(at).set('rb_wr_en', 0n);
      const half = p.obuf.doubleBuffered ? pass.obufHalf * p.obuf.tileDepth : 0;
      const acc = (m: number, n: number) => x.acc[m * pass.N + n];
      for (let m = 0; m < pass.M; m++) for (let n = 0; n < pass.N; n++) {
        s.poke(obuf[n % p.cols], half + pass.obufBase + Math.floor(n / p.cols) * pass.mStride + m, u32(acc(m, n)));
      }
      s.set('op_start', 1n).set('op_desc', packOutputDescriptor(pass, p));
      runs.push({ start: at, pass, want: runOutputPass(pass, p.cols, x, acc, (a) => x.res[a]) });
      s.at(at + 1).set('op_start', 0n).set('op_desc', 0n);
      at += outputPassCycles(pass, p.cols) + 2;
    }
    s.at(at + 2);
    const run = runEvents(sourcesOf(design), top, LAYER_VLT, s, ['op_done', 'act_wr_en']);
    const outNames = top.ports.filter((q) => q.dir === 'output').map((q) => q.name);
    const results = passResults(run, outNames, runs, at + 2);
    assert.ok(rescaled >= 10, `${rescaled} rescaled passes`);
    const problems: string[] = [];
    runs.forEach((pr, i) => {
      const { got, cycles } = results[i];
      const fmt = (w: OutputWrite[]) => w.map((q) => `${q.cycle}:${q.addr}:${(q.data >>> 0).toString(16)}`).join(' ');
      if (fmt(got) !== fmt(pr.want)) problems.push(`pass ${i} ${JSON.stringify(pr.pass)}: wrote ${fmt(got).slice(0, 200)}, the model ${fmt(pr.want).slice(0, 200)}`);
      if (cycles !== outputPassCycles(pr.pass, p.cols) + 1) problems.push(`pass ${i}: done ${Number.isNaN(cycles) ? 'never' : cycles}`);
    });
    assert.equal(problems.slice(0, 3), []);
  });
}

test.run();
