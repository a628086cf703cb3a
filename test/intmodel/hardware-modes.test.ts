// Raising a layer's precision to the modes the Fusion Units run: every width 1..unit lands on the next width the
// unit fuses to, and a precision a unit cannot run is refused with the caller's message or a default one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../src/errors.js';
import { hardwareMode, operandMisfit } from '../../src/intmodel/hardware-modes.js';

const unit8 = { name: 'u8', maxBits: 8 };
const unit4 = { name: 'u4', maxBits: 4 };
const unit16 = { name: 'u16', maxBits: 16 };

test('8-bit units: 1 and 2 bits run at 2, 3 at 4, 5 at 8, 8 at 8', () => {
  const raise = (b: number) => hardwareMode({ a: b, w: b }, unit8);
  assert.equal([1, 2, 3, 4, 5, 6, 7, 8].map((b) => raise(b).a), [2, 2, 4, 4, 8, 8, 8, 8]);
  assert.equal(hardwareMode({ a: 1, w: 5 }, unit8), { a: 2, w: 8, unit: 8 });
  assert.equal(hardwareMode({ a: 3, w: 2 }, unit8), { a: 4, w: 2, unit: 8 });
});

test('4- and 16-bit units: 3 runs at 4 on both; 5 runs at 8 and 16 at 16 on the 16-bit unit', () => {
  assert.equal(hardwareMode({ a: 3, w: 1 }, unit4), { a: 4, w: 2, unit: 4 });
  assert.equal(hardwareMode({ a: 3, w: 16 }, unit16), { a: 4, w: 16, unit: 16 });
  assert.equal(hardwareMode({ a: 5, w: 9 }, unit16), { a: 8, w: 16, unit: 16 });
});

test('operandMisfit names the first operand outside 1..unit and whether it is only too wide', () => {
  assert.is(operandMisfit({ a: 8, w: 8 }, unit8), undefined);
  assert.equal(operandMisfit({ a: 16, w: 4 }, unit8), { operand: 'activations', bits: 16, unit: 8, widths: [2, 4, 8], tooWide: true });
  assert.equal(operandMisfit({ a: 4, w: 5 }, unit4), { operand: 'weights', bits: 5, unit: 4, widths: [2, 4], tooWide: true });
  assert.equal(operandMisfit({ a: 0, w: 4 }, unit8)?.tooWide, false);
  assert.equal(operandMisfit({ a: 4, w: 2.5 }, unit8)?.operand, 'weights');
});

test('a precision the unit cannot run: default UserError naming the precision and the unit, or the caller\'s error', () => {
  assert.throws(() => hardwareMode({ a: 16, w: 16 }, unit8), (e: Error) => e instanceof UserError && e.message === 'precision a16w16 needs 16-bit operands; u8 has 8-bit Fusion Units');
  assert.throws(() => hardwareMode({ a: 4, w: 8 }, unit4), (e: Error) => e instanceof UserError && /a4w8 needs 8-bit operands; u4 has 4-bit/.test(e.message));
  assert.throws(() => hardwareMode({ a: 0, w: 4 }, unit8), (e: Error) => e instanceof UserError && /a0w4: activations of 0 bits are not a whole number of bits in 1\.\.8/.test(e.message));
  const mine = new RangeError('mine');
  assert.throws(() => hardwareMode({ a: 4, w: 9 }, unit8, (m) => (m.operand === 'weights' && m.bits === 9 ? mine : new Error('wrong misfit'))), (e: Error) => e === mine);
});

test.run();
