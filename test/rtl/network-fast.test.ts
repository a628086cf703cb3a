// The event-driven network run (rtl/sim-events.ts, rtl/layer-fast.ts) against the per-cycle one it replaces for
// long runs: the same layers, cycles and outputs on the tiny residual network (2x2 array), failures found where
// the per-cycle check finds them, and the 'rtl-image' job refusing a design other than the one it was made for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withVerilator } from '../helpers.js';
import { loadHwq } from '../../src/intmodel/format.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { generateRtl } from '../../rtl/generate.js';
import { runNetworkOnRtl } from '../../rtl/network.js';
import { checkLayerFast, gemmAccumulators, layerTop } from '../../rtl/layer-fast.js';
import { checkLayer } from '../../rtl/layer-verify.js';
import { hwqLayerProgram } from '../../rtl/layer.js';
import { prng, randInt } from '../../rtl/verify.js';
import { packDescriptor } from '../../rtl/descriptor.js';
import { EventScript, parseEventOutput, runEvents } from '../../rtl/sim-events.js';
import { sourcesOf } from '../../rtl/generate.js';
import { LAYER_VLT } from '../../rtl/layer-fast.js';
import { runIntegerLayer } from '../../src/intmodel/execute.js';
import { designHash, layerSimCycles, runRtlImages } from '../../src/jobs/kinds/rtl-image.js';
import { fileRef } from '../../src/jobs/job.js';
import type { InputSpec } from '../../src/data/input-spec.js';
import { TINY, quantizeTiny, tinyInputs } from '../intmodel/tiny-resnet.js';

withVerilator(test, 'tiny network a4w4 on 2x2: the event run equals the per-cycle run layer by layer, cycles and outputs', async () => {
  const { hwq } = await quantizeTiny(4);
  const model = loadHwq(hwq);
  const cfg = vc709Sized(2, 2);
  const design = generateRtl(cfg);
  const [x] = tinyInputs(1, 11);
  const fast = runNetworkOnRtl(model, x, cfg, design, hwq, layerSimCycles(cfg), 'verilator-events');
  const dense = runNetworkOnRtl(model, x, cfg, design, hwq, layerSimCycles(cfg), 'verilator');
  assert.ok(fast.logitsEqual);
  assert.equal(fast.layers.map((l) => [l.name, l.equal, l.problems]), dense.layers.map((l) => [l.name, true, []]));
  assert.equal(fast.layers.map((l) => l.rtlCycles), dense.layers.map((l) => l.rtlCycles));
  assert.equal(fast.layers.map((l) => l.rtlCycles), fast.layers.map((l) => l.modelCycles));
  for (const [name, t] of dense.rtl.tensors) assert.equal(Array.from(fast.rtl.tensors.get(name)!.codes), Array.from(t.codes), name);
});

const p2 = () => generateRtl(vc709Sized(2, 2));

/** The tiny network's b1c1 (a 3x3 convolution, 36-long reduction) on random input codes, one reduction step per tile. */
async function tinyProgram(design: ReturnType<typeof p2>) {
  const { hwq } = await quantizeTiny(4);
  const model = loadHwq(hwq);
  const r = prng(5);
  const input = Int32Array.from({ length: TINY.C1 * TINY.H * TINY.W }, () => randInt(r, 0, 15));
  const { layer, program } = hwqLayerProgram(model, 1, input, vc709Sized(2, 2), design.params, hwq, { tiling: { maxSteps: 1 } });
  return { L: layer, input, prog: program };
}

withVerilator(test, '2x2: the event check passes where checkLayer does and fails on a continuation tile that starts from zero', async () => {
  const design = p2();
  const { L, input, prog } = await tinyProgram(design);
  const good = checkLayerFast(design, prog);
  assert.equal(good.problems, []);
  assert.equal(Array.from(good.codes), Array.from(runIntegerLayer(L, input)));
  assert.equal(good.steps, checkLayer(design, 'verilator', prog).steps);
  for (const s of prog.steps) {
    if (s.kind === 'tile' && s.tile.descriptor.accumulate) s.tile.packed = packDescriptor({ ...s.tile.descriptor, accumulate: false }, design.params);
  }
  const bad = checkLayerFast(design, prog);
  assert.ok(bad.problems.some((x) => /OBUF accumulator/.test(x)), bad.problems.join('\n'));
  assert.ok(bad.problems.some((x) => /output write/.test(x)), bad.problems.join('\n'));
});

