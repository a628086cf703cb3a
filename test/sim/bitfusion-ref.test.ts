import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeLayers, type Network, type Precision } from '../../src/model/ir.js';
import { INPUT, NetBuilder } from '../../src/model/builder.js';
import { getNetwork } from '../../src/model/zoo.js';
import { getPreset } from '../../hw/presets.js';
import type { HwConfig } from '../../hw/config.js';
import { UserError } from '../../src/errors.js';
import { refArch, simulateRef } from '../../sim/ref/bitfusion-ref.js';
import { candidateTiles, LOOPS, type LoopName, perfFactor, type RefArch, type RefProblem, searchMapping } from '../../sim/ref/tiling.js';
import { rng, randInt } from '../helpers.js';

function cfg8x8(): HwConfig {
  const c = getPreset('bitfusion-8x8');
  if (!c) throw new Error('preset bitfusion-8x8 missing');
  return c;
}

const uniform = (a: number, w: number) => (): Precision => ({ a, w });

function run(net: Network, p: Precision, batch = 1, cfg = cfg8x8()) {
  return simulateRef(net, cfg, { batch, precisionOf: () => p });
}

// ---------------------------------------------------------------------------------------------------------
// Small networks worked out by hand.

test('fc 64->16 at a8w8: 16 compute cycles, first load and last store unoverlapped (92 cycles)', () => {
  const b = new NetBuilder('fc', 'one fc', { c: 64, h: 1, w: 1 });
  b.fc('fc', INPUT, { out: 16 });
  const r = run(b.build(), { a: 8, w: 8 });
  const l = r.layers[0];
  // ceil(16/8) column passes * ceil(64/8) reduction passes
  assert.is(l.computeCycles, 16);
  // Everything fits: first load = act 512 + wgt 8192 + out 512 bits = 72 cycles at 128 bits, last store 4.
  assert.is(l.stallCycles, 76);
  assert.is(l.totalCycles, 92);
  assert.equal(l.dram, { input: 64, weight: 1024, outputWrite: 64, outputRead: 64 });
  assert.is(l.macs, 1024);
  assert.is(r.precision, 'a8w8');
  assert.is(r.simulator, 'bitfusion-ref');
  assert.ok(Math.abs(l.utilization - 1024 / (92 * 64)) < 1e-12);
  assert.ok(Math.abs(r.latencyMs - 92 / 500e3) < 1e-12);
});

test('im2col only for the conv reading the network input', () => {
  const first = new NetBuilder('first', '', { c: 3, h: 8, w: 8 });
  first.conv('c', INPUT, { outC: 8, kernel: 3, pad: 1 });
  const later = new NetBuilder('later', '', { c: 3, h: 8, w: 8 });
  const p = later.pool('p', INPUT, { op: 'max', kernel: 1 });
  later.conv('c', p, { outC: 8, kernel: 3, pad: 1 });
  // im2col: 64 pixels * ceil(8/8) * ceil(27/8) = 256; channel-wise: 64 * 9 taps * ceil(3/8) = 576.
  assert.is(run(first.build(), { a: 8, w: 8 }).layers[0].computeCycles, 256);
  const r = run(later.build(), { a: 8, w: 8 });
  assert.is(r.layers.length, 1, 'pooling layers are left out');
  assert.is(r.layers[0].computeCycles, 576);
});

test('precision: widths raised to 2, perf factor floor(8/a)*floor(8/w), hwPrecision the next width', () => {
  const b = new NetBuilder('fc', '', { c: 512, h: 1, w: 1 });
  b.fc('fc', INPUT, { out: 64 });
  const net = b.build();
  const cycles = (a: number, w: number) => run(net, { a, w }).layers[0].computeCycles;
  // 8 column passes * ceil(512 / (8 * perf))
  assert.is(cycles(8, 8), 8 * 64);
  assert.is(cycles(8, 4), 8 * 32);
  assert.is(cycles(4, 4), 8 * 16);
  assert.is(cycles(2, 2), 8 * 4);
  assert.is(cycles(1, 1), cycles(2, 2));
  assert.is(cycles(3, 8), cycles(4, 8));
  assert.is(cycles(5, 5), cycles(8, 8));
  const l = run(net, { a: 3, w: 1 }).layers[0];
  assert.equal(l.hwPrecision, { a: 4, w: 2 });
  assert.equal(l.precision, { a: 3, w: 1 });
  assert.is(perfFactor(3, 1, { maxBits: 8, minBits: 2 }), 8);
});

test('tile sizes use the real widths: 2-bit weights move a quarter of the 8-bit bytes', () => {
  const b = new NetBuilder('fc', '', { c: 256, h: 1, w: 1 });
  b.fc('fc', INPUT, { out: 32 });
  const net = b.build();
  assert.is(run(net, { a: 8, w: 8 }).layers[0].dram.weight, 256 * 32);
  assert.is(run(net, { a: 8, w: 2 }).layers[0].dram.weight, (256 * 32) / 4);
});

