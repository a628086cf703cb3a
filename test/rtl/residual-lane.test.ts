// The output pass's channel base and residual lane in the model (rtl/output-path.ts): the tables read from
// chBase, the residual source's own words in the buffer (another format, a window of words from wordLo, channels
// moved by an offset with zero-point channels on both sides), rescaled or not; checked against codes built from
// the source tensor directly, and the descriptor's fields against the same arithmetic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requantize } from '../../src/intmodel/requant.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { unpackValues } from '../../rtl/descriptor.js';
import { generateRtl } from '../../rtl/generate.js';
import {
  type ElementBits, type OutputPass, type ResidualLane, outputCode, outputDescriptorLayout, outputPassProblem, packActivations, packOutputDescriptor,
  runOutputPass, unpackActivations, wordsPerPixel,
} from '../../rtl/output-path.js';
import { prng, randInt } from '../../rtl/verify.js';

const p = generateRtl(vc709Sized(2, 4)).params;

interface Source {
  c: number;
  format: { bits: ElementBits; perWord: number; signed: boolean };
  /** Codes [pixel][channel]. */
  codes: number[][];
}

function source(M: number, c: number, bits: ElementBits, perWord: number, signed: boolean, seed: number): Source {
  const r = prng(seed);
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return { c, format: { bits, perWord, signed }, codes: Array.from({ length: M }, () => Array.from({ length: c }, () => randInt(r, lo, hi))) };
}

/** The residual buffer: per pixel, source words wordLo .. wordLo + words - 1 as memory holds them (packActivations). */
function buffer(s: Source, wordLo: number, words: number): Uint32Array {
  const M = s.codes.length;
  const channelMajor = Int32Array.from({ length: s.c * M }, (_, i) => s.codes[i % M][Math.floor(i / M)]);
  const packed = packActivations(channelMajor, M, s.c, s.format.bits, s.format.perWord);
  const G = wordsPerPixel(s.c, s.format.perWord);
  const out = new Uint32Array(M * words);
  for (let m = 0; m < M; m++) for (let i = 0; i < words; i++) out[m * words + i] = wordLo + i < G ? packed[m * G + wordLo + i] : 0xdeadbeef;
  return out;
}

/** Tables of `n` channels, every entry distinct so a pass reading the wrong channel's shows. */
function tables(n: number, seed: number): { bias: Int32Array; m0: Int32Array; shift: Int32Array } {
  const r = prng(seed);
  return {
    bias: Int32Array.from({ length: n }, () => randInt(r, -300, 300)),
    m0: Int32Array.from({ length: n }, () => randInt(r, 2 ** 30, 2 ** 31 - 1)),
    shift: Int32Array.from({ length: n }, () => randInt(r, -9, -3)),
  };
}

/** The codes [N][M] the pass must give, straight from the definition (source channel ch - offset, else its zero point). */
function wantCodes(pass: OutputPass, lane: ResidualLane, s: Source, t: ReturnType<typeof tables>, acc: (m: number, n: number) => number): Int32Array {
  const out = new Int32Array(pass.N * pass.M);
  for (let n = 0; n < pass.N; n++) for (let m = 0; m < pass.M; m++) {
    const ch = (pass.chBase ?? 0) + n;
    const cs = ch - lane.channelOffset;
    const raw = cs >= 0 && cs < s.c ? s.codes[m][cs] : lane.zeroPoint;
    const add = lane.rescale ? requantize(raw - lane.zeroPoint, lane.rescale.m0, lane.rescale.shift, lane.outZeroPoint, lane.min, lane.max) : raw;
    out[n * pass.M + m] = outputCode(acc(m, n), t.bias[ch], t.m0[ch], t.shift[ch], add, pass.min, pass.max);
  }
  return out;
}

function gotCodes(pass: OutputPass, t: ReturnType<typeof tables>, acc: (m: number, n: number) => number, buf: Uint32Array): Int32Array {
  const w = runOutputPass(pass, p.cols, t, acc, (a) => buf[a - pass.resBase]);
  const words = new Uint32Array(pass.M * wordsPerPixel(pass.N, pass.perWord));
  for (const x of w) words[x.addr - pass.outBase] = x.data;
  return unpackActivations(words, pass.M, pass.N, pass.bits, pass.perWord, pass.signed);
}

