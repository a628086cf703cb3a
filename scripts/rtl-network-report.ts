// Writes reports/rtl/network.md: ResNet-20 quantized at a4w4 (`hwq quantize`, tflite, 64 calibration images)
// through the whole generated core under Verilator on CIFAR-10 test images (rtl/network.ts): whether every layer
// and the logits equal the network executor's, the top-1 beside onnxruntime's run of the QDQ model, and per
// layer the core's cycles beside the cycle simulator's on the same config. The integer executor against the QDQ
// model is measured on more images (it is fast).
// Usage: node dist/scripts/rtl-network-report.js [--images N] [--compare M] [--config vc709] [--shared DIR]
// (N images through the core, the first of each class in turn; M images per class for the executor comparison)
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../hw/presets.js';
import { generateRtl } from '../rtl/generate.js';
import { type RtlLayerRun, runNetworkOnRtl } from '../rtl/network.js';
import { hasTool } from '../rtl/sim.js';
import { layerSimCycles } from '../src/cli/commands/rtl.js';
import { runCli } from '../src/cli/run.js';
import { readImageFile } from '../src/data/image.js';
import { PRESETS, preprocess } from '../src/data/preprocess.js';
import { loadHwq } from '../src/intmodel/format.js';
import { runNetwork, top1 } from '../src/intmodel/run-network.js';
import { openModel } from '../src/onnx/run.js';
import { writeFilesAtomic } from '../src/fsutil.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const nImages = Number(arg('images', '2'));
const perClass = Number(arg('compare', '10'));
const configName = arg('config', 'vc709');
const shared = arg('shared', join(process.cwd(), '..', 'shared'));
const onnx = join(shared, 'models', 'cifar10-resnet20.onnx');
const testRoot = join(shared, 'data', 'cifar10', 'test');

/** Images taken class by class: the i-th image of every class before the (i+1)-th of any. */
function images(count: number): { path: string; label: number; name: string }[] {
  const classes = readdirSync(testRoot).sort();
  const files = classes.map((c) => readdirSync(join(testRoot, c)).sort());
  const out: { path: string; label: number; name: string }[] = [];
  for (let i = 0; out.length < count; i++) for (let c = 0; c < classes.length && out.length < count; c++) {
    out.push({ path: join(testRoot, classes[c], files[c][i]), label: c, name: `${classes[c]}/${files[c][i]}` });
  }
  return out;
}

const LAYER_COLUMNS = ['layer', 'tiles', 'output passes', 'core cycles', 'layer model', 'of which tiles', 'of which output passes', 'sim compute',
  'sim total', 'core / sim compute', 'tiles / sim compute'];

