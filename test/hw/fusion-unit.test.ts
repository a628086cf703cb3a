import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bitBrick, sliceValue } from '../../hw/bitbrick.js';
import { FU_MODES, UNIT_WIDTHS, brickPlan, bricksPerUnit, fuModes, fusionUnit, modeName, operandRange, pairsPerCycle, fuWidth } from '../../hw/fusion-unit.js';
import { rng, randInt } from '../helpers.js';

test('BitBrick: every slice pair and sign combination equals the 3-bit extended product', () => {
  for (const sx of [false, true]) for (const sy of [false, true]) for (let x = 0; x < 4; x++) for (let y = 0; y < 4; y++) {
    const xv = sx ? (x >= 2 ? x - 4 : x) : x;
    const yv = sy ? (y >= 2 ? y - 4 : y) : y;
    assert.is(bitBrick(x, sx, y, sy), xv * yv, `x=${x} sx=${sx} y=${y} sy=${sy}`);
  }
  assert.is(sliceValue(2, true), -2);
  assert.is(sliceValue(2, false), 2);
});

test('brick plans: 16 bricks per mode, each pair covers every slice combination once', () => {
  for (const m of FU_MODES) {
    const plan = brickPlan(m);
    assert.is(plan.length, 16, modeName(m));
    const seen = new Set(plan.map((o) => `${o.pair}:${o.aSlice}:${o.wSlice}`));
    assert.is(seen.size, 16, `${modeName(m)} bricks distinct`);
    assert.is(pairsPerCycle(m) * (m.a / 2) * (m.w / 2), 16);
    for (const o of plan) assert.is(o.shift, 2 * (o.aSlice + o.wSlice), `${modeName(m)} shift`);
  }
});

test('Fusion Unit 4x4, 4x2, 2x4, 2x2 and 8x2/2x8 exhaustively over each pair (others zero)', () => {
  for (const m of FU_MODES) {
    if (m.a * m.w > 32) continue; // 8x8, 8x4, 4x8 (65,536+ combos per sign) are covered by the sweep test
    for (const as of [false, true]) for (const ws of [false, true]) {
      const [alo, ahi] = operandRange(m.a, as);
      const [wlo, whi] = operandRange(m.w, ws);
      for (let p = 0; p < pairsPerCycle(m); p++) {
        for (let a = alo; a <= ahi; a++) for (let w = wlo; w <= whi; w++) {
          const acts = new Array(pairsPerCycle(m)).fill(0);
          const wts = new Array(pairsPerCycle(m)).fill(0);
          acts[p] = a; wts[p] = w;
          const got = fusionUnit(m, acts, wts, as, ws);
          if (got !== a * w) assert.unreachable(`${modeName(m)} pair ${p} a=${a} w=${w} signed=${as}/${ws}: ${got}`);
        }
      }
    }
  }
});

test('Fusion Unit 8x8, 8x4, 4x8: every operand value pair, all sign modes', () => {
  for (const m of FU_MODES.filter((x) => x.a * x.w > 16)) {
    for (const as of [false, true]) for (const ws of [false, true]) {
      const [alo, ahi] = operandRange(m.a, as);
      const [wlo, whi] = operandRange(m.w, ws);
      const n = pairsPerCycle(m);
      for (let a = alo; a <= ahi; a++) for (let w = wlo; w <= whi; w++) {
        const acts = new Array(n).fill(a);
        const wts = new Array(n).fill(w);
        const got = fusionUnit(m, acts, wts, as, ws);
        if (got !== n * a * w) assert.unreachable(`${modeName(m)} a=${a} w=${w}: ${got}`);
      }
    }
  }
});

