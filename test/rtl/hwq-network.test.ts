// A whole quantized network on the generated core: the tiny residual network (stem, identity block, option-A
// block, average pool, fc) at a4w4 runs layer after layer on bitfusion_layer (2x2 array, Verilator, one build),
// each layer fed the codes the RTL wrote for the previous one; every layer's output and the logits must equal
// the network executor's, every step's cycles the layer compiler's model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withVerilator } from '../helpers.js';
import { loadHwq } from '../../src/intmodel/format.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { generateRtl } from '../../rtl/generate.js';
import { runNetworkOnRtl } from '../../rtl/network.js';
import { layerSimCycles } from '../../src/cli/commands/rtl.js';
import { quantizeTiny, tinyInputs, TINY } from '../intmodel/tiny-resnet.js';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tempDir } from '../helpers.js';
import { hwq as cli, userError } from '../cli/run-hwq.js';
import { writeNpy } from '../compat/models.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { toIntegerQdqModel } from '../../src/quant/qdq-integer.js';
import type { QuantModel } from '../../src/quant/types.js';

withVerilator(test, 'tiny residual network a4w4 on bitfusion_layer 2x2: every layer and the logits equal the network executor', async () => {
  const { hwq } = await quantizeTiny(4);
  const model = loadHwq(hwq);
  const cfg = vc709Sized(2, 2);
  const design = generateRtl(cfg);
  const [x] = tinyInputs(1, 7);
  const run = runNetworkOnRtl(model, x, cfg, design, hwq, layerSimCycles(cfg));
  assert.equal(run.layers.map((l) => l.name), ['stem', 'b1c1', 'b1c2', 'b2c1', 'b2c2', 'fc']);
  for (const l of run.layers) {
    assert.equal(l.problems, [], l.name);
    assert.ok(l.equal, l.name);
    assert.is(l.rtlCycles, l.modelCycles, l.name);
    assert.ok(l.simComputeCycles > 0 && l.simTotalCycles >= l.simComputeCycles, l.name);
  }
  assert.ok(run.logitsEqual);
  assert.equal(Array.from(run.rtl.accumulators), Array.from(run.reference.accumulators));
  for (const [name, t] of run.reference.tensors) assert.equal(Array.from(run.rtl.tensors.get(name)!.codes), Array.from(t.codes), name);
  assert.ok(new Set(run.reference.accumulators).size > 1, 'the logits differ between classes');
});

/**
 * The tiny network at a4w4 with its QDQ model beside it (tiny.onnx, found by default), 3 .npy samples, and a
 * config of the vc709 preset on a 2x2 array (the design the test above builds).
 */
async function tinyRunDir(): Promise<{ hwq: string; dir: string; config: string; q: QuantModel }> {
  const { hwq, qdq, q } = await quantizeTiny(4);
  writeFileSync(hwq.replace(/\.hwq$/, '.onnx'), qdq);
  const dir = tempDir('hwq-rtl-run-');
  const config = join(dir, 'vc709-2x2.json');
  writeFileSync(config, JSON.stringify({ base: 'vc709', rows: 2, cols: 2 }));
  tinyInputs(3, 31).forEach((x, i) => writeNpy(join(dir, 'samples', `s${i}.npy`), [TINY.C0, TINY.H, TINY.W], Array.from(x)));
  return { hwq, dir: join(dir, 'samples'), config, q };
}

withVerilator(test, 'hwq rtl --model --run: per image logits equal and top-1 beside the QDQ model\'s, per layer core and simulator cycles', async () => {
  const { hwq, dir, config, q } = await tinyRunDir();
  const r = await cli('rtl', '--model', hwq, '--run', dir, '--limit', '2', '--config', config);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const images = lines.filter((l) => l.includes('.npy'));
  assert.is(images.length, 2);
  for (const l of images) assert.match(l, /logits equal yes, top-1 \d \(QDQ \(layers form\) top-1 \d, equal (yes|no)\)$/);
  // The fixed-point form computes the integer model's arithmetic: its top-1 is the core's on every image.
  const fixed = join(dir, '..', 'fixed-point.onnx');
  writeFileSync(fixed, encodeModel(toIntegerQdqModel(q, 'fixed-point')));
  const f = await cli('rtl', '--model', hwq, '--run', dir, '--limit', '3', '--config', config, '--qdq', fixed);
  assert.is(f.code, 0, f.stderr);
  const fixedLines = f.stdout.split('\n').filter((l) => l.includes('.npy'));
  assert.is(fixedLines.length, 3);
  for (const l of fixedLines) assert.match(l, /\(QDQ \(fixed-point form\) top-1 \d, equal yes\)$/);
  const table = lines.slice(lines.findIndex((l) => l.startsWith('layer ')) + 1);
  assert.equal(table.map((l) => l.split(/\s+/)[0]), ['stem', 'b1c1', 'b1c2', 'b2c1', 'b2c2', 'fc']);
  const j = await cli('rtl', '--model', hwq, '--run', dir, '--limit', '1', '--json', '--config', config);
  assert.is(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout);
  assert.is(out.images.length, 1);
  const img = out.images[0];
  assert.is(img.logitsEqual, true);
  assert.ok(Number.isInteger(img.qdqTop1));
  assert.equal(img.layers.map((l: { equal: boolean }) => l.equal), [true, true, true, true, true, true]);
  for (const l of img.layers) assert.is(l.rtlCycles, l.modelCycles);
});