async function main(): Promise<void> {
  if (!hasTool('verilator')) throw new Error('needs verilator on PATH');
  const dir = mkdtempSync(join(tmpdir(), 'hwq-rtl-network-'));
  const qdqPath = join(dir, 'r20.onnx');
  const hwqPath = join(dir, 'r20.hwq');
  const code = await runCli(['quantize', onnx, '--a4w4', '--calib', join(shared, 'data', 'cifar10', 'calib'), '--calib-size', '64',
    '--out', qdqPath, '--hwq', hwqPath, '--sqnr-images', '0', '--no-progress', '--workers', '0']);
  if (code !== 0) throw new Error(`hwq quantize exited ${code}`);
  const model = loadHwq(hwqPath);
  const ort = await openModel(readFileSync(qdqPath));
  const qdqTop1 = async (x: Float32Array): Promise<number> => top1((await ort.run({ [ort.inputNames[0]]: { dims: [1, 3, 32, 32], data: x } }))
    .get(ort.outputNames[0])!.data as Float32Array);

  // The integer executor against the QDQ model.
  const many = images(10 * perClass);
  let agree = 0, rightInt = 0, rightQdq = 0;
  for (const im of many) {
    const x = preprocess(readImageFile(im.path), PRESETS.cifar10);
    const a = top1(runNetwork(model, x, hwqPath).logits);
    const b = await qdqTop1(x);
    agree += a === b ? 1 : 0;
    rightInt += a === im.label ? 1 : 0;
    rightQdq += b === im.label ? 1 : 0;
  }

  // The core.
  const cfg = loadConfig(configName);
  const design = generateRtl(cfg);
  const rows: string[] = [];
  let layers: RtlLayerRun[] = [];
  const started = Date.now();
  for (const im of images(nImages)) {
    const x = preprocess(readImageFile(im.path), PRESETS.cifar10);
    const r = runNetworkOnRtl(model, x, cfg, design, hwqPath, layerSimCycles(cfg));
    const q = await qdqTop1(x);
    const t = top1(r.rtl.logits);
    const same = r.layers.filter((l) => l.equal).length;
    rows.push(`| ${im.name} | ${im.label} | ${r.logitsEqual ? 'yes' : 'no'} | ${same} of ${r.layers.length} | ${t} | ${q} | ${t === q ? 'yes' : 'no'} |`);
    layers = r.layers;
    process.stderr.write(`${im.name}: logits equal ${r.logitsEqual}, ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
  await ort.release();
  const seconds = Math.round((Date.now() - started) / 1000);
  const sum = (f: (l: RtlLayerRun) => number) => layers.reduce((s, l) => s + f(l), 0);
  const layerRows = layers.map((l) => `| ${l.name} | ${l.tiles} | ${l.passes} | ${l.rtlCycles} | ${l.modelCycles} | ${l.tileCycles} | `
    + `${l.passCycles} | ${l.simComputeCycles} | ${l.simTotalCycles} | ${(l.rtlCycles / l.simComputeCycles).toFixed(2)} | `
    + `${(l.tileCycles / l.simComputeCycles).toFixed(2)} |`);
  const simCompute = sum((l) => l.simComputeCycles);
  const tilesOverSim = `${((100 * sum((l) => l.tileCycles)) / simCompute).toFixed(1)}%`;
  const passesOverSim = `${((100 * sum((l) => l.passCycles)) / simCompute).toFixed(1)}%`;
  const md = `# ResNet-20 a4w4 through the generated core

Generated by \`node dist/scripts/rtl-network-report.js --images ${nImages} --compare ${perClass} --config ${configName}\`
(scripts/rtl-network-report.ts; needs verilator and ../shared). ResNet-20 (\`cifar10-resnet20.onnx\`) quantized by
\`hwq quantize --a4w4\` (tflite weights and activations, first and last layer 8 bits, 64 calibration images); the
QDQ model and the .hwq come from the same run.

## The network on the core

Each image runs through the whole network on \`bitfusion_layer\` (config \`${configName}\`, ${cfg.rows}x${cfg.cols} array)
under Verilator, layer after layer, each layer fed the codes the core wrote for the previous one (rtl/network.ts lists
what the host does between layers: im2col, the residual operand's rescaling and option-A layout, the average pool,
the input quantization, reading the fc's accumulators back). "layers equal" counts the layers whose output (codes,
or the fc's int32 accumulators) equals the network executor's (src/intmodel/run-network.ts) bit for bit, with every
tile's OBUF writes and every output word at the cycle the models say. ${nImages} images took ${seconds} s.

| image | label | logits equal | layers equal | top-1 (core) | top-1 (QDQ, onnxruntime) | top-1 equal |
|---|---|---|---|---|---|---|
${rows.join('\n')}

## Per layer cycles

Core cycles: the sum over the layer's tiles and output passes of the cycles from each one's start to its done pulse,
as Verilator ran them (equal to the layer compiler's model, rtl/layer.ts, in the next column); host transfers (table
loads, operand writes, read-backs) are excluded. Simulator: \`hwq sim\`'s cycle-accurate model (sim/simulate.ts,
simulateLayer) for the layer at its precision on the same config, batch 1: its compute cycles and its total with the
DRAM stalls it models. The cycles do not depend on the image.

| ${LAYER_COLUMNS.join(' | ')} |
|${LAYER_COLUMNS.map(() => '---').join('|')}|
${layerRows.join('\n')}
| all | ${sum((l) => l.tiles)} | ${sum((l) => l.passes)} | ${sum((l) => l.rtlCycles)} | ${sum((l) => l.modelCycles)} | ${sum((l) => l.tileCycles)} | `
    + `${sum((l) => l.passCycles)} | ${sum((l) => l.simComputeCycles)} | ${sum((l) => l.simTotalCycles)} | `
    + `${(sum((l) => l.rtlCycles) / sum((l) => l.simComputeCycles)).toFixed(2)} | ${(sum((l) => l.tileCycles) / sum((l) => l.simComputeCycles)).toFixed(2)} |

Why the core takes more cycles than the simulator says (over the whole network the tiles take ${tilesOverSim} of the
simulator's compute cycles, the output passes ${passesOverSim} more):
- output passes: the core requantizes, adds the residual and packs the codes in a pass over each chunk of output
  pixels after the chunk's tiles, about a cycle per output value ("of which output passes"); the simulator has no
  such stage in its compute cycles. This is the difference;
- mapping: the tiles alone are within a few percent of the simulator's compute cycles ("tiles / sim compute"): the
  layer compiler's chunks of output pixels and column tiles pay the array's fill and drain per tile, where the
  simulator's tiles are its own choice;
- DRAM: the core run takes its operands from the host between steps and that time is not counted, so it has no
  DRAM stalls; the simulator's total adds the stalls it models (its compute cycles are the comparison that fits).

## The integer executor against the QDQ model

On ${many.length} images (${perClass} per class, the first in name order): top-1 agrees on ${agree}; right: integer
executor ${rightInt}, QDQ model ${rightQdq}. The two differ by construction (src/intmodel/run-network.ts): the QDQ graph
quantizes only the inputs of compute layers, so its residual path (the shortcut, the Add, the pool) carries float
values, where the integer model carries 4-bit codes and requantizes with TF-Lite's double rounding; at 4 bits these
roundings move the logits by more than the margins between classes on some images. This is the QDQ model's default
form (\`hwq quantize --qdq-form layers\`); reports/rtl/integer-vs-qdq.md measures the forms that quantize where the
integer model holds codes, of which \`fixed-point\` agrees on every image.
`;
  writeFilesAtomic({ [join('reports', 'rtl', 'network.md')]: md });
  process.stdout.write(`wrote reports/rtl/network.md (${nImages} images on the core in ${seconds} s)\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
