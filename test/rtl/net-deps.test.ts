// The wait masks: every pair of conflicting instructions of a compiled program is ordered by them (so the
// overlapped run cannot change results), a program with its masks cleared is not, the encoded headers carry
// them, and the issue order keeps every conflicting pair in the compiler's order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeMasks, encodeProgram } from '../../rtl/isa.js';
import { ALL_ENGINES, ENGINE_BIT, accessOf, conflicts, orderViolations, scheduleOrder, waitMasks } from '../../rtl/net-deps.js';
import type { NetInstr } from '../../rtl/net-program.js';
import { tinyProgram } from './tiny-program.js';

const programs = [[4, 4, 2], [8, 2, 2]] as const;

for (const [bits, rows, cols] of programs) {
  test(`tiny network a${bits}w${bits} ${rows}x${cols}: the masks order every conflicting pair; without them some pair is not`, async () => {
    const { prog, p } = await tinyProgram(bits, rows, cols);
    const masks = waitMasks(prog.instrs);
    assert.equal(orderViolations(prog.instrs, masks), []);
    const none = orderViolations(prog.instrs, masks.map(() => 0));
    assert.ok(none.length > 0, 'the program needs its masks');
    // Each mask bit is needed: clearing it somewhere it is set leaves a pair unordered.
    const k = masks.findIndex((m) => m !== 0);
    for (const e of Object.values(ENGINE_BIT)) {
      if (!(masks[k] & e)) continue;
      const cut = masks.map((m, i) => (i === k ? m & ~e : m));
      assert.ok(orderViolations(prog.instrs, cut).some((v) => v.second === k), `mask bit ${e} of instruction ${k}`);
    }
    // The masks leave room to overlap: not every instruction waits for every engine.
    assert.ok(prog.instrs.some((ins, i) => ins.op === 'tile' && (masks[i] & ENGINE_BIT.loader) === 0), 'a tile that does not wait for the loader');
    assert.ok(masks.some((m, i) => m !== ALL_ENGINES && prog.instrs[i].op !== 'end'));
    assert.equal(decodeMasks(encodeProgram(prog.instrs, p)), masks, 'the headers carry the masks');
  });
}

test('the compiler\'s issue order keeps conflicting instructions and each engine\'s commands in program order', async () => {
  const { prog } = await tinyProgram(4, 4, 2);
  const instrs = prog.instrs;
  // Equal estimates: the order is by dependence depth, far from the program order, and must keep every conflict.
  const order = scheduleOrder(instrs, () => 5);
  const pos = new Map(order.map((j, k) => [j, k]));
  const acc = instrs.map(accessOf);
  for (let i = 0; i < instrs.length; i++) {
    for (let j = i + 1; j < instrs.length; j++) {
      if (conflicts(acc[i], acc[j])) assert.ok(pos.get(i)! < pos.get(j)!, `${instrs[i].op} ${i} before ${instrs[j].op} ${j}`);
    }
  }
});

test('conflicts: a load into one IBUF half and a tile reading the other do not; the same half, a store and a later load of its words do', () => {
  const tile = (ibHalf: 0 | 1) => ({ op: 'tile', tile: { ibHalf, wbHalf: 0, obHalf: 0, accumulate: false } }) as unknown as NetInstr;
  const load = (half: 0 | 1) => ({
    op: 'load-input', half, src: { base: 100, c: 8, h: 4, w: 4, format: { bits: 4, perWord: 8, signed: false } }, block: { oy0: 2, ox0: 0, rows: 2, cols: 4 },
    window: { inH: 4, inW: 4, strideY: 1, strideX: 1, padTop: 1, padLeft: 1 }, input: { th: 4, tw: 6, pitch: 6, gs: 1, d: 1 },
  }) as unknown as NetInstr;
  const store = (oy0: number) => ({
    op: 'store', dst: { base: 100, c: 8, h: 4, w: 4, format: { bits: 4, perWord: 8, signed: false } }, block: { oy0, ox0: 0, rows: 1, cols: 4 }, wordLo: 0, words: 1,
  }) as unknown as NetInstr;
  assert.not.ok(conflicts(accessOf(load(1)), accessOf(tile(0))));
  assert.ok(conflicts(accessOf(load(0)), accessOf(tile(0))));
  // The load reads input rows 1..3 (block rows 2..3 with a 3-row window and a pad row).
  assert.ok(conflicts(accessOf(store(1)), accessOf(load(0))));
  assert.not.ok(conflicts(accessOf(store(0)), accessOf(load(0))));
  assert.ok(conflicts(accessOf({ op: 'end' }), accessOf(tile(1))));
  // The load into half 1 while a tile reads half 0: no wait; a tile on half 1 after it waits for the loader.
  const masks = waitMasks([tile(0), load(1), tile(1)]);
  assert.equal(masks, [0, 0, ENGINE_BIT.loader]);
});

test.run();
