import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FU_MODES, modeName, operandRange, pairsPerCycle } from '../../hw/fusion-unit.js';
import { tileCycles } from '../../hw/array-timing.js';
import { ArrayTile, referenceTile, runTile } from '../../hw/stepped-array.js';
import { rng, randInt } from '../helpers.js';

function randomTile(r: () => number, mode = FU_MODES[randInt(r, 0, FU_MODES.length - 1)]): ArrayTile {
  const rows = randInt(r, 1, 5);
  const cols = randInt(r, 1, 5);
  const M = randInt(r, 1, 6);
  const S = randInt(r, 1, 4);
  const aSigned = r() < 0.5;
  const wSigned = r() < 0.7;
  const P = pairsPerCycle(mode);
  const [alo, ahi] = operandRange(mode.a, aSigned);
  const [wlo, whi] = operandRange(mode.w, wSigned);
  const acts = Int32Array.from({ length: M * S * rows * P }, () => randInt(r, alo, ahi));
  const wts = Int32Array.from({ length: S * rows * cols * P }, () => randInt(r, wlo, whi));
  return { rows, cols, mode, aSigned, wSigned, M, S, acts, wts };
}

test('stepped array: outputs equal integer dot products and cycles equal tileCycles (300 random tiles)', () => {
  const r = rng(2024);
  for (let i = 0; i < 300; i++) {
    const t = randomTile(r);
    const run = runTile(t);
    const want = referenceTile(t);
    for (let j = 0; j < want.length; j++) {
      if (run.out[j] !== want[j]) assert.unreachable(`tile ${i} ${modeName(t.mode)} ${t.rows}x${t.cols} M=${t.M} S=${t.S}: out[${j}] ${run.out[j]} != ${want[j]}`);
    }
    assert.is(run.cycles, tileCycles(t.M * t.S, t.rows, t.cols), `tile ${i} cycles`);
  }
});

test('stepped array: every mode on a 4x3 array, with init partial sums', () => {
  const r = rng(99);
  for (const mode of FU_MODES) {
    const t = randomTile(r, mode);
    t.init = Int32Array.from({ length: t.M * t.cols }, () => randInt(r, -1000, 1000));
    assert.equal(Array.from(runTile(t).out), Array.from(referenceTile(t)), modeName(mode));
  }
});

test('stepped array: write schedule — column c of pixel m is written at m*S + S + rows + c + 1', () => {
  const mode = { a: 8 as const, w: 8 as const, unit: 8 as const };
  const t: ArrayTile = { rows: 3, cols: 4, mode, aSigned: true, wSigned: true, M: 2, S: 2, acts: new Int32Array(2 * 2 * 3).fill(1), wts: new Int32Array(2 * 3 * 4).fill(2) };
  const run = runTile(t);
  for (const w of run.writes) assert.is(w.cycle, w.m * t.S + t.S + t.rows + w.col + 1);
  assert.is(run.cycles, 2 * 2 + 1 + 2 + 3 + 2);
  assert.equal(Array.from(run.out), new Array(8).fill(2 * 3 * 2));
});

test('stepped array: rejects operand arrays of the wrong size', () => {
  const t = randomTile(rng(1));
  assert.throws(() => runTile({ ...t, acts: new Int32Array(1) }), /acts has 1 values/);
});

test.run();