test('Fusion Unit: random full words and corners in every mode equal the integer dot product', () => {
  const r = rng(7);
  for (const m of FU_MODES) for (const as of [false, true]) for (const ws of [false, true]) {
    const n = pairsPerCycle(m);
    const [alo, ahi] = operandRange(m.a, as);
    const [wlo, whi] = operandRange(m.w, ws);
    const cases: Array<[number[], number[]]> = [
      [new Array(n).fill(alo), new Array(n).fill(wlo)],
      [new Array(n).fill(ahi), new Array(n).fill(whi)],
      [new Array(n).fill(alo), new Array(n).fill(whi)],
      [new Array(n).fill(ahi), new Array(n).fill(wlo)],
    ];
    for (let i = 0; i < 500; i++) cases.push([Array.from({ length: n }, () => randInt(r, alo, ahi)), Array.from({ length: n }, () => randInt(r, wlo, whi))]);
    for (const [acts, wts] of cases) {
      const want = acts.reduce((s, a, i) => s + a * wts[i], 0);
      assert.is(fusionUnit(m, acts, wts, as, ws), want, `${modeName(m)} ${as}/${ws} ${acts} . ${wts}`);
      assert.ok(want >= -(2 ** 15) && want < 2 ** 16, 'fits 16 bits (signed or unsigned)');
    }
  }
});

test('fuWidth raises precisions to the next width the unit fuses to', () => {
  assert.equal([1, 2, 3, 4, 5, 6, 7, 8].map((b) => fuWidth(b, 8)), [2, 2, 4, 4, 8, 8, 8, 8]);
  assert.equal([1, 3, 4].map((b) => fuWidth(b, 4)), [2, 4, 4]);
  assert.equal([5, 9, 16].map((b) => fuWidth(b, 16)), [8, 16, 16]);
  assert.throws(() => fuWidth(9, 8), /outside 1\.\.8/);
  assert.throws(() => fuWidth(5, 4), /outside 1\.\.4/);
  assert.throws(() => fuWidth(0, 8), /outside/);
});

test('the 8-bit unit has the Bit Fusion paper\'s nine modes, widest first', () => {
  assert.equal(FU_MODES.map(modeName), ['8x8', '8x4', '4x8', '4x4', '8x2', '2x8', '4x2', '2x4', '2x2']);
  assert.equal(fuModes(4).map(modeName), ['4x4', '4x2', '2x4', '2x2']);
  assert.is(fuModes(16).length, 16);
});

test('4-, 8- and 16-bit units: (L/2)^2 bricks, every pair\'s slice products exactly once, L/a x L/w pairs', () => {
  for (const unit of UNIT_WIDTHS) for (const m of fuModes(unit)) {
    const plan = brickPlan(m);
    const n = bricksPerUnit(unit);
    assert.is(plan.length, n, `${unit}-bit ${modeName(m)}`);
    assert.is(new Set(plan.map((o) => `${o.pair}:${o.aSlice}:${o.wSlice}`)).size, n);
    assert.is(pairsPerCycle(m), (unit / m.a) * (unit / m.w));
    assert.is(pairsPerCycle(m) * (m.a / 2) * (m.w / 2), n);
  }
  assert.equal([4, 8, 16].map(bricksPerUnit), [4, 16, 64]);
});

test('4- and 16-bit units: random words and corners in every mode equal the integer dot product', () => {
  const r = rng(11);
  for (const unit of [4, 16] as const) for (const m of fuModes(unit)) for (const as of [false, true]) for (const ws of [false, true]) {
    const n = pairsPerCycle(m);
    const [alo, ahi] = operandRange(m.a, as);
    const [wlo, whi] = operandRange(m.w, ws);
    const cases: Array<[number[], number[]]> = [[new Array(n).fill(alo), new Array(n).fill(whi)], [new Array(n).fill(ahi), new Array(n).fill(wlo)]];
    for (let i = 0; i < 100; i++) cases.push([Array.from({ length: n }, () => randInt(r, alo, ahi)), Array.from({ length: n }, () => randInt(r, wlo, whi))]);
    for (const [acts, wts] of cases) {
      const want = acts.reduce((s, a, i) => s + a * wts[i], 0);
      assert.is(fusionUnit(m, acts, wts, as, ws), want, `${unit}-bit ${modeName(m)} ${as}/${ws}`);
    }
  }
});

test.run();
