// Writes reports/rtl/network.md: ResNet-20 quantized at several precisions (`hwq quantize`, tflite, 64 calibration
// images) through the whole generated core under Verilator on CIFAR-10 test images (rtl/network.ts, one 'rtl-image'
// job per image on the local thread pool): whether every layer and the logits equal the network executor's, the
// top-1 beside onnxruntime's run of the QDQ model, and per layer the core's cycles beside the cycle simulator's on
// the same config. The integer executor against the QDQ model is measured on more images (it is fast).
// Usage: node dist/scripts/rtl-network-report.js [--images N] [--compare M] [--config vc709] [--shared DIR]
//   [--models r20:a4w4,r20:a8w8:20,r20:mixed,...] [--qdq-form fixed-point] [--jobs T]
// (N images through the core per model, the first of each class in turn; M images per class for the executor
// comparison; a model is NET:PRECISION[:IMAGES] with NET r20 or r32, PRECISION aAwW or mixed (ResNet-20's co-design
// point p6, scripts/mixes.ts), IMAGES overriding N for that model; the QDQ model is written in the given form)
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../hw/presets.js';
import { generateRtl, sourcesOf } from '../rtl/generate.js';
import { LAYER_VLT, layerTop } from '../rtl/layer-fast.js';
import type { RtlLayerRun } from '../rtl/network.js';
import { hasTool } from '../rtl/sim.js';
import { buildEventModel } from '../rtl/sim-events.js';
import { openDataSet } from '../src/data/dataset.js';
import { readImageFile } from '../src/data/image.js';
import { PRESETS, preprocess } from '../src/data/preprocess.js';
import { samplesHash } from '../src/data/samples-hash.js';
import { loadHwq } from '../src/intmodel/format.js';
import { runNetwork, top1 } from '../src/intmodel/run-network.js';
import { executeJobs } from '../src/jobs/execute.js';
import { fileRef, makeJob } from '../src/jobs/job.js';
import { type ImageRun, RTL_IMAGE, type RtlImageSpec, designHash, simTiling } from '../src/jobs/kinds/rtl-image.js';
import { openModel } from '../src/onnx/run.js';
import { QDQ_FORMS } from '../src/quant/qdq.js';
import { quantizeReportModel } from './mixes.js';
import { type NetProgram, compileNetwork } from '../rtl/net-program.js';
import { runProgram, tensorCodes } from '../rtl/net-exec.js';
import { rtlParams } from '../rtl/params.js';
import { encodeProgram } from '../rtl/isa.js';
import { layerTiming } from '../sim/simulate.js';
import type { HwConfig } from '../hw/config.js';
import type { HwqModel } from '../src/intmodel/format.js';
import { writeFilesAtomic } from '../src/fsutil.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const nImages = Number(arg('images', '100'));
const perClass = Number(arg('compare', '10'));
const configName = arg('config', 'vc709');
const shared = arg('shared', join(process.cwd(), '..', 'shared'));
const models = arg('models', 'r20:a4w4,r20:a8w8').split(',');
const threads = Number(arg('jobs', String(availableParallelism())));
const qdqForm = arg('qdq-form', 'fixed-point');
if (!(QDQ_FORMS as readonly string[]).includes(qdqForm)) throw new Error(`--qdq-form: '${qdqForm}' is not one of ${QDQ_FORMS.join(', ')}`);
const testRoot = join(shared, 'data', 'cifar10', 'test');

/** Indices into the test set's samples (class folders in name order), the i-th image of every class before the (i+1)-th of any. */
function interleaved(samples: { label: number }[], count: number): number[] {
  const byClass = new Map<number, number[]>();
  samples.forEach((s, i) => byClass.set(s.label, [...(byClass.get(s.label) ?? []), i]));
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 0; out.length < count; i++) for (const c of classes) if (out.length < count && byClass.get(c)![i] !== undefined) out.push(byClass.get(c)![i]);
  return out;
}

