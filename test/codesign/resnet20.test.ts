// Co-design on the real ResNet-20 with real CIFAR-10 images, kept small enough for every test run: a few held-out
// images, a sample of the test set, three front points. What it checks is what the method promises on any size:
// the sensitivities order the precisions, each measured point is what hwq sim gives for its .hwq, the drops are
// paired against the float model, and the cached rerun with another budget quantizes nothing again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { tempDir, withShared } from '../helpers.js';
import { hwq } from '../cli/run-hwq.js';

const T = tempDir('hwq-codesign-r20-');

interface Point { id: string; kind: string; folder: string; measured: { cycles: number; top1: number; drop: number; dropSe: number; latencyMs: number } }
interface Out {
  float: { top1: number; images: number }; layers: string[]; points: Point[]; rankCorrelation: number | null; chosen?: string | null;
  sensitivity: { damage: number[][]; candidates: Array<{ a: number; w: number }>; cached: boolean }; cache: { quantizeRuns: number };
}

withShared(test, 'ResNet-20 on vc709: sensitivities, a measured front, hwq sim of each point, a cached rerun with a budget',
  [['models', 'cifar10-resnet20.onnx'], ['data', 'cifar10', 'calib'], ['data', 'cifar10', 'test']],
  async ([model, calib, data]) => {
    const common = [model, '--config', 'vc709', '--calib', calib, '--data', data, '--recipe', 'tflite', '--calib-size', '64', '--held-out', '16',
      '--limit', '300', '--uniform', 'a8w8,a4w4', '--cache', join(T, 'cache'), '--no-progress', '--json'];
    const r = await hwq('codesign', ...common, '--points', '3', '--out', join(T, 'front'));
    assert.is(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout) as Out;
    assert.is(o.layers.length, 20);
    assert.is(o.float.images, 300);
    // every layer is hurt more at a2w2 than at a8w8
    const [c22, c88] = ['a2w2', 'a8w8'].map((s) => o.sensitivity.candidates.findIndex((c) => `a${c.a}w${c.w}` === s));
    for (const [l, row] of o.sensitivity.damage.entries()) assert.ok(row[c22] > row[c88], `layer ${o.layers[l]}: ${row[c22]} vs ${row[c88]}`);
    const a8w8 = o.points.find((p) => p.id === 'a8w8')!;
    assert.ok(Math.abs(a8w8.measured.drop) < 2, `a8w8 drop ${a8w8.measured.drop}`);
    assert.ok(a8w8.measured.dropSe > 0 && a8w8.measured.dropSe < 2);
    // three spread over the front, and the best mix within each uniform setting's latency (some may coincide)
    const searched = o.points.filter((p) => p.kind === 'searched').length;
    assert.ok(searched >= 3 && searched <= 5, `${searched} searched points`);
    for (const p of o.points) {
      const sim = await hwq('sim', join(T, 'front', p.folder, 'cifar10-resnet20.hwq'), '--config', 'vc709', '--json');
      assert.is(sim.code, 0, sim.stderr);
      assert.is((JSON.parse(sim.stdout) as { totalCycles: number }).totalCycles, p.measured.cycles, p.id);
    }
    assert.ok(o.rankCorrelation !== null, 'a rank correlation over 5 mixes');
    // another goal reuses every sensitivity and quantized uniform point
    const budget = o.points.find((p) => p.id === 'a4w4')!.measured.latencyMs;
    const again = await hwq('codesign', ...common, '--budget', `${budget}ms`, '--out', join(T, 'budget'));
    assert.is(again.code, 0, again.stderr);
    const b = JSON.parse(again.stdout) as Out;
    assert.ok(b.sensitivity.cached);
    assert.ok(b.chosen, 'a mix within the latency of uniform a4w4');
    assert.ok(b.points.find((p) => p.id === b.chosen)!.measured.latencyMs <= budget * (1 + 1e-9));
    assert.ok(b.cache.quantizeRuns <= 1, `${b.cache.quantizeRuns} mixes quantized again`);
  });

test.run();
