import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { cached, contentKey, readCached } from '../../src/codesign/cache.js';
import { tempDir } from '../helpers.js';

const base = () => ['tflite', new Uint8Array([1, 2, 3]), { seed: 0, candidates: [{ a: 2, w: 2 }, { a: 8, w: 8 }] }] as const;

test('the key is stable for equal inputs (object key order ignored) and changes with every part', () => {
  const k = contentKey('sensitivity', [...base()]);
  assert.is(k, contentKey('sensitivity', ['tflite', new Uint8Array([1, 2, 3]), { candidates: [{ w: 2, a: 2 }, { a: 8, w: 8 }], seed: 0 }]));
  assert.match(k, /^[0-9a-f]{64}$/);
  const changed = [
    contentKey('sensitivity', ['bitsplit', new Uint8Array([1, 2, 3]), base()[2]]),
    contentKey('sensitivity', ['tflite', new Uint8Array([1, 2, 4]), base()[2]]),
    contentKey('sensitivity', ['tflite', new Uint8Array([1, 2, 3]), { ...base()[2], seed: 1 }]),
    contentKey('sensitivity', ['tflite', new Uint8Array([1, 2, 3]), { ...base()[2], candidates: [{ a: 2, w: 2 }] }]),
    contentKey('costs', [...base()]),
    // length prefixes: moving a boundary between parts is a different list
    contentKey('sensitivity', ['tfl', 'ite']),
    contentKey('sensitivity', ['tflite']),
  ];
  assert.is(new Set([k, ...changed]).size, changed.length + 1);
});

test('a second call finds the stored value without computing; a damaged entry is computed again', async () => {
  const dir = tempDir('hwq-cache-');
  let runs = 0;
  const compute = async () => ({ damage: [[0.5, 0.25]], run: ++runs });
  const first = await cached(dir, 'k1', compute);
  const second = await cached(dir, 'k1', compute);
  assert.equal([first.hit, second.hit, runs], [false, true, 1]);
  assert.equal(second.value, first.value);
  writeFileSync(join(dir, 'k1.json'), '{"damage": [[0.5');
  assert.is(readCached(dir, 'k1'), undefined);
  assert.equal((await cached(dir, 'k1', compute)).value.run, 2);
});

test.run();