const LAYER_COLUMNS = ['layer', 'tiles', 'output passes', 'core cycles', 'layer model', 'of which tiles', 'of which output passes', 'sim compute',
  'sim total', 'core / sim compute', 'tiles / sim compute'];

interface ModelSection {
  title: string;
  md: string;
}

const sum = (layers: RtlLayerRun[], f: (l: RtlLayerRun) => number) => layers.reduce((t, l) => t + f(l), 0);

function layerTable(layers: RtlLayerRun[]): string {
  const rows = layers.map((l) => `| ${l.name} | ${l.tiles} | ${l.passes} | ${l.rtlCycles} | ${l.modelCycles} | ${l.tileCycles} | `
    + `${l.passCycles} | ${l.simComputeCycles} | ${l.simTotalCycles} | ${(l.rtlCycles / l.simComputeCycles).toFixed(2)} | `
    + `${(l.tileCycles / l.simComputeCycles).toFixed(2)} |`);
  const all = (f: (l: RtlLayerRun) => number) => sum(layers, f);
  return `| ${LAYER_COLUMNS.join(' | ')} |
|${LAYER_COLUMNS.map(() => '---').join('|')}|
${rows.join('\n')}
| all | ${all((l) => l.tiles)} | ${all((l) => l.passes)} | ${all((l) => l.rtlCycles)} | ${all((l) => l.modelCycles)} | ${all((l) => l.tileCycles)} | `
    + `${all((l) => l.passCycles)} | ${all((l) => l.simComputeCycles)} | ${all((l) => l.simTotalCycles)} | `
    + `${(all((l) => l.rtlCycles) / all((l) => l.simComputeCycles)).toFixed(2)} | ${(all((l) => l.tileCycles) / all((l) => l.simComputeCycles)).toFixed(2)} |`;
}

