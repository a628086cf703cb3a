// The pieces of a co-design run that are pure: the rank correlation the proxy is judged by, which front points are
// measured, how a mix is described, budgets with units, and which arrays an FPGA keeps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ranks, spearman } from '../../src/codesign/rank-correlation.js';
import { describeMix, spreadPoints } from '../../src/codesign/campaign.js';
import { expandConfigs, parseBudget } from '../../src/cli/commands/codesign.js';
import { getPreset } from '../../hw/presets.js';
import { throwsUser } from '../helpers.js';

test('ranks share ties; spearman is 1 for any increasing map, -1 for a decreasing one, null when undetermined', () => {
  assert.equal(ranks([10, 30, 20, 20]), [1, 4, 2.5, 2.5]);
  assert.is(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1);
  assert.is(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  assert.is(spearman([1, 2], [1, 2]), null);
  assert.is(spearman([1, 1, 1], [1, 2, 3]), null);
  // one swapped pair of four: 1 - 6 * 2 / (4 * 15) = 0.8
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [1, 3, 2, 4])! - 0.8) < 1e-12);
});

test('spreadPoints takes points evenly in log cost, each once, cheapest first', () => {
  const front = [1, 1.5, 2, 4, 9, 16, 30, 32].map((cost) => ({ cost }));
  assert.equal(spreadPoints(front, 3).map((p) => p.cost), [1, 4, 32]);
  assert.equal(spreadPoints(front, 5).map((p) => p.cost), [1, 2, 4, 16, 32]);
  assert.is(spreadPoints(front, 20).length, 8);
});

test('describeMix counts the layers at each precision, the most used first', () => {
  assert.is(describeMix([{ a: 8, w: 8 }, { a: 4, w: 2 }, { a: 4, w: 2 }, { a: 2, w: 4 }]), 'a4w2 x2, a2w4 x1, a8w8 x1');
});

test('budgets take the objective\'s units, a bare number its base unit; anything else is refused naming the units', () => {
  assert.is(parseBudget('0.5', 'latency'), 0.5);
  assert.is(parseBudget('250us', 'latency'), 0.25);
  assert.is(parseBudget('2 KiB', 'size'), 2048);
  assert.is(parseBudget('3mJ', 'energy'), 3000);
  throwsUser(() => parseBudget('2 KiB', 'latency'), /--budget '2 KiB' must be a positive latency with a unit of s, ms, us/);
  throwsUser(() => parseBudget('-1', 'size'), /--budget '-1'/);
  throwsUser(() => parseBudget('0', 'size'), /--budget '0'/);
});

test('--arrays on an FPGA config keeps the arrays whose estimated LUTs fit the device; an ASIC keeps every one', () => {
  const vc709 = getPreset('vc709')!;
  const { kept, dropped } = expandConfigs([vc709, getPreset('bitfusion-asic')!], [[8, 8], [16, 32], [32, 32]]);
  assert.equal(kept.map((c) => c.name), ['vc709-8x8', 'vc709-16x32', 'bitfusion-asic-8x8', 'bitfusion-asic-16x32', 'bitfusion-asic-32x32']);
  assert.is(dropped.length, 1);
  assert.match(dropped[0], /^vc709-32x32 \(about [\d,]+ LUTs, over 80 % of the xc7vx690t's 433,200\)$/);
  throwsUser(() => expandConfigs([vc709], [[64, 64]]), /no config fits its device: vc709-64x64/);
});

test.run();