test('grouped conv: groups run one after another; matmul: m rows are the batch, steps repeat', () => {
  const dw = new NetBuilder('dw', '', { c: 4, h: 8, w: 8 });
  dw.conv('dw', INPUT, { outC: 4, kernel: 3, pad: 1, groups: 4 });
  const one = new NetBuilder('one', '', { c: 1, h: 8, w: 8 });
  one.conv('c', INPUT, { outC: 1, kernel: 3, pad: 1 });
  const a = run(dw.build(), { a: 8, w: 8 }).layers[0];
  const s = run(one.build(), { a: 8, w: 8 }).layers[0];
  assert.is(a.totalCycles, 4 * s.totalCycles);
  assert.is(a.stallCycles, 4 * s.stallCycles);
  assert.ok(a.mapping.endsWith('x4'), a.mapping);

  const mm = new NetBuilder('mm', '', { c: 256, h: 1, w: 1 });
  mm.matmul('mm', INPUT, { m: 4, n: 16, steps: 3 });
  const fc = new NetBuilder('fc', '', { c: 64, h: 1, w: 1 });
  fc.fc('fc', INPUT, { out: 16 });
  const m = run(mm.build(), { a: 4, w: 4 }).layers[0];
  const f = run(fc.build(), { a: 4, w: 4 }, 4).layers[0];
  assert.is(m.totalCycles, 3 * f.totalCycles);
  assert.is(m.macs, 3 * f.macs);
});

test('bad input: precision above the widest width, batch below 1', () => {
  const b = new NetBuilder('fc', '', { c: 8, h: 1, w: 1 });
  b.fc('fc', INPUT, { out: 8 });
  const net = b.build();
  assert.throws(() => run(net, { a: 16, w: 8 }), (e: unknown) => e instanceof UserError && /activation precision 16/.test((e as Error).message));
  assert.throws(() => run(net, { a: 8, w: 0 }), (e: unknown) => e instanceof UserError && /weight precision 0/.test((e as Error).message));
  assert.throws(() => run(net, { a: 8, w: 8 }, 0), (e: unknown) => e instanceof UserError && /batch/.test((e as Error).message));
});

// ---------------------------------------------------------------------------------------------------------
// The pruned search against a literal brute force: every candidate tile, all 120 orders (trip-1 loops
// included), the promotion rule written out again independently.

const DEPS: Record<LoopName, [boolean, boolean, boolean]> = {
  B: [true, false, true], OW: [true, false, true], OH: [true, false, true], IC: [true, true, false], OC: [false, true, true],
};

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [xs.slice()];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

function bruteForceCycles(p: RefProblem, arch: RefArch): number | undefined {
  const perf = perfFactor(p.aBits, p.wBits, arch);
  const lanes = arch.rows * perf;
  const caps = [arch.ibufTileBits, arch.wbufTileBits, arch.obufTileBits];
  let best: number | undefined;
  for (const t of candidateTiles(p, arch)) {
    const taps = p.kernelH * p.kernelW;
    const sizes = [
      p.im2col ? t.ow * t.oh * taps * t.ic * t.b * p.aBits
        : (p.spanW + (t.ow - 1) * p.strideW) * (p.spanH + (t.oh - 1) * p.strideH) * t.ic * t.b * p.aBits,
      Math.ceil((taps * t.ic) / lanes) * lanes * t.oc * p.wBits,
      t.ow * t.oh * Math.ceil(t.oc / arch.cols) * arch.cols * t.b * arch.accumulatorBits,
    ];
    if (sizes.some((s, i) => s > caps[i])) continue;
    const trips: Record<LoopName, number> = {
      B: Math.ceil(p.batch / t.b), OW: Math.ceil(p.outW / t.ow), OH: Math.ceil(p.outH / t.oh),
      IC: Math.ceil(p.inC / t.ic), OC: Math.ceil(p.outC / t.oc),
    };
    const tiles = LOOPS.reduce((x, l) => x * trips[l], 1);
    const perTile = p.im2col
      ? t.b * t.oh * t.ow * Math.ceil(t.oc / arch.cols) * Math.ceil((taps * t.ic) / lanes)
      : t.b * Math.ceil(t.oc / arch.cols) * t.ow * t.oh * taps * Math.ceil(t.ic / lanes);
    const compute = tiles * perTile;
    for (const order of permutations(LOOPS)) {
      const traffic = sizes.slice();
      const held = sizes.slice();
      const promote = [true, true, true];
      for (const loop of [...order].reverse()) {
        for (let o = 0; o < 3; o++) {
          if (promote[o] && !DEPS[loop][o]) continue;
          traffic[o] *= trips[loop];
          if (promote[o]) {
            if (traffic[o] > caps[o]) promote[o] = false;
            else held[o] = traffic[o];
          }
        }
      }
      const all = traffic[0] + traffic[1] + 2 * traffic[2];
      const first = held[0] + held[1] + held[2];
      const last = held[2];
      const bw = arch.dramBitsPerCycle;
      const total = compute + Math.max(0, Math.ceil((all - first - last) / bw) - compute) + Math.ceil(first / bw) + Math.ceil(last / bw);
      if (best === undefined || total < best) best = total;
    }
  }
  return best;
}

