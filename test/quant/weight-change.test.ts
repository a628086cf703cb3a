// The Fig. 6 statistics: changed integers and the |change| histogram, and rounding at given scales.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addChanges, integerChange, roundAtScales } from '../../src/quant/weight-change.js';

test('integerChange counts differing integers and buckets |change| with an open last bucket', () => {
  const ref = [0, 1, -2, 3, 7, -7, 0];
  const q = [0, 2, -2, 1, 4, 0, 0];
  const c = integerChange(ref, q);
  assert.is(c.weights, 7);
  assert.is(c.changed, 4);
  assert.equal(c.histogram, [1, 1, 1, 1]); // |d| = 1, 2, 3, 7 (>= 4)
  assert.equal(integerChange(ref, ref).histogram, [0, 0, 0, 0]);
  assert.throws(() => integerChange([1], [1, 2]), /comparing 1 with 2/);
});

test('addChanges sums counts and buckets', () => {
  const s = addChanges(integerChange([0, 0], [1, 5]), integerChange([0], [-2]));
  assert.equal(s, { weights: 3, changed: 3, histogram: [1, 1, 0, 1] });
});

test('roundAtScales rounds per channel and clips to the signed range', () => {
  // two channels of three weights (channel = j / 3), 4 bits: integers in -7..7
  const w = [0.26, -0.74, 2.0, 0.26, -0.74, 2.0];
  const q = roundAtScales(w, [0.1, 0.5], 4, (j) => Math.floor(j / 3));
  assert.equal(Array.from(q), [3, -7, 7, 1, -1, 4]);
});

test.run();
