// The Markdown of reports/simulator/bitfusion-ref.md (written by scripts/make-reports.ts): the `bitfusion-ref`
// model's ResNet-18 figures beside the ones the published Bit Fusion simulator gives (from
// /work/shared/design/bitfusion-reference.md), and how long the model takes. The published figures below are
// the comparison target, not inputs to the model.
import { computeLayers, type Network, type Precision } from '../src/model/ir.js';
import { getNetwork } from '../src/model/zoo.js';
import { getPreset } from '../hw/presets.js';
import type { HwConfig } from '../hw/config.js';
import type { NetworkSimResult } from '../sim/types.js';
import { simulateRef } from '../sim/ref/bitfusion-ref.js';

/** Published per-layer cycles (and stall cycles) for torchvision ResNet-18, batch 1, a8w8, 8x8 config. */
export const PUBLISHED_A8W8: Readonly<Record<string, { cycles: number; stalls: number }>> = (() => {
  const t: Record<string, { cycles: number; stalls: number }> = {};
  const set = (names: string[], cycles: number, stalls: number): void => {
    for (const n of names) t[n] = { cycles, stalls };
  };
  set(['conv1'], 1_907_365, 677);
  set(['layer1.0.conv1', 'layer1.0.conv2', 'layer1.1.conv1', 'layer1.1.conv2'], 1_808_924, 2_588);
  set(['layer2.0.conv1'], 907_966, 4_798);
  set(['layer2.0.conv2', 'layer2.1.conv1', 'layer2.1.conv2'], 1_807_102, 766);
  set(['layer2.0.downsample'], 101_040, 688);
  set(['layer3.0.conv1'], 904_016, 848);
  set(['layer3.0.conv2', 'layer3.1.conv1', 'layer3.1.conv2'], 1_807_184, 848);
  set(['layer3.0.downsample'], 103_016, 2_664);
  set(['layer4.0.conv1'], 903_901, 733);
  set(['layer4.0.conv2', 'layer4.1.conv1', 'layer4.1.conv2'], 1_806_838, 502);
  set(['layer4.0.downsample'], 109_021, 8_669);
  set(['fc'], 32_532, 24_532);
  return t;
})();

/** Published ResNet-18 totals. `edges8` keeps the first and last layer at a8w8 (published to 0.01 M). */
export const PUBLISHED_TOTALS = {
  a8w8: { cycles: 28_467_925, stalls: 60_309 },
  a8w4: { cycles: 14_308_533 },
  a4w4: { cycles: 7_207_979, conv1: 502_611, fc: 16_516 },
  edges8: { a8w4: 15.23e6, a4w4: 8.63e6 },
} as const;

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const millions = (n: number): string => (n / 1e6).toFixed(2);

/** Compares with a figure published to 0.01 M. */
function diffMillions(ours: number, published: number): string {
  return millions(ours) === millions(published) ? 'equal at 0.01 M' : diff(ours, published);
}

function diff(ours: number, published: number): string {
  const d = ours - published;
  if (d === 0) return '0';
  return `${d > 0 ? '+' : ''}${fmt(d)} (${((100 * d) / published).toFixed(2)}%)`;
}

/** Uniform precision, or `edge` for the first and last compute layers and `rest` elsewhere. */
function run(net: Network, cfg: HwConfig, rest: Precision, edge: Precision = rest): NetworkSimResult {
  const last = computeLayers(net).length - 1;
  return simulateRef(net, cfg, { batch: 1, precisionOf: (_l, i) => (i === 0 || i === last ? edge : rest) });
}

export interface TimingSample {
  label: string;
  /** Median wall time of one whole-network simulation in ms (each run searches from scratch). */
  medianMs: number;
  /** The first run in the process, before the JIT has warmed up. */
  firstMs: number;
}

/** Wall time of simulateRef on one network; every call starts with an empty shape memo. */
export function timeRef(net: Network, cfg: HwConfig, p: Precision, batch: number, runs = 9): TimingSample {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    simulateRef(net, cfg, { batch, precisionOf: () => p });
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { label: `${net.name} a${p.a}w${p.w} batch ${batch}`, medianMs: sorted[Math.floor(runs / 2)], firstMs: times[0] };
}