test('search equals a brute force over every tile and all 120 orders (150 random small layers)', () => {
  const r = rng(7);
  let compared = 0;
  for (let i = 0; i < 150; i++) {
    const k = [1, 3, 5][randInt(r, 0, 2)];
    const stride = randInt(r, 1, 2);
    const widths = [1, 2, 3, 4, 8];
    const p: RefProblem = {
      batch: randInt(r, 1, 3),
      outH: randInt(r, 1, 9),
      outW: 0,
      kernelH: k, kernelW: k, strideH: stride, strideW: stride, spanH: k, spanW: k,
      inC: randInt(r, 1, 40),
      outC: randInt(r, 1, 40),
      aBits: widths[randInt(r, 0, 4)],
      wBits: widths[randInt(r, 0, 4)],
      im2col: r() < 0.3,
    };
    p.outW = r() < 0.7 ? p.outH : randInt(r, 1, 9);
    const arch: RefArch = {
      ...refArch(cfg8x8()),
      rows: randInt(r, 2, 4),
      cols: randInt(r, 2, 4),
      ibufTileBits: 1 << randInt(r, 9, 14),
      wbufTileBits: 1 << randInt(r, 10, 15),
      obufTileBits: 1 << randInt(r, 9, 13),
      dramBitsPerCycle: [16, 64, 128][randInt(r, 0, 2)],
    };
    const want = bruteForceCycles(p, arch);
    if (want === undefined) {
      assert.throws(() => searchMapping(p, arch), /no tile/);
      continue;
    }
    const got = searchMapping(p, arch);
    assert.is(got.totalCycles, want, `case ${i}: ${JSON.stringify(p)}`);
    assert.is(got.computeCycles + got.stallCycles, got.totalCycles);
    compared++;
  }
  assert.ok(compared > 100, `only ${compared} cases had a fitting tile`);
});

// ---------------------------------------------------------------------------------------------------------
// The published figures (torchvision ResNet-18, batch 1, bitfusion-8x8).

test('ResNet-18 a8w8: total 28,467,925 cycles (60,309 stalls) and the published per-layer figures', () => {
  const r = run(getNetwork('resnet18'), { a: 8, w: 8 });
  assert.is(r.totalCycles, 28_467_925);
  assert.ok(Math.abs(r.totalCycles - 28_467_925) / 28_467_925 < 0.01);
  assert.is(r.stallCycles, 60_309);
  assert.is(r.layers.length, 21, 'conv and fc layers only (pooling and adds cost nothing)');
  const by = (n: string) => {
    const l = r.layers.find((x) => x.name === n);
    if (!l) throw new Error(`layer ${n} missing`);
    return l;
  };
  assert.is(by('conv1').computeCycles, 1_906_688);
  assert.is(by('conv1').totalCycles, 1_907_365);
  assert.is(by('conv1').stallCycles, 677);
  assert.is(by('fc').computeCycles, 8_000);
  assert.is(by('fc').totalCycles, 32_532);
  assert.is(by('layer1.1.conv2').totalCycles, 1_808_924);
  assert.is(by('layer2.0.conv1').stallCycles, 4_798);
  assert.is(by('layer2.0.downsample').totalCycles, 101_040);
  assert.is(by('layer3.0.downsample').stallCycles, 2_664);
  assert.is(by('layer4.0.downsample').totalCycles, 109_021);
  assert.is(by('layer4.1.conv2').totalCycles, 1_806_838);
  assert.is(r.layers.reduce((s, l) => s + l.totalCycles, 0), r.totalCycles);
  assert.ok(Math.abs(by('conv1').utilization - by('conv1').macs / (1_907_365 * 64)) < 1e-12);
  assert.ok(r.energyUJ > 0);
});

test('ResNet-18 a8w4 14,308,533 and a4w4 7,207,979 (conv1 502,611, fc 16,516)', () => {
  const net = getNetwork('resnet18');
  const r84 = simulateRef(net, cfg8x8(), { batch: 1, precisionOf: uniform(8, 4) });
  assert.is(r84.totalCycles, 14_308_533);
  const r44 = run(net, { a: 4, w: 4 });
  assert.is(r44.totalCycles, 7_207_979);
  assert.ok(Math.abs(r44.totalCycles - 7_207_979) / 7_207_979 < 0.01);
  assert.is(r44.layers[0].totalCycles, 502_611);
  assert.is(r44.layers[r44.layers.length - 1].totalCycles, 16_516);
  assert.is(r44.precision, 'a4w4');
});

test('ResNet-18 with first and last layer at a8w8: a8w4 15.23 M, a4w4 8.63 M', () => {
  const net = getNetwork('resnet18');
  const last = computeLayers(net).length - 1;
  const edges = (a: number, w: number) => simulateRef(net, cfg8x8(), {
    batch: 1,
    precisionOf: (_l, i) => (i === 0 || i === last ? { a: 8, w: 8 } : { a, w }),
  });
  const e84 = edges(8, 4);
  const e44 = edges(4, 4);
  assert.is((e84.totalCycles / 1e6).toFixed(2), '15.23');
  assert.is((e44.totalCycles / 1e6).toFixed(2), '8.63');
  assert.is(e84.precision, 'mixed');
});

test.run();
