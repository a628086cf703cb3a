// Fixed-point requantization: bit exact against BigInt references of the gemmlowp primitives, known values of
// TF-Lite's QuantizeMultiplier, and closeness of the whole pipeline to round(acc * M).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rng } from '../helpers.js';
import {
  INT32_MAX, INT32_MIN, channelMultipliers, multiplierValue, multiplyByQuantizedMultiplier, quantizeMultiplier, requantize,
  roundingDivideByPOT, saturatingRoundingDoublingHighMul,
} from '../../src/intmodel/requant.js';

const r = rng(77);
const randInt32 = (): number => (Math.floor(r() * 2 ** 32) - 2 ** 31) | 0;
const EDGES = [INT32_MIN, INT32_MIN + 1, -(2 ** 30) - 1, -(2 ** 30), -65537, -65536, -32768, -3, -2, -1, 0, 1, 2, 3, 32767, 65535, 65536, 2 ** 30, 2 ** 30 + 1, INT32_MAX - 1, INT32_MAX];

/** gemmlowp's definition, with 64-bit products in BigInt; BigInt division truncates toward zero like C++. */
function srdhmRef(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n));
}

/** x / 2^e rounded to nearest with ties away from zero, written independently of the bit tricks. */
function rdbpotRef(x: number, e: number): number {
  if (e === 0) return x;
  const ax = BigInt(Math.abs(x));
  const q = (ax + (1n << BigInt(e - 1))) >> BigInt(e);
  return x < 0 ? -Number(q) : Number(q);
}

test('SaturatingRoundingDoublingHighMul matches the 64-bit reference (edges x edges and 200k random pairs)', () => {
  for (const a of EDGES) for (const b of EDGES) assert.is(saturatingRoundingDoublingHighMul(a, b), srdhmRef(a, b), `${a} * ${b}`);
  for (let i = 0; i < 200000; i++) {
    const a = randInt32();
    const b = i % 3 === 0 ? Math.floor(r() * 2 ** 31) : randInt32();
    const got = saturatingRoundingDoublingHighMul(a, b);
    if (got !== srdhmRef(a, b)) assert.unreachable(`${a} * ${b}: ${got} vs ${srdhmRef(a, b)}`);
  }
  // gemmlowp: INT32_MIN * INT32_MIN saturates; 0.5 * 0.5 = 0.25 in Q31; an exact +0.5 rounds up, but the
  // negative nudge (1 - 2^30) leaves an exact -0.5 at 0.
  assert.is(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN), INT32_MAX);
  assert.is(saturatingRoundingDoublingHighMul(2 ** 30, 2 ** 30), 2 ** 29);
  assert.is(saturatingRoundingDoublingHighMul(1, 2 ** 30), 1);
  assert.is(saturatingRoundingDoublingHighMul(-1, 2 ** 30), 0);
  assert.is(saturatingRoundingDoublingHighMul(-3, 2 ** 30), -1);
  assert.is(saturatingRoundingDoublingHighMul(1, 2 ** 30 - 1), 0);
});

test('RoundingDivideByPOT rounds half away from zero for every exponent 0..31', () => {
  assert.is(roundingDivideByPOT(3, 1), 2);
  assert.is(roundingDivideByPOT(-3, 1), -2);
  assert.is(roundingDivideByPOT(5, 2), 1);
  assert.is(roundingDivideByPOT(-5, 2), -1);
  assert.is(roundingDivideByPOT(6, 2), 2);
  assert.is(roundingDivideByPOT(-6, 2), -2);
  assert.is(roundingDivideByPOT(INT32_MIN, 31), -1);
  assert.is(roundingDivideByPOT(INT32_MAX, 31), 1);
  for (let e = 0; e <= 31; e++) {
    for (const x of EDGES) assert.is(roundingDivideByPOT(x, e), rdbpotRef(x, e), `${x} >> ${e}`);
    for (let i = 0; i < 5000; i++) {
      const x = randInt32();
      if (roundingDivideByPOT(x, e) !== rdbpotRef(x, e)) assert.unreachable(`${x} >> ${e}`);
    }
  }
  assert.throws(() => roundingDivideByPOT(1, 32));
});