withVerilator(test, 'hwq rtl --run --jobs 2 --cache: one rtl-image job per image, a rerun reads each image from the result cache', async () => {
  const { hwq, dir, config } = await tinyRunDir();
  const cache = tempDir('hwq-rtl-cache-');
  const args = ['rtl', '--model', hwq, '--run', dir, '--limit', '3', '--config', config, '--cache', cache, '--jobs', '2', '--json'];
  const first = await cli(...args);
  assert.is(first.code, 0, first.stderr);
  const runs = JSON.parse(first.stdout).images;
  assert.equal(runs.map((r: { image: string }) => basename(r.image)), ['s0.npy#0', 's1.npy#0', 's2.npy#0']);
  type Layer = { equal: boolean; rtlCycles: number; modelCycles: number };
  for (const r of runs) assert.ok(r.logitsEqual && r.layers.every((l: Layer) => l.equal && l.rtlCycles === l.modelCycles));
  const entries = readdirSync(join(cache, 'rtl-image'));
  assert.is(entries.length, 3);
  // A changed entry shows in the rerun: the results come from the cache, not from another simulation.
  const file = join(cache, 'rtl-image', entries[0]);
  const entry = JSON.parse(readFileSync(file, 'utf8'));
  entry.result[0].top1 = 77;
  writeFileSync(file, JSON.stringify(entry));
  // (another argument list: hwq() shares the run of an identical one)
  const again = await cli(...args, '--no-progress');
  assert.is(again.code, 0, again.stderr);
  assert.ok(JSON.parse(again.stdout).images.some((r: { top1: number }) => r.top1 === 77));
});

withVerilator(test, 'hwq rtl --run --system: the network program on the whole system, every tensor and the logits equal, per layer cycles', async () => {
  const { hwq, dir, config, q } = await tinyRunDir();
  const fixed = join(dir, '..', 'fixed-point.onnx');
  writeFileSync(fixed, encodeModel(toIntegerQdqModel(q, 'fixed-point')));
  const r = await cli('rtl', '--model', hwq, '--run', dir, '--limit', '2', '--config', config, '--qdq', fixed, '--system');
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const images = lines.filter((l) => l.includes('.npy'));
  assert.is(images.length, 2);
  for (const l of images) assert.match(l, /logits equal yes, tensors equal yes, top-1 \d \(QDQ \(fixed-point form\) top-1 \d, equal yes\); \d+ cycles \(\d+ \+ \d+\)$/);
  const table = lines.slice(lines.findIndex((l) => l.startsWith('layer ')) + 1);
  assert.equal(table.map((l) => l.split(/\s+/)[0]), ['stem', 'b1c1', 'b1c2', 'b2c1', 'b2c2', 'fc']);
  const j = await cli('rtl', '--model', hwq, '--run', dir, '--limit', '1', '--json', '--config', config, '--system');
  assert.is(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout);
  assert.is(out.target, 'system');
  const img = out.images[0];
  assert.ok(img.logitsEqual && img.tensorsEqual);
  type Layer = { cycles: number; byKind: Record<string, number>; arrayTileCycles: number; simTotalCycles: number };
  const layers: Layer[] = img.layers;
  assert.is(layers.length, 6);
  for (const l of layers) {
    assert.is(l.cycles, Object.values(l.byKind).reduce((a, b) => a + b, 0));
    assert.ok(l.cycles > 0 && l.arrayTileCycles > 0 && l.simTotalCycles > 0, JSON.stringify(l));
  }
  // The engines overlap, but the array runs one tile at a time: the run takes at least all the tiles' cycles.
  assert.ok(img.cycles >= layers.reduce((a, l) => a + l.arrayTileCycles, 0));
  // The layers' cycles are the run's, but for the host step between its two runs.
  const sum = layers.reduce((a, l) => a + l.cycles, 0);
  assert.ok(sum <= img.cycles && sum > 0.9 * img.cycles, `${sum} of ${img.cycles}`);
});

test('hwq rtl --run: bad input is one line and exit 2'
, async () => {
  const { hwq, dir } = await tinyRunDir();
  assert.match(userError(await cli('rtl', '--run', dir), 'no model'), /--run needs --model/);
  assert.match(userError(await cli('rtl', '--model', hwq, '--run', join(dir, 'absent')), 'missing folder'), /absent/);
  assert.match(userError(await cli('rtl', '--model', hwq, '--run', dir, '--limit', '0'), 'limit 0'), /--limit/);
  assert.match(userError(await cli('rtl', '--model', hwq, '--run', dir, '--out', dir), 'out with run'), /leave out --out/);
  assert.match(userError(await cli('rtl', '--model', hwq, '--run', dir, '--qdq', join(dir, 'none.onnx')), 'missing qdq'), /none\.onnx/);
  assert.match(userError(await cli('rtl', '--config', 'vc709'), 'no out'), /--out is required/);
  assert.match(userError(await cli('rtl', '--out', join(dir, 'o'), '--limit', '3'), 'limit without run'), /go with --run/);
  assert.match(userError(await cli('rtl', '--out', join(dir, 'o'), '--system'), 'system without run'), /--system go with --run/);
  assert.match(userError(await cli('rtl', '--out', join(dir, 'o'), '--jobs', '2'), 'jobs without run'), /--jobs, --queue and --cache go with --run/);
  assert.match(userError(await cli('rtl', '--model', hwq, '--run', dir, '--jobs', '0'), 'jobs 0'), /--jobs/);
  assert.match(userError(await cli('rtl', '--model', hwq, '--run', dir, '--queue', 'http://x'), 'bad queue'), /http:\/\/x/);
});

test.run();
