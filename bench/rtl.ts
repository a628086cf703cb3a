// The RTL co-simulation benchmark: Verilator C++ build of the 8x8 (vc709) bitfusion_core from a cold model
// cache, then the 40-tile core suite through it, bit and cycle checked against runTile; and ResNet-20 A4W4 image
// after image through the whole 8x8 bitfusion_layer (hwq rtl --run: the optimized event build from a cold cache,
// then one 'rtl-image' job per image on the local threads, every image checked: logits and every layer equal to
// the integer model, every step's cycles equal to the layer model's). HWQ_BENCH_RTL_IMAGES sets the image count
// (default 100).
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../hw/presets.js';
import { generateRtl, sourcesOf } from '../rtl/generate.js';
import { LAYER_VLT, layerTop } from '../rtl/layer-fast.js';
import { hasTool } from '../rtl/sim.js';
import { buildEventModel } from '../rtl/sim-events.js';
import { runCoreSuite, withColdCache } from '../rtl/cosim-suite.js';
import { runCli } from '../src/cli/run.js';
import { runImages } from '../src/cli/commands/rtl.js';
import { sharedPath } from '../src/experiments/shared-models.js';

async function networkLines(): Promise<string[]> {
  const images = Number(process.env.HWQ_BENCH_RTL_IMAGES ?? 100);
  const threads = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'hwq-bench-rtl-'));
  const saved = process.env.HWQ_RTL_CACHE;
  process.env.HWQ_RTL_CACHE = join(dir, 'models');
  try {
    const hwq = join(dir, 'r20.hwq');
    const code = await runCli(['quantize', sharedPath('models', 'cifar10-resnet20.onnx'), '--a4w4', '--calib', sharedPath('data', 'cifar10', 'calib'),
      '--calib-size', '64', '--out', join(dir, 'r20.onnx'), '--hwq', hwq, '--sqnr-images', '0', '--no-progress', '--workers', '0']);
    if (code !== 0) throw new Error(`hwq quantize exited ${code}`);
    const loadBefore = loadavg()[0];
    const design = generateRtl(loadConfig('vc709'));
    const t0 = performance.now();
    buildEventModel(sourcesOf(design), layerTop(design), LAYER_VLT);
    const t1 = performance.now();
    const runs = await runImages({
      config: 'vc709', model: hwq, run: sharedPath('data', 'cifar10', 'test'), limit: images, jobs: threads, cache: false, verify: false, force: false,
      json: true, progress: false,
    }, () => undefined);
    const t2 = performance.now();
    const loadAfter = loadavg()[0];
    const bad = runs.filter((r) => !r.logitsEqual || r.layers.some((l) => !l.equal || l.rtlCycles !== l.modelCycles));
    if (bad.length) throw new Error(`RTL network mismatch on ${bad[0].image}: ${bad[0].layers.flatMap((l) => l.problems)[0] ?? 'logits differ'}`);
    const build = (t1 - t0) / 1000;
    const run = (t2 - t1) / 1000;
    process.stderr.write(`rtl: event build of bitfusion_layer 8x8 ${build.toFixed(1)} s, ${runs.length} ResNet-20 images ${run.toFixed(1)} s\n`);
    return [
      `- ResNet-20 A4W4 through the 8x8 \`bitfusion_layer\` (\`hwq rtl --run\`, ${threads} threads): optimized Verilator build from a cold cache `
        + `**${build.toFixed(1)} s**, ${runs.length} images **${run.toFixed(1)} s** (${(run / runs.length).toFixed(1)} s per image), every image's logits `
        + `and 20 layers equal to the integer model and every step's cycles to the layer model. Total **${(build + run).toFixed(1)} s** `
        + `(goal: 100 images in 300 s on 2 cores). 1-minute load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after.`,
    ];
  } finally {
    if (saved === undefined) delete process.env.HWQ_RTL_CACHE;
    else process.env.HWQ_RTL_CACHE = saved;
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchRtl(): Promise<string[]> {
  if (!hasTool('verilator')) return ['## RTL co-simulation', '', 'Not measured: verilator is not on PATH.', ''];
  const run = withColdCache(() => runCoreSuite(8, 8));
  const total = run.buildSeconds + run.runSeconds;
  process.stderr.write(`rtl: verilator build of bitfusion_core 8x8 ${run.buildSeconds.toFixed(1)} s, ${run.result.checked} tiles ${run.runSeconds.toFixed(1)} s\n`);
  if (run.result.mismatches) throw new Error(`RTL co-simulation mismatch: ${run.result.first}`);
  return [
    '## RTL co-simulation',
    '',
    `- Verilator build of the 8x8 \`bitfusion_core\` (vc709) from a cold cache: **${run.buildSeconds.toFixed(1)} s**; `
      + `${run.result.checked} tiles through it, every output and write cycle checked against runTile: **${run.runSeconds.toFixed(1)} s**. `
      + `Total **${total.toFixed(1)} s** (goal: 180 s on 2 cores).`,
    ...(await networkLines()),
    '',
  ];
}
