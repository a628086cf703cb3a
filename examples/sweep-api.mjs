// @ts-check
// hwq from your own code: ResNet-18 at a8w8 and a4w4 on two hardware presets, printed as a table.
// Run it after `npm run build` with `node examples/sweep-api.mjs` (in your project, `import ... from 'hwq'` the same way).
import { getNetwork, loadConfig, runSimulation, runSweep } from 'hwq';

const spec = {
  networks: [getNetwork('resnet18')],
  configs: ['vc709', 'bitfusion-asic'].map(loadConfig),
  arrays: [], // each config's own array size
  precisions: [{ a: 8, w: 8 }, { a: 4, w: 4 }],
  batch: 1,
  base: {}, // no --first-last, no per-layer overrides
};
const points = runSweep(spec, (net, cfg, precisions) => runSimulation(net, cfg, 'cycle', spec.batch, precisions));

const rows = [
  ['config', 'precision', 'cycles', 'latency ms', 'speedup', 'energy uJ'],
  ...points.map((p) => [p.config, p.precision, p.totalCycles.toLocaleString('en-US'), p.latencyMs.toFixed(3), `${p.speedup.toFixed(2)}x`, p.energyUJ.toFixed(1)]),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
