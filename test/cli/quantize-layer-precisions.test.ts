// `hwq quantize --layer-precisions`: any per-layer mix of bits, in the file format hwq sim reads. The written
// .hwq carries each layer's bits (hwq sim of it reports them), the file's entries win over --first-last, and bad
// entries are refused naming the layer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hwq, userError } from './run-hwq.js';
import { tinyQuantizeSetup } from './quantize-fixtures.js';

const { dir: T, cnn, common } = tinyQuantizeSetup('hwq-layer-precisions-');

async function layerNames(): Promise<string[]> {
  const r = await hwq('sim', cnn, '--json');
  assert.is(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { layers: Array<{ name: string }> }).layers.map((l) => l.name);
}

for (const method of ['tflite', 'bitsplit']) {
  test(`${method}: each layer gets its own bits, over the uniform and first/last widths; the .hwq simulates at them`, async () => {
    const names = await layerNames();
    assert.ok(names.length >= 2, `tiny CNN has ${names.length} layers`);
    // the first layer's entry replaces the first/last rule's 8 bits; the last layer keeps the rule
    const mix: Record<string, string> = { [names[0]]: 'a2w4' };
    const file = join(T, `${method}-mix.json`);
    writeFileSync(file, JSON.stringify(mix));
    const out = join(T, `${method}-mix.onnx`);
    const r = await hwq('quantize', ...common, '--a4w4', '--method', method, '--positions', '60', '--layer-precisions', file, '--out', out, '--hwq', out.replace(/onnx$/, 'hwq'), '--json');
    assert.is(r.code, 0, r.stderr);
    const rows = (JSON.parse(r.stdout) as { layers: Array<{ name: string; aBits: number; wBits: number }> }).layers;
    const want = names.map((n, i) => mix[n] ?? (i === 0 || i === names.length - 1 ? 'a8w8' : 'a4w4'));
    assert.equal(want[0], 'a2w4');
    assert.equal(rows.map((l) => `a${l.aBits}w${l.wBits}`), want);
    const sim = await hwq('sim', out.replace(/onnx$/, 'hwq'), '--json');
    assert.is(sim.code, 0, sim.stderr);
    assert.equal((JSON.parse(sim.stdout) as { layers: Array<{ precision: { a: number; w: number } }> }).layers.map((l) => `a${l.precision.a}w${l.precision.w}`), want);
  });
}

test('bad per-layer precisions are refused naming the layer or the file', async () => {
  const names = await layerNames();
  const write = (name: string, body: unknown) => {
    const p = join(T, name);
    writeFileSync(p, JSON.stringify(body));
    return p;
  };
  const run = (file: string, bits = '--a4w4') => hwq('quantize', ...common, bits, '--layer-precisions', file, '--out', join(T, 'bad.onnx'));
  assert.match(userError(await run(write('typo.json', { [names[0] + 'x']: 'a4w4' })), 'unknown layer'), new RegExp(`no such compute layer \\(did you mean '${names[0]}'\\?\\)`));
  assert.match(userError(await run(write('wide.json', { [names[0]]: 'a4w16' })), 'too wide'), new RegExp(`weight bit width of layer '${names[0]}' 16 is outside 2..8`));
  assert.match(userError(await run(write('shape.json', { [names[0]]: 4 })), 'not a precision'), /must map to "a<A>w<W>"/);
  assert.match(userError(await run(write('ok.json', { [names[0]]: 'a4w4' }), '--w4'), 'weight-only'), /quantize activations too/);
  assert.match(userError(await run(join(T, 'missing.json')), 'missing file'), /cannot read precision file/);
});

test.run();