const OUT: Pick<OutputPass, 'mStride' | 'obufHalf' | 'obufBase' | 'outBase' | 'residual'> = { mStride: 8, obufHalf: 0, obufBase: 0, outBase: 3, residual: true };

interface Case {
  name: string;
  N: number;
  chBase: number;
  out: { bits: ElementBits; perWord: number; signed: boolean; zeroPoint: number; min: number; max: number };
  src: { c: number; bits: ElementBits; perWord: number; signed: boolean; zeroPoint: number };
  offset: number;
  rescale: { m0: number; shift: number } | null;
}

const CASES: Case[] = [
  {
    name: 'identity, same format, no rescale', N: 8, chBase: 0, out: { bits: 8, perWord: 4, signed: false, zeroPoint: 0, min: 0, max: 255 },
    src: { c: 8, bits: 8, perWord: 4, signed: false, zeroPoint: 0 }, offset: 0, rescale: null,
  },
  {
    name: 'identity with rescale (up, a left shift)', N: 8, chBase: 0, out: { bits: 8, perWord: 4, signed: false, zeroPoint: 3, min: 0, max: 255 },
    src: { c: 8, bits: 8, perWord: 4, signed: false, zeroPoint: 5 }, offset: 0, rescale: { m0: 1518500250, shift: 1 },
  },
  {
    name: 'option A: 4 source channels in the middle of 8, zero-point channels on both sides, rescaled down', N: 8, chBase: 0,
    out: { bits: 4, perWord: 8, signed: false, zeroPoint: 1, min: 0, max: 15 }, src: { c: 4, bits: 4, perWord: 8, signed: false, zeroPoint: 2 }, offset: 2,
    rescale: { m0: 1288490189, shift: -1 },
  },
  {
    name: 'a channel slice: chBase 8 of 16, source words from word 2 (wordLo > 0), 2-bit signed source into 4-bit output', N: 8, chBase: 8,
    out: { bits: 4, perWord: 4, signed: true, zeroPoint: -1, min: -8, max: 7 }, src: { c: 16, bits: 2, perWord: 4, signed: true, zeroPoint: 0 }, offset: 0,
    rescale: null,
  },
  {
    name: 'slice 4..11 of an option-A output with offset 6: source channels -2 .. 5, the slice starts in the pad', N: 8, chBase: 4,
    out: { bits: 8, perWord: 2, signed: true, zeroPoint: -4, min: -128, max: 127 }, src: { c: 4, bits: 8, perWord: 3, signed: true, zeroPoint: -3 }, offset: 6,
    rescale: { m0: 1789569707, shift: 0 },
  },
  {
    name: 'slice 12..17 of 24 channels, 5-a-word 4-bit source (channels cross words), offset -1 (the source is wider)', N: 6, chBase: 12,
    out: { bits: 2, perWord: 16, signed: false, zeroPoint: 1, min: 0, max: 3 }, src: { c: 30, bits: 4, perWord: 5, signed: false, zeroPoint: 7 }, offset: -1,
    rescale: { m0: 1073741824, shift: -2 },
  },
];

/** The lane a compiler gives such a pass: the words of the source channels it reaches. */
function laneOf(c: Case): ResidualLane {
  const lo = Math.max(0, c.chBase - c.offset);
  const hi = Math.min(c.src.c, c.chBase + c.N - c.offset);
  const wordLo = hi > lo ? Math.floor(lo / c.src.perWord) : 0;
  const words = hi > lo ? Math.ceil(hi / c.src.perWord) - wordLo : 0;
  return {
    src: { c: c.src.c, format: { bits: c.src.bits, perWord: c.src.perWord, signed: c.src.signed } }, channelOffset: c.offset, zeroPoint: c.src.zeroPoint,
    rescale: c.rescale, outZeroPoint: c.out.zeroPoint, min: c.out.min, max: c.out.max, wordLo, words,
  };
}