async function runModel(which: string, dir: string, base: Omit<RtlImageSpec, 'model' | 'qdq' | 'data'>, picks: { index: number; name: string; sha: string }[]):
  Promise<ModelSection> {
  const [, precision, count] = which.split(':');
  picks = picks.slice(0, count !== undefined ? Number(count) : nImages);
  const rm = await quantizeReportModel(which, shared, dir, qdqForm);
  const { net, mixed } = rm;
  const hwqPath = rm.hwq;
  const qdqPath = rm.qdq;
  const model = loadHwq(hwqPath);
  const ort = await openModel(readFileSync(qdqPath));
  const qdqTop1 = async (x: Float32Array): Promise<number> => top1((await ort.run({ [ort.inputNames[0]]: { dims: [1, 3, 32, 32], data: x } }))
    .get(ort.outputNames[0])!.data as Float32Array);

  // The integer executor against the QDQ model, and the network program (rtl/net-program.ts) run word by word
  // against the integer executor: every tensor it leaves in memory and the logits.
  const p = rtlParams(base.config);
  const tp = performance.now();
  const program = compileNetwork(model, base.config, p, hwqPath, simTiling(base.config));
  const programCompile = (performance.now() - tp) / 1000;
  let programEqual = 0, programSeconds = 0;
  const classes = readdirSync(testRoot).sort();
  let agree = 0, rightInt = 0, rightQdq = 0, compared = 0;
  for (const [c, cls] of classes.entries()) for (const f of readdirSync(join(testRoot, cls)).sort().slice(0, perClass)) {
    const x = preprocess(readImageFile(join(testRoot, cls, f)), PRESETS.cifar10);
    const ref = runNetwork(model, x, hwqPath);
    const a = top1(ref.logits);
    const t0 = performance.now();
    const run = runProgram(program, p, x);
    programSeconds += (performance.now() - t0) / 1000;
    const same = run.accumulators.every((v, i) => v === ref.accumulators[i]) && [...ref.tensors].every(([name, t]) => program.tensors.get(name)!.copies
      .every((cp) => tensorCodes(run.memory, cp).every((v, i) => v === t.codes[i])));
    programEqual += same ? 1 : 0;
    const b = await qdqTop1(x);
    agree += a === b ? 1 : 0;
    rightInt += a === c ? 1 : 0;
    rightQdq += b === c ? 1 : 0;
    compared++;
  }
  await ort.release();

  // The core: one job per image.
  const jobs = picks.map((p) => makeJob<RtlImageSpec>(RTL_IMAGE, {
    ...base, model: fileRef(hwqPath), qdq: fileRef(qdqPath), data: { dataset: resolve(testRoot), open: {}, from: p.index, to: p.index + 1, sha256: p.sha },
  }));
  const load = loadavg()[0];
  const t0 = performance.now();
  let last = t0;
  const { results } = await executeJobs(jobs, {
    threads, label: (i) => picks[i].name,
    onProgress: (done, total) => {
      if (performance.now() - last > 20000 || done === total) {
        last = performance.now();
        process.stderr.write(`${which}: ${done} of ${total} images, ${Math.round((last - t0) / 1000)} s\n`);
      }
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const runs = results.flatMap((r) => r as ImageRun[]);
  const rows = runs.map((r, i) => {
    const same = r.layers.filter((l) => l.equal).length;
    return `| ${picks[i].name} | ${r.label} | ${r.logitsEqual ? 'yes' : 'no'} | ${same} of ${r.layers.length} | ${r.top1} | ${r.qdqTop1} | `
      + `${r.top1 === r.qdqTop1 ? 'yes' : 'no'} |`;
  });
  const layers = runs[0].layers;
  const sameCycles = runs.every((r) => r.layers.every((l, j) => l.rtlCycles === layers[j].rtlCycles && l.rtlCycles === l.modelCycles));
  const logitsEqual = runs.filter((r) => r.logitsEqual).length;
  const allLayers = runs.filter((r) => r.layers.every((l) => l.equal)).length;
  const coreRight = runs.filter((r) => r.top1 === r.label).length;
  const qdqRight = runs.filter((r) => r.qdqTop1 === r.label).length;
  const top1Agree = runs.filter((r) => r.top1 === r.qdqTop1).length;
  const simCompute = sum(layers, (l) => l.simComputeCycles);
  const cyclesText = sameCycles ? 'equal the layer model\'s and are the same on every image' : '**differ** from the layer model\'s or between images';
  const firstProblem = runs.flatMap((r) => r.layers.flatMap((l) => l.problems.map((x) => `${r.image} ${l.name}: ${x}`)))[0];
  const md = `## ${net.name} ${precision}

\`${rm.command}\`
(tflite weights and activations, ${mixed ? 'the listed precision per compute layer' : 'first and last layer 8 bits'}, 64 calibration images);
the QDQ model and the .hwq come from the same run.

**${runs.length} images through the core in ${seconds.toFixed(0)} s** (${(seconds / runs.length).toFixed(1)} s per image on ${threads} threads, 1-minute
load average ${load.toFixed(1)} at the start): logits equal to the integer model on **${logitsEqual} of ${runs.length}**, every layer equal on
**${allLayers} of ${runs.length}**; every layer's core cycles ${cyclesText}.
${firstProblem ? `First problem: ${firstProblem}\n` : ''}Top-1: the core ${coreRight} right, the QDQ model under onnxruntime ${qdqRight} right,
the same class on ${top1Agree}.
The integer executor against the QDQ model on ${compared} images (${perClass} per class, the first in name order): top-1 agrees on ${agree};
right: integer executor ${rightInt}, QDQ model ${rightQdq}.

**Network program** (rtl/net-program.ts, run word by word by rtl/net-exec.ts): ${program.instrs.length} instructions
(${programCounts(program)}), ${program.words.toLocaleString('en-US')} memory words (${(program.words / 256).toFixed(0)} KiB),
${encodeProgram(program.instrs, p).length.toLocaleString('en-US')} instruction words, compiled in ${programCompile.toFixed(1)} s; on the same ${compared} images
every tensor it leaves in memory and the logits equal the integer executor's on **${programEqual} of ${compared}**
(${(programSeconds / compared).toFixed(2)} s per image). Each layer runs the simulator's tiling (its mapping at the layer's
precision, batch 1); the array tiles' cycles (hw/array-timing.ts, as the core runs them) against the simulator's compute
cycles, and the words each layer moves (32-bit words; the simulator counts bytes of codes):

${programTable(model, base.config, program)}

### Per layer cycles

Over the whole network the tiles take ${((100 * sum(layers, (l) => l.tileCycles)) / simCompute).toFixed(1)}% of the simulator's compute cycles,
the output passes ${((100 * sum(layers, (l) => l.passCycles)) / simCompute).toFixed(1)}% more.

${layerTable(layers)}

### Per image

| image | label | logits equal | layers equal | top-1 (core) | top-1 (QDQ, onnxruntime) | top-1 equal |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
  return { title: `${net.name} ${precision}`, md };
}

/** Per layer of the program: its tiling, array cycles against the simulator's, output passes and traffic. */
function programTable(model: HwqModel, cfg: HwConfig, prog: NetProgram): string {
  const head = ['layer', 'tiling', 'tiles', 'array cycles', 'sim compute', 'equal', 'output pass cycles', 'words in', 'words w', 'words res',
    'words out', 'sim bytes in', 'sim bytes w', 'sim bytes out'];
  const byName = new Map(model.layers.map((l) => [l.header.name, l.header.layer]));
  let equal = 0;
  const rows = prog.layers.map((l) => {
    const ir = byName.get(l.name)!;
    const t = layerTiming(ir, cfg, ir.precision ?? { a: 8, w: 8 }, 1);
    equal += l.tileCycles === t.computeCycles ? 1 : 0;
    const m = l.tiling;
    const tiling = `${m.order.join('>')} oh${m.outRowTile} ow${m.outColTile} oc${m.outChanTile} ic${m.inChanTile}${l.source === 'own' ? ' (own)' : l.why ? ' (widened)' : ''}`;
    return `| ${l.name} | ${tiling} | ${l.tiles} | ${l.tileCycles} | ${t.computeCycles} | ${l.tileCycles === t.computeCycles ? 'yes' : 'no'} | `
      + `${l.passCycles} | ${l.traffic.input} | ${l.traffic.weights} | ${l.traffic.residual} | ${l.traffic.output} | ${t.dram.input} | ${t.dram.weight} | `
      + `${t.dram.outputWrite} |`;
  });
  const notes = prog.layers.filter((l) => l.why).map((l) => `- ${l.name}: ${l.why}`);
  return `| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n${rows.join('\n')}\n\n`
    + `Array cycles equal to the simulator's compute cycles on **${equal} of ${prog.layers.length}** layers.${notes.length ? `\n\n${notes.join('\n')}` : ''}`;
}

/** Instructions of a program by opcode, e.g. '306 tile, 92 output'. */
function programCounts(prog: NetProgram): string {
  const n = new Map<string, number>();
  for (const i of prog.instrs) n.set(i.op, (n.get(i.op) ?? 0) + 1);
  return [...n].map(([op, k]) => `${k} ${op}`).join(', ');
}

async function main(): Promise<void> {
  if (!hasTool('verilator')) throw new Error('needs verilator on PATH');
  const dir = mkdtempSync(join(tmpdir(), 'hwq-rtl-network-'));
  const cfg = loadConfig(configName);
  const design = generateRtl(cfg);
  const tb = performance.now();
  buildEventModel(sourcesOf(design), layerTop(design), LAYER_VLT);
  const buildSeconds = (performance.now() - tb) / 1000;
  const buildText = buildSeconds > 5 ? `built in ${buildSeconds.toFixed(0)} s` : 'taken from the model cache';
  const samples = openDataSet(testRoot, {}).samples;
  const most = Math.max(nImages, ...models.map((m) => Number(m.split(':')[2] ?? 0)));
  const picks = interleaved(samples, most).map((index) => ({
    index, name: samples[index].source.kind === 'file' ? samples[index].source.path.slice(resolve(testRoot).length + 1) : String(index),
    sha: samplesHash([samples[index]]),
  }));
  const base = { config: cfg, design: designHash(design), input: PRESETS.cifar10, sim: 'verilator-events' as const };
  const sections: ModelSection[] = [];
  for (const m of models) sections.push(await runModel(m, dir, base, picks));
  const md = `# Quantized networks through the generated core

Generated by \`node dist/scripts/rtl-network-report.js --images ${nImages} --compare ${perClass} --config ${configName}
--models ${models.join(',')} --qdq-form ${qdqForm} --jobs ${threads}\`
(scripts/rtl-network-report.ts; needs verilator and ../shared). Models: ${sections.map((x) => x.title).join(', ')}.

Each image runs through the whole network on \`bitfusion_layer\` (config \`${configName}\`, ${cfg.rows}x${cfg.cols} array) under Verilator,
layer after layer, each layer fed the codes the core wrote for the previous one (rtl/network.ts lists what the host does
between layers: im2col, the residual operand's rescaling and option-A layout, the average pool, the input quantization,
reading the fc's accumulators back). Each image is one 'rtl-image' job (src/jobs/kinds/rtl-image.ts) on ${threads} worker threads;
the layers run on the event-driven harness (rtl/sim-events.ts, rtl/layer-fast.ts): the host writes each tile's operands
into IBUF and WBUF and reads the accumulators from OBUF directly instead of through the one-word host ports (those are
checked by the layer tests), and every image is checked as checkLayer checks a layer: every tile's and output pass's
start-to-done cycles against the layer compiler's model, every tile's OBUF write strobes against runTile's schedule,
every output word's cycle, address and data against the output-path model, every accumulator against the GEMM, and the
layer's codes (the fc's accumulators) against the network executor's (src/intmodel/run-network.ts), bit for bit. The
optimized Verilator model of \`bitfusion_layer\` was ${buildText} before the runs.

Core cycles: the sum over the layer's tiles and output passes of the cycles from each one's start to its done pulse, as
Verilator ran them (the layer compiler's model, rtl/layer.ts, in the next column); host transfers are excluded.
Simulator: \`hwq sim\`'s cycle-accurate model (sim/simulate.ts, simulateLayer) for the layer at its precision on the same
config, batch 1: its compute cycles and its total with the DRAM stalls it models. Why the core takes more cycles:
- output passes: the core requantizes, adds the residual and packs the codes in a pass over each chunk of output
  pixels after the chunk's tiles, with one lane per array column: a cycle per pixel and group of as many channels as
  columns, plus the 6-cycle pipeline ("of which output passes"); the simulator has no such stage in its compute
  cycles. This is most of the difference;
- mapping: the tiles alone are within a few percent of the simulator's compute cycles ("tiles / sim compute"): the
  layer compiler's chunks of output pixels and column tiles pay the array's fill and drain per tile, where the
  simulator's tiles are its own choice;
- DRAM: the core run takes its operands from the host between steps and that time is not counted, so it has no
  DRAM stalls; the simulator's total adds the stalls it models (its compute cycles are the comparison that fits).

With memory in the loop: reports/rtl/system.md (\`hwq rtl --run --system\`) runs the same models as one network program
on the whole system (sequencer, memory engines, the DRAM model at the config's bandwidth and latency) and sets its
cycles per layer beside the simulator's totals, with the differences that remain and why.

The QDQ models are written in the \`${qdqForm}\` form (\`hwq quantize --qdq-form\`). How far each form computes what the
integer model computes is in src/intmodel/run-network.ts and measured in reports/rtl/integer-vs-qdq.md: \`fixed-point\`
spells out the integer model's requantizations, so its codes equal the integer model's and only float32 sums in the
logits differ; the default \`layers\` form quantizes only the inputs of compute layers and its residual path carries
floats, which at 4 bits moves the top-1 on some images.

${sections.map((x) => x.md).join('\n')}`;
  writeFilesAtomic({ [join('reports', 'rtl', 'network.md')]: md });
  process.stdout.write(`wrote reports/rtl/network.md (${sections.map((x) => x.title).join(', ')})\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
