// The b-bit integer grid: code ranges of signed and unsigned operands at the narrowest and widest widths the
// hardware runs, the symmetric weight grid, clamping and the two rounding rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  clampCode, clampSymmetric, clampToGrid, gridMax, gridMin, gridRange, positiveLevels, roundHalfAway, roundHalfEven,
} from '../../src/intmodel/grid.js';

test('2-bit grid: signed -2..1, unsigned 0..3', () => {
  assert.equal(gridRange(2, true), [-2, 1]);
  assert.equal(gridRange(2, false), [0, 3]);
  assert.is(positiveLevels(2, true), 1);
  assert.is(positiveLevels(2, false), 3);
});

test('8-bit grid: signed -128..127, unsigned 0..255', () => {
  assert.equal(gridRange(8, true), [-128, 127]);
  assert.equal(gridRange(8, false), [0, 255]);
  assert.is(positiveLevels(8, true), 127);
  assert.is(positiveLevels(8, false), 255);
});

test('every width 1..16 holds 2^b codes, the signed grid centred on zero', () => {
  for (let b = 1; b <= 16; b++) {
    assert.is(gridMax(b, false) - gridMin(b, false) + 1, 2 ** b, `unsigned ${b}`);
    assert.is(gridMax(b, true) - gridMin(b, true) + 1, 2 ** b, `signed ${b}`);
    assert.is(gridMin(b, true), -gridMax(b, true) - 1, `signed ${b}`);
  }
  assert.equal(gridRange(1, true), [-1, 0]);
  assert.equal(gridRange(16, true), [-32768, 32767]);
});

test('clampToGrid limits codes to the full grid; clampSymmetric leaves -2^(b-1) out', () => {
  assert.equal([-300, -128, -5, 0, 127, 128, 300].map((q) => clampToGrid(q, 8, true)), [-128, -128, -5, 0, 127, 127, 127]);
  assert.equal([-1, 0, 255, 256].map((q) => clampToGrid(q, 8, false)), [0, 0, 255, 255]);
  assert.equal([-9, -8, -7, 7, 8].map((q) => clampSymmetric(q, 4)), [-7, -7, -7, 7, 7]);
  assert.equal([-3, -2, -1, 1, 2].map((q) => clampSymmetric(q, 2)), [-1, -1, -1, 1, 1]);
  assert.equal([-2, 0, 0.5, 9].map((q) => clampCode(q, -1, 1)), [-1, 0, 0.5, 1]);
});

test('roundHalfEven breaks ties to even (QuantizeLinear), roundHalfAway away from zero (TF-Lite)', () => {
  const xs = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, -2.6];
  assert.equal(xs.map(roundHalfEven), [-2, -2, -0, 0, 2, 2, 2, -3]);
  assert.equal(xs.map(roundHalfAway), [-3, -2, -1, 1, 2, 3, 2, -3]);
});

test.run();
