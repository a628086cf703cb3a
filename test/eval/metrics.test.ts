import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addBatch, emptyCounts, pairedTop1 } from '../../src/eval/metrics.js';

test('per-image top-1 hits are kept only when asked, in evaluation order', () => {
  // 3 images, 3 classes: image 0 right, image 1 wrong, image 2 right (a tie breaks to the lower index, class 0)
  const logits = [3, 1, 0, 0, 1, 5, 2, 2, 0];
  const kept = addBatch(emptyCounts(true), logits, 3, [0, 0, 0]);
  assert.equal(kept.top1Hits, [1, 0, 1]);
  assert.is(kept.top1, 2);
  assert.is(addBatch(emptyCounts(), logits, 3, [0, 0, 0]).top1Hits, undefined);
});

test('pairedTop1: counts where the two models differ and the standard error of the paired difference', () => {
  const a = [1, 1, 1, 0, 0, 1, 1, 0];
  const b = [1, 0, 0, 1, 0, 1, 1, 0];
  const p = pairedTop1(a, b);
  assert.equal([p.onlyA, p.onlyB, p.images], [2, 1, 8]);
  // d = a - b per image: [0, 1, 1, -1, 0, 0, 0, 0]; population variance 3/8 - (1/8)^2
  const d = [0, 1, 1, -1, 0, 0, 0, 0];
  const m = d.reduce((s, x) => s + x, 0) / 8;
  const v = d.reduce((s, x) => s + (x - m) ** 2, 0) / 8;
  assert.ok(Math.abs(p.seTop1 - (100 * Math.sqrt(v)) / Math.sqrt(8)) < 1e-12, `${p.seTop1}`);
  assert.equal(pairedTop1(a, a), { onlyA: 0, onlyB: 0, images: 8, seTop1: 0 });
  assert.throws(() => pairedTop1([1], [1, 0]), /1 and 2/);
});

test.run();