export interface RefReportOptions {
  /** Include measured run times (they vary between machines and runs). */
  timing: boolean;
}

export function refReportMarkdown(opts: RefReportOptions = { timing: true }): string {
  const cfg = getPreset('bitfusion-8x8');
  if (!cfg) throw new Error("hardware preset 'bitfusion-8x8' is missing");
  const net = getNetwork('resnet18');
  // Timed first, so the first-run figure really is the cold one.
  const timings = opts.timing
    ? [
        timeRef(net, cfg, { a: 8, w: 8 }, 1),
        timeRef(net, cfg, { a: 4, w: 4 }, 1),
        timeRef(net, cfg, { a: 2, w: 2 }, 1),
        timeRef(net, cfg, { a: 8, w: 8 }, 16),
      ]
    : [];
  const r88 = run(net, cfg, { a: 8, w: 8 });
  const r84 = run(net, cfg, { a: 8, w: 4 });
  const r44 = run(net, cfg, { a: 4, w: 4 });
  const e84 = run(net, cfg, { a: 8, w: 4 }, { a: 8, w: 8 });
  const e44 = run(net, cfg, { a: 4, w: 4 }, { a: 8, w: 8 });
  const layer = (r: NetworkSimResult, name: string) => r.layers.find((l) => l.name === name);

  const L: string[] = [];
  L.push('# `--model bitfusion-ref`: the published Bit Fusion simulator, reproduced');
  L.push('');
  L.push('Generated by `npm run reports` (code: `scripts/bitfusion-ref-report.ts`). Model: `sim/ref/bitfusion-ref.ts`');
  L.push('(IR to problems, results) and `sim/ref/tiling.ts` (the mapping search).');
  L.push('');
  L.push('## What is reproduced');
  L.push('');
  L.push('The analytic model of the Bit Fusion authors\' public simulator (hsharma35/bitfusion: `simulator.py`,');
  L.push('`optimizer.py`, `accelerator.py`, `stats.py`), rewritten in TypeScript over the project IR:');
  L.push('');
  L.push('- Each conv (per group), fully connected layer (a 1x1 conv on a 1x1 map) and matmul (its m rows are the');
  L.push('  batch of a 1x1 conv, repeated per step) is searched over every order of the five tile loops B, OW, OH,');
  L.push('  IC, OC and power-of-two tiles (tile OW = tile OH; OC in whole array columns except under im2col; the');
  L.push('  kernel window is never tiled). A tile must fit half of each buffer, sized with the layer\'s real widths');
  L.push('  (activations a bits, weights w bits padded to whole array passes of the reduction, outputs 32 bits padded');
  L.push('  to whole array columns).');
  L.push('- Compute cycles per tile: `b*ceil(oc/M)*ow*oh*kh*kw*ceil(ic/(N*perf))`, or with im2col');
  L.push('  `b*oh*ow*ceil(oc/M)*ceil(kh*kw*ic/(N*perf))`; `perf = floor(8/a)*floor(8/w)` with a, w raised to 2.');
  L.push('  im2col applies to the conv that reads the network input, which is what the published code keys on');
  L.push('  (`op.data.op is None`: the conv\'s data tensor has no producing op).');
  L.push('- DRAM traffic per operand: walking the loops from the innermost out, a loop that indexes the operand');
  L.push('  multiplies its traffic; while the grown footprint still fits half the buffer the operand is reused across');
  L.push('  loops that do not index it; once it overflows every further loop refetches it. Outputs are charged in both');
  L.push('  directions (written out and read back as partial sums) with the same rule, as the published code does.');
  L.push('- `stalls = max(0, ceil(middle bits / 128) - compute) + ceil(first load / 128) + ceil(last store / 128)`,');
  L.push('  where the first load / last store are the largest footprints that fit and `middle` is everything else.');
  L.push('- The mapping with the fewest cycles wins; energy breaks ties. The published simulator breaks ties with');
  L.push('  CACTI SRAM energies; this model uses the config\'s per-access energies (`cfg.energy`), so among mappings');
  L.push('  of equal cycles it may pick a different tiling. That changes traffic and energy fields, never cycles.');
  L.push('- Pooling and elementwise layers cost nothing in this model and are left out of `layers`.');
  L.push('- Energy fields: compute = compute cycles x all BitBricks of the array x `bitBrickPJ` (the published model');
  L.push('  also charges core energy per busy cycle); buffers = bytes filled from DRAM plus bytes the array reads and');
  L.push('  writes under the cheapest stationarity (input-, output- or weight-stationary, as the published model');
  L.push('  picks it per tile); DRAM = bytes moved; static = `staticPJPerCycle` x total cycles.');
  L.push('');
  L.push('Search cost: tile-level facts (fit, compute cycles, buffer accesses) are computed once per tiling; loops');
  L.push('with one trip are dropped before the orders are enumerated (they change nothing, so at batch 1 at most');
  L.push('24 of the 120 orders are distinct); tilings are visited cheapest-compute first and skipped when their');
  L.push('compute plus one tile\'s load and store already exceeds the best total; identical layer shapes are');
  L.push('searched once per network.');
  L.push('');
  L.push('## ResNet-18 totals (torchvision, batch 1, `bitfusion-8x8`: 8x8 units, 500 MHz, 128 bits/cycle, IBUF 64 KB, WBUF 256 KB, OBUF 16 KB)');
  L.push('');
  L.push('| precision | cycles (this model) | published | difference | stall cycles | latency ms |');
  L.push('|---|---:|---:|---:|---:|---:|');
  L.push(`| a8w8 | ${fmt(r88.totalCycles)} | ${fmt(PUBLISHED_TOTALS.a8w8.cycles)} | ${diff(r88.totalCycles, PUBLISHED_TOTALS.a8w8.cycles)} | ${fmt(r88.stallCycles)} (published ${fmt(PUBLISHED_TOTALS.a8w8.stalls)}) | ${r88.latencyMs.toFixed(2)} |`);
  L.push(`| a8w4 | ${fmt(r84.totalCycles)} | ${fmt(PUBLISHED_TOTALS.a8w4.cycles)} | ${diff(r84.totalCycles, PUBLISHED_TOTALS.a8w4.cycles)} | ${fmt(r84.stallCycles)} | ${r84.latencyMs.toFixed(2)} |`);
  L.push(`| a4w4 | ${fmt(r44.totalCycles)} | ${fmt(PUBLISHED_TOTALS.a4w4.cycles)} | ${diff(r44.totalCycles, PUBLISHED_TOTALS.a4w4.cycles)} | ${fmt(r44.stallCycles)} | ${r44.latencyMs.toFixed(2)} |`);
  L.push(`| a8w4, first/last a8w8 | ${fmt(e84.totalCycles)} | ${millions(PUBLISHED_TOTALS.edges8.a8w4)} M | ${diffMillions(e84.totalCycles, PUBLISHED_TOTALS.edges8.a8w4)} | ${fmt(e84.stallCycles)} | ${e84.latencyMs.toFixed(2)} |`);
  L.push(`| a4w4, first/last a8w8 | ${fmt(e44.totalCycles)} | ${millions(PUBLISHED_TOTALS.edges8.a4w4)} M | ${diffMillions(e44.totalCycles, PUBLISHED_TOTALS.edges8.a4w4)} | ${fmt(e44.stallCycles)} | ${e44.latencyMs.toFixed(2)} |`);
  L.push('');
  const c44 = layer(r44, 'conv1');
  const f44 = layer(r44, 'fc');
  L.push(`At a4w4: conv1 ${fmt(c44?.totalCycles ?? NaN)} cycles (published ${fmt(PUBLISHED_TOTALS.a4w4.conv1)}), fc ${fmt(f44?.totalCycles ?? NaN)} (published ${fmt(PUBLISHED_TOTALS.a4w4.fc)}).`);
  L.push('');
  L.push('## Per layer, a8w8');
  L.push('');
  L.push('| layer | compute | stalls | total | published total (stalls) | difference | mapping (loops outer>inner with >1 trip) |');
  L.push('|---|---:|---:|---:|---:|---:|---|');
  let exact = 0;
  for (const l of r88.layers) {
    const pub = PUBLISHED_A8W8[l.name];
    if (pub && pub.cycles === l.totalCycles && pub.stalls === l.stallCycles) exact++;
    const pubCell = pub ? `${fmt(pub.cycles)} (${fmt(pub.stalls)})` : 'n/a';
    const diffCell = pub ? diff(l.totalCycles, pub.cycles) : 'n/a';
    L.push(`| ${l.name} | ${fmt(l.computeCycles)} | ${fmt(l.stallCycles)} | ${fmt(l.totalCycles)} | ${pubCell} | ${diffCell} | ${l.mapping} |`);
  }
  L.push('');
  L.push(`${exact} of ${r88.layers.length} layers match the published total and stall cycles exactly.`);
  L.push('');
  L.push('## Per layer, a4w4 (published gives conv1 and fc only)');
  L.push('');
  L.push('| layer | compute | stalls | total | utilization | DRAM bytes | mapping |');
  L.push('|---|---:|---:|---:|---:|---:|---|');
  for (const l of r44.layers) {
    const d = l.dram.input + l.dram.weight + l.dram.outputRead + l.dram.outputWrite;
    L.push(`| ${l.name} | ${fmt(l.computeCycles)} | ${fmt(l.stallCycles)} | ${fmt(l.totalCycles)} | ${(100 * l.utilization).toFixed(1)}% | ${fmt(d)} | ${l.mapping} |`);
  }
  L.push('');
  L.push('## Where differences remain');
  L.push('');
  const allExact = exact === r88.layers.length
    && r88.totalCycles === PUBLISHED_TOTALS.a8w8.cycles && r84.totalCycles === PUBLISHED_TOTALS.a8w4.cycles
    && r44.totalCycles === PUBLISHED_TOTALS.a4w4.cycles;
  if (allExact) {
    L.push('None in cycles: every layer and every total above equals the published figure. What can differ is the');
  } else {
    L.push('Cycle differences are listed in the tables above. Besides cycles, what can differ is the');
  }
  L.push('choice among mappings of equal cycles (tie-break energies: `cfg.energy` here, CACTI there), which moves');
  L.push('the reported DRAM/buffer bytes and energy but not the cycles; the published simulator\'s energies are not');
  L.push('in the reference figures, so they are not compared. The published model\'s simplifications are kept on');
  L.push('purpose (no array fill/drain, outputs charged twice in DRAM, perfect overlap of the middle traffic, 128');
  L.push('bits per cycle; other configs use `bitsPerCycle x efficiency`). The project\'s cycle model');
  L.push('(`simulator: \'cycle\'`) is where fill/drain and real overlap are modelled.');
  L.push('');
  L.push('The ResNet-18 that ships in the published `benchmarks.py` is not torchvision\'s (its blocks use a 1x1 then');
  L.push('a 3x3 conv, batch 16, TWN precisions); the reference figures compared here are for torchvision ResNet-18');
  L.push('at batch 1, which is what `getNetwork(\'resnet18\')` builds. The same model runs the zoo\'s `bf-*`');
  L.push('networks and any imported ONNX network.');
  L.push('');
  L.push('`test/sim/bitfusion-ref.test.ts` pins the three totals, the first/last-layer variants and per-layer figures');
  L.push('exactly, and checks the pruned search against a literal brute force (every tile, all 120 orders) on 150');
  L.push('random small layers with small buffers.');
  L.push('');
  if (timings.length) {
    L.push('## Run time');
    L.push('');
    L.push('Whole network, one `simulateRef` call (the search starts from scratch every call), on this machine');
    L.push('(2 cores, Node ' + process.version + '):');
    L.push('');
    L.push('| run | median ms (9 runs) | first run ms |');
    L.push('|---|---:|---:|');
    for (const t of timings) L.push(`| ${t.label} | ${t.medianMs.toFixed(1)} | ${t.firstMs.toFixed(1)} |`);
    L.push('');
  }
  return L.join('\n');
}