test('quantizeMultiplier: known TF-Lite values and M0 * 2^(shift-31) within half a Q31 step', () => {
  assert.equal(quantizeMultiplier(0.5), { m0: 2 ** 30, shift: 0 });
  assert.equal(quantizeMultiplier(1), { m0: 2 ** 30, shift: 1 });
  assert.equal(quantizeMultiplier(0.25), { m0: 2 ** 30, shift: -1 });
  assert.equal(quantizeMultiplier(0.75), { m0: 1610612736, shift: 0 });
  assert.equal(quantizeMultiplier(2 ** -7), { m0: 2 ** 30, shift: -6 });
  assert.equal(quantizeMultiplier(0), { m0: 0, shift: 0 });
  assert.equal(quantizeMultiplier(2 ** -40), { m0: 0, shift: 0 });
  // q just below 1 rounds up to 2^31 and renormalizes.
  assert.equal(quantizeMultiplier(1 - 2 ** -40), { m0: 2 ** 30, shift: 1 });
  assert.throws(() => quantizeMultiplier(-1));
  assert.throws(() => quantizeMultiplier(2 ** 40));
  for (let i = 0; i < 10000; i++) {
    const m = 2 ** (r() * 30 - 25);
    const q = quantizeMultiplier(m);
    assert.ok(q.m0 >= 2 ** 30 && q.m0 < 2 ** 31, `M0 ${q.m0} normalized`);
    assert.ok(Math.abs(multiplierValue(q) - m) <= 2 ** (q.shift - 32), `${m}`);
  }
});

test('requantize: bit exact against the BigInt pipeline, and within one step of round(acc * M)', () => {
  let maxErr = 0;
  for (let i = 0; i < 50000; i++) {
    const m = 2 ** (r() * 12 - 14);
    const { m0, shift } = quantizeMultiplier(m);
    const acc = i % 2 ? randInt32() : Math.round((r() * 2 - 1) * 2 ** 20);
    const left = Math.max(shift, 0);
    const sat = Math.max(INT32_MIN, Math.min(INT32_MAX, acc * 2 ** left));
    const ref = rdbpotRef(srdhmRef(sat, m0), Math.max(-shift, 0));
    const got = multiplyByQuantizedMultiplier(acc, m0, shift);
    if (got !== ref) assert.unreachable(`acc ${acc}, m ${m}: ${got} vs ${ref}`);
    maxErr = Math.max(maxErr, Math.abs(got - acc * m));
  }
  assert.ok(maxErr <= 1, `|fixed point - exact| <= 1 (max ${maxErr})`);
  // Zero point and clamping: 1000 * 0.01 = 10 -> 10 + 5 = 15; large values saturate at the clamp.
  const { m0, shift } = quantizeMultiplier(0.01);
  assert.is(requantize(1000, m0, shift, 5, 0, 255), 15);
  assert.is(requantize(-1000, m0, shift, 5, 0, 255), 0);
  assert.is(requantize(100000, m0, shift, 5, 0, 255), 255);
  assert.is(requantize(-250, m0, shift, 0, -128, 127), -3); // -2.5 rounds away from zero
  assert.is(requantize(250, m0, shift, 0, -128, 127), 3);
});

test('channelMultipliers gives one (M0, shift) per channel of sIn * sW[c] / sOut', () => {
  const m = channelMultipliers(0.5, [0.25, 0.5, 0.125], 0.25);
  assert.equal(Array.from(m.m0), [2 ** 30, 2 ** 30, 2 ** 30]);
  assert.equal(Array.from(m.shift), [0, 1, -1]);
  assert.throws(() => channelMultipliers(1, [1], 0));
});

test.run();
