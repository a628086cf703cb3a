// The simulator benchmark: writes reports/bench/sim.md.
// - a full ResNet-18 simulation per precision (cycle model and bitfusion-ref), cold (first in the process)
//   and warm (median of repeated runs with the layer cache cleared, i.e. the full mapping search each time)
// - a 1,000-point sweep: resnet18 x 4 precisions x 250 array sizes
// - `hwq calibrate`'s fit on three ResNet-18 measurements (three precisions), from a cold layer cache
// Goals: under 100 ms per network-precision, the sweep under 60 s, the calibration under 5 s.
import { getPreset } from '../hw/presets.js';
import { getNetwork } from '../src/model/zoo.js';
import { planPrecisions, precisionLabel } from '../sim/precision.js';
import { simulateNetwork } from '../sim/simulate.js';
import { simulateRef } from '../sim/ref/bitfusion-ref.js';
import { clearLayerCache } from '../sim/layer-model.js';
import { runSweep } from '../sim/sweep.js';
import { Precision } from '../src/model/ir.js';
import { calibrate, simulateRun, withBoard } from '../src/calibrate/board-fit.js';

export function benchSimulator(): string[] {
const net = getNetwork('resnet18');
const cfg = getPreset('bitfusion-8x8')!;
const precisions: Precision[] = [{ a: 8, w: 8 }, { a: 8, w: 4 }, { a: 4, w: 4 }];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const lines: string[] = [
  '## Simulator',
  '',
  '## One ResNet-18 simulation per precision (bitfusion-8x8, batch 1)',
  '',
  'Warm = median of 7 runs, each with the mapping cache cleared (the full search every time).',
  '',
  '| precision | model | cold ms | warm ms | total cycles |',
  '|---|---|---:|---:|---:|',
];
for (const p of precisions) {
  const plan = planPrecisions(net, { uniform: p });
  const cycle = () => simulateNetwork(net, cfg, { batch: 1, precisionOf: plan.of, precisionLabel: plan.label });
  const ref = () => simulateRef(net, cfg, { batch: 1, precisionOf: plan.of });
  for (const [name, fn] of [['cycle', cycle], ['bitfusion-ref', ref]] as const) {
    clearLayerCache();
    const cold = time(fn);
    const warm = median(Array.from({ length: 7 }, () => { clearLayerCache(); return time(fn); }));
    lines.push(`| ${precisionLabel(p)} | ${name} | ${cold.toFixed(1)} | ${warm.toFixed(1)} | ${fn().totalCycles.toLocaleString('en-US')} |`);
    process.stderr.write(`resnet18 ${precisionLabel(p)} ${name}: cold ${cold.toFixed(1)} ms, warm ${warm.toFixed(1)} ms\n`);
  }
}

// Calibration: measurements made on a board 25% slower in compute with 2,000 cycles per layer, fitted back.
const board = withBoard(cfg, [0.8, 1, 2000, 0, 0]);
const runs = precisions.map((p, i) => {
  const m = { line: i + 2, network: 'resnet18', net, precision: precisionLabel(p), batch: 1 };
  return { ...m, latencyMs: simulateRun(m, board).latencyMs };
});
clearLayerCache();
let fitted: ReturnType<typeof calibrate> | undefined;
const calibrateMs = time(() => (fitted = calibrate(cfg, runs)));
process.stderr.write(`calibrate: 3 measurements in ${(calibrateMs / 1000).toFixed(2)} s\n`);
lines.push(
  '',
  '## Calibration',
  '',
  `\`hwq calibrate\`'s fit (with leave-one-out) on resnet18 at ${precisions.map(precisionLabel).join(', ')} on bitfusion-8x8, cold layer cache: `
    + `**${(calibrateMs / 1000).toFixed(2)} s** for ${fitted!.evaluations} model evaluations (goal: 5 s).`,
);

const arrays: Array<[number, number]> = [];
for (let rows = 1; rows <= 25; rows++) for (let cols = 4; cols <= 40; cols += 4) arrays.push([rows, cols]);
const sweepPrecisions: Precision[] = [{ a: 8, w: 8 }, { a: 8, w: 4 }, { a: 4, w: 4 }, { a: 2, w: 2 }];
clearLayerCache();
const t0 = performance.now();
const points = runSweep(
  { networks: [net], configs: [cfg], arrays, precisions: sweepPrecisions, batch: 1, base: {} },
  (n, c, popts) => { const plan = planPrecisions(n, popts); return simulateNetwork(n, c, { batch: 1, precisionOf: plan.of, precisionLabel: plan.label }); },
);
const sweepS = (performance.now() - t0) / 1000;
process.stderr.write(`sweep: ${points.length} points in ${sweepS.toFixed(1)} s\n`);
lines.push(
  '',
  '## 1,000-point sweep',
  '',
  `resnet18 x ${sweepPrecisions.map(precisionLabel).join(', ')} x ${arrays.length} array sizes (1..25 rows x 4..40 columns) on the bitfusion-8x8 buffers: `
    + `**${points.length} points in ${sweepS.toFixed(1)} s** (${((sweepS * 1000) / points.length).toFixed(1)} ms per point, goal: 60 s).`,
  '',
  'For scale (figures from design/bitfusion-reference.md): the published Bit Fusion simulator takes 3-6 s per ResNet-18 precision on this machine and SCALE-Sim v2 about 1,000 s.',
  '',
);
return lines;
}