withVerilator(test, '2x2: the event check finds a tile whose descriptor runs more steps (cycles and OBUF writes)', async () => {
  const design = p2();
  const { prog } = await tinyProgram(design);
  const t = prog.steps.find((s) => s.kind === 'tile')!;
  if (t.kind !== 'tile') throw new Error('no tile');
  t.tile.packed = packDescriptor({ ...t.tile.descriptor, S: t.tile.descriptor.S + 1 }, design.params);
  const bad = checkLayerFast(design, prog);
  assert.ok(bad.problems.some((x) => /step 0 .*done after (\d+|NaN) cycles, the model says/.test(x)), bad.problems.join('\n'));
  assert.ok(bad.problems.some((x) => /step 0 .*OBUF writes/.test(x)), bad.problems.join('\n'));
});

test('gemmAccumulators is the GEMM with 32-bit wrap', () => {
  const prog = { gemm: { M: 2, K: 3, N: 2, a: Int32Array.from([1, 2, 3, -1, 0, 2]), w: Int32Array.from([1, 2, 3, 4, 5, 6]) } };
  assert.equal(Array.from(gemmAccumulators(prog as never)), [1 + 6 + 15, 2 + 8 + 18, -1 + 10, -2 + 12]);
  const big = { gemm: { M: 1, K: 2, N: 1, a: Int32Array.from([65536, 65536]), w: Int32Array.from([32768, 32768]) } };
  assert.equal(Array.from(gemmAccumulators(big as never)), [0]);
});

test('EventScript writes only changes, in cycle order, and refuses to go back', () => {
  const top = layerTop(p2());
  const s = new EventScript(top);
  s.set('rst', 1n).at(2).set('rst', 0n).set('rst', 0n).at(5);
  const mem = s.memory('TOP.x', 'mem');
  s.poke(mem, 3, 0xabn).peek(mem, 3);
  assert.is(s.text(), 's 0 1\nc 2\ns 0 0\nc 5\na 0 TOP.x mem\nm 0 3 ab\np 0 3\n');
  assert.throws(() => s.at(4), /goes back/);
  assert.throws(() => s.set('nope', 1n), /no input 'nope'/);
});

test('EventScript: a run of words is one w line in hex, from..to of the array', () => {
  const s = new EventScript(layerTop(p2()));
  const mem = s.memory('TOP.x', 'mem');
  s.pokeWords(mem, 4, Uint32Array.from([9, 0xabc, 0, 0xffffffff]), 1, 4).pokeWords(mem, 9, [1], 1, 1);
  assert.is(s.text(), 'a 0 TOP.x mem\nw 0 4 abc 0 ffffffff\n');
});

test('parseEventOutput: cycles, fields cut out one by one equal the split line, peeks in order', () => {
  const run = parseEventOutput('12 0 1f a\np 3 7 ffffffff\n\n13 1 0 b\np 0 1 5\n14\n');
  assert.equal(run.lines.map((l) => l.cycle), [12, 13, 14]);
  assert.equal([0, 1, 2, 3].map((i) => run.lines[0].field(i)), ['0', '1f', 'a', '']);
  assert.equal(run.lines[1].values, ['1', '0', 'b']);
  assert.equal([0, 2, 3].map((i) => run.lines[1].field(i)), ['1', 'b', '']);
  assert.equal([run.lines[2].values, run.lines[2].field(0)], [[], '']);
  assert.equal(run.peeks, [0xffffffffn, 5n]);
});

withVerilator(test, 'event harness: a w line writes consecutive words of a buffer RAM, p reads them back', () => {
  const design = p2();
  const top = layerTop(design);
  const s = new EventScript(top);
  const mem = s.memory('TOP.bitfusion_layer.u_core.u_ibuf.g_bank[1].u_bank', 'mem');
  s.set('rst', 1n).at(2).set('rst', 0n);
  s.pokeWords(mem, 3, Uint32Array.from([7, 0xdeadbeef, 0, 0x12345678]), 1, 4).at(4).poke(mem, 4, 0x55).peek(mem, 3).peek(mem, 4).peek(mem, 5).at(6);
  const run = runEvents(sourcesOf(design), top, LAYER_VLT, s, ['done']);
  assert.equal(run.peeks, [0xdeadbeefn, 0x55n, 0x12345678n]);
});

withVerilator(test, 'rtl-image job: refuses a design hash other than the one the config generates', async () => {
  const { hwq } = await quantizeTiny(4);
  const cfg = vc709Sized(2, 2);
  const spec = {
    model: fileRef(hwq), config: cfg, design: designHash(generateRtl(vc709Sized(3, 3))), input: { kind: 'tensor', name: 'npy', dims: [3, 8, 8] } as InputSpec,
    sim: 'verilator-events' as const, data: { dataset: '/nonexistent', open: {}, sha256: '0' },
  };
  try {
    await runRtlImages(spec);
    assert.unreachable('ran');
  } catch (e) {
    assert.match((e as Error).message, /is not the job's/);
    assert.is((e as Error).name, 'UserError');
  }
});

test.run();
