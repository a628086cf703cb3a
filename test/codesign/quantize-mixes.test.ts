// Mixes quantized together equal mixes quantized one by one, are stored in the cache as each is done, and a mix
// asked twice is quantized once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { type QuantizeSetup, quantizeMix, quantizeMixes } from '../../src/codesign/materialize.js';
import { findRecipe } from '../../src/quant/recipes.js';
import { tempDir } from '../helpers.js';
import { calibration, model } from '../quant/tiny-net.js';

const setup = (cacheDir: string | null): QuantizeSetup => ({
  source: model, what: 'tiny', name: 'tiny', recipe: findRecipe('bitsplit-mnv2'), run: { calibration, positions: 64, seed: 2 }, key: ['tiny-net'], cacheDir,
});
const mix = (a1: number, w1: number, a2: number, w2: number) => ({ conv1: { a: 8, w: 8 }, dw: { a: a1, w: w1 }, fc: { a: a2, w: w2 } });

test('mixes quantized together: the same files as one by one, each cached, a repeated mix once', async () => {
  const mixes = [mix(4, 4, 8, 8), mix(2, 4, 4, 8), mix(4, 4, 8, 8), mix(8, 2, 8, 8)];
  const dir = tempDir('hwq-mixes-');
  const steps: string[] = [];
  const together = await quantizeMixes(setup(dir), mixes, (d, n) => steps.push(`${d}/${n}`));
  assert.equal(steps, ['0/3', '1/3', '2/3', '3/3']);
  assert.is(readdirSync(dir).length, 6, 'three distinct mixes, two files each');
  for (const [k, m] of mixes.entries()) {
    const alone = await quantizeMix(setup(null), m);
    assert.equal(together[k].hwq, alone.hwq, `mix ${k}: .hwq`);
    assert.equal(together[k].qdq, alone.qdq, `mix ${k}: QDQ`);
    assert.not.ok(together[k].hit);
  }
  const again = await quantizeMixes(setup(dir), [mixes[1], mix(8, 8, 8, 8)]);
  assert.equal(again.map((q) => q.hit), [true, false]);
  assert.equal(again[0].hwq, together[1].hwq);
});

test.run();