for (const [i, c] of CASES.entries()) {
  test(`runOutputPass residual lane: ${c.name}`, () => {
    const M = 5;
    const lane = laneOf(c);
    const pass: OutputPass = { ...OUT, M, N: c.N, ...c.out, resBase: 7, chBase: c.chBase, residualRead: lane };
    assert.is(outputPassProblem(pass, p), undefined);
    const s = source(M, c.src.c, c.src.bits, c.src.perWord, c.src.signed, 100 + i);
    const t = tables(32, 200 + i);
    const acc = (m: number, n: number) => ((m * 37 + n * 101) % 997) * 13 - 6000;
    const buf = buffer(s, lane.wordLo, lane.words);
    const want = wantCodes(pass, lane, s, t, acc);
    assert.equal(Array.from(gotCodes(pass, t, acc, buf)), Array.from(want));
    // The residual moves the codes: the same pass with the zero point in its place differs.
    const plain = gotCodes({ ...pass, residual: false }, t, acc, buf);
    assert.ok(plain.some((v, k) => v !== want[k]), 'the residual changes some code');
    if (c.rescale) {
      const unscaled = wantCodes(pass, { ...lane, rescale: null }, s, t, acc);
      assert.ok(unscaled.some((v, k) => v !== want[k]), 'the rescale changes some code');
    }
    // The tables are read from chBase: the same pass on tables shifted down by chBase with chBase 0 gives the same codes.
    if (c.chBase > 0) {
      const shifted = { bias: t.bias.subarray(c.chBase), m0: t.m0.subarray(c.chBase), shift: t.shift.subarray(c.chBase) };
      const moved: OutputPass = { ...pass, chBase: 0, residualRead: { ...lane, channelOffset: lane.channelOffset - c.chBase } };
      assert.equal(Array.from(gotCodes(moved, shifted, acc, buf)), Array.from(want));
    }
  });
}

test('runOutputPass without residualRead reads residual codes in the output layout, as the explicit legacy lane does', () => {
  const M = 3;
  const out = { bits: 4 as const, perWord: 3, signed: true, zeroPoint: 2, min: -8, max: 7 };
  const N = 7;
  const pass: OutputPass = { ...OUT, M, N, ...out, resBase: 4 };
  const s = source(M, N, 4, 3, true, 5);
  const G = wordsPerPixel(N, 3);
  const buf = buffer(s, 0, G);
  const t = tables(N, 6);
  const acc = (m: number, n: number) => (m - n) * 977;
  const legacy: ResidualLane = {
    src: { c: N, format: { bits: 4, perWord: 3, signed: true } }, channelOffset: 0, zeroPoint: 0, rescale: null, outZeroPoint: 0, min: 0, max: 0,
    wordLo: 0, words: G,
  };
  const want = wantCodes(pass, legacy, s, t, acc);
  assert.equal(Array.from(gotCodes(pass, t, acc, buf)), Array.from(want));
  assert.equal(Array.from(gotCodes({ ...pass, residualRead: legacy }, t, acc, buf)), Array.from(want));
  // The descriptor of the default is the explicit lane's, up to the fields the hardware ignores without a rescale.
  const f = (q: OutputPass) => unpackValues(outputDescriptorLayout(p), packOutputDescriptor(q, p));
  const a = f(pass);
  const b = f({ ...pass, residualRead: { ...legacy, zeroPoint: out.zeroPoint, outZeroPoint: out.zeroPoint, min: out.min, max: out.max } });
  assert.equal(a, b);
  assert.is(a.res_words, G);
  assert.is(a.res_c, N);
  assert.is(a.res_word0, 0);
});

test('packOutputDescriptor: lane 0\'s first source word and slot, the clamped source channels, the channel base', () => {
  const c = CASES[4];
  const lane = laneOf(c);
  const pass: OutputPass = { ...OUT, M: 5, N: c.N, ...c.out, resBase: 7, chBase: c.chBase, residualRead: lane };
  const v = unpackValues(outputDescriptorLayout(p), packOutputDescriptor(pass, p));
  const rbits = p.output.resAddrBits;
  const cbits = p.output.chCountBits + 1;
  // cs0 = 4 - 6 = -2: word floor(-2 / 3) - 0 = -1, slot 1; channels up to -2 + 8 = 6, clamped to the source's 4
  assert.is(v.res_c0, 2 ** cbits - 2);
  assert.is(v.res_word0, 2 ** rbits - 1);
  assert.is(v.res_slot0, 1);
  assert.is(v.res_c, 4);
  assert.is(v.ch_base, 4);
  assert.is(v.res_words, lane.words);
  assert.is(v.rescale, 1);
  assert.is(v.res_m0, 1789569707);
  // CASES[3]: cs0 = 8, 4 a word, the buffer from word 2: word 0, slot 0
  const d = CASES[3];
  const w = unpackValues(outputDescriptorLayout(p), packOutputDescriptor({ ...OUT, M: 5, N: d.N, ...d.out, resBase: 0, chBase: d.chBase, residualRead: laneOf(d) }, p));
  assert.equal([w.res_c0, w.res_word0, w.res_slot0, w.res_c, w.rescale], [8, 0, 0, 16, 0]);
});

test('outputPassProblem: tables past the layer, residual words outside the buffer or missing the channels the pass reaches', () => {
  const c = CASES[3];
  const lane = laneOf(c);
  const pass: OutputPass = { ...OUT, M: 5, N: c.N, ...c.out, resBase: 0, chBase: c.chBase, residualRead: lane };
  assert.is(outputPassProblem(pass, p), undefined);
  assert.match(outputPassProblem({ ...pass, chBase: p.output.channels - 4 }, p) ?? '', /channel tables/);
  assert.match(outputPassProblem({ ...pass, residualRead: { ...lane, wordLo: 3 } }, p) ?? '', /outside the buffer's words/);
  assert.match(outputPassProblem({ ...pass, residualRead: { ...lane, words: 1 } }, p) ?? '', /outside the buffer's words/);
  assert.match(outputPassProblem({ ...pass, resBase: p.output.resDepth - 2 }, p) ?? '', /residual buffer/);
  assert.match(outputPassProblem({ ...pass, residualRead: { ...lane, rescale: { m0: 2 ** 30, shift: 31 } } }, p) ?? '', /shift 31/);
  assert.match(outputPassProblem({ ...pass, residualRead: { ...lane, src: { ...lane.src, format: { bits: 8, perWord: 5, signed: false } } } }, p) ?? '', /32-bit word/);
  // Without a residual the lane is not looked at.
  assert.is(outputPassProblem({ ...pass, residual: false, residualRead: { ...lane, words: 1 } }, p), undefined);
});

test('runOutputPass residual lane: random passes against the definition', () => {
  const r = prng(77);
  const widths: ElementBits[] = [2, 4, 8];
  for (let k = 0; k < 200; k++) {
    const M = randInt(r, 1, 4);
    const N = randInt(r, 1, 12);
    const ob = widths[randInt(r, 0, 2)];
    const sb = widths[randInt(r, 0, 2)];
    const opw = randInt(r, 1, 32 / ob);
    const spw = randInt(r, 1, Math.min(16, 32 / sb));
    const chBase = opw * randInt(r, 0, 3);
    const srcC = randInt(r, 1, 16);
    const offset = randInt(r, -4, 8);
    const oSigned = randInt(r, 0, 1) === 1;
    const sSigned = randInt(r, 0, 1) === 1;
    const lo = oSigned ? -(2 ** (ob - 1)) : 0;
    const hi = oSigned ? 2 ** (ob - 1) - 1 : 2 ** ob - 1;
    const rescale = randInt(r, 0, 1) === 1 ? { m0: randInt(r, 2 ** 30, 2 ** 31 - 1), shift: randInt(r, -4, 2) } : null;
    const c: Case = {
      name: '', N, chBase, out: { bits: ob, perWord: opw, signed: oSigned, zeroPoint: randInt(r, lo, hi), min: lo, max: hi },
      src: { c: srcC, bits: sb, perWord: spw, signed: sSigned, zeroPoint: randInt(r, sSigned ? -(2 ** (sb - 1)) : 0, sSigned ? 2 ** (sb - 1) - 1 : 2 ** sb - 1) },
      offset, rescale,
    };
    const lane = laneOf(c);
    const pass: OutputPass = { ...OUT, M, N, ...c.out, resBase: randInt(r, 0, 5), chBase, residualRead: lane };
    assert.is(outputPassProblem(pass, p), undefined, JSON.stringify(c));
    const s = source(M, srcC, sb, spw, sSigned, 1000 + k);
    const t = tables(chBase + N, 2000 + k);
    const acc = (m: number, n: number) => ((m * 7919 + n * 104729 + k) % 20011) - 10000;
    const want = wantCodes(pass, lane, s, t, acc);
    assert.equal(Array.from(gotCodes(pass, t, acc, buffer(s, lane.wordLo, lane.words))), Array.from(want), JSON.stringify(c));
  }
});

test.run();
