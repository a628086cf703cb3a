// Writes reports/rtl/system.md: quantized CIFAR ResNets as network programs (rtl/net-program.ts) on the generated
// system (bitfusion_system on the DRAM model, rtl/system-run.ts) under Verilator: every tensor and the logits
// against the integer model, top-1 against onnxruntime's run of the QDQ model, and per layer the system's cycles
// beside the cycle simulator's with its tiling.
// Usage: node dist/scripts/rtl-system-report.js [--images N] [--models r20:a4w4,r20:mixed,...] [--config vc709] [--shared DIR]
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../hw/presets.js';
import { hasTool } from '../rtl/sim.js';
import { compileNetwork } from '../rtl/net-program.js';
import type { NetProgram } from '../rtl/net-program.js';
import { systemLayerCycles } from '../rtl/system-layers.js';
import { tensorCodes } from '../rtl/net-exec.js';
import { rtlParams } from '../rtl/params.js';
import { runProgramOnSystem } from '../rtl/system-run.js';
import { layerTiming } from '../sim/simulate.js';
import { readImageFile } from '../src/data/image.js';
import { PRESETS, preprocess } from '../src/data/preprocess.js';
import { loadHwq } from '../src/intmodel/format.js';
import { runNetwork, top1 } from '../src/intmodel/run-network.js';
import { simTiling } from '../src/jobs/kinds/rtl-image.js';
import { openModel } from '../src/onnx/run.js';
import { writeFilesAtomic } from '../src/fsutil.js';
import type { HwConfig } from '../hw/config.js';
import type { HwqModel } from '../src/intmodel/format.js';
import { quantizeReportModel } from './mixes.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const nImages = Number(arg('images', '3'));
const configName = arg('config', 'vc709');
const shared = arg('shared', join(process.cwd(), '..', 'shared'));
const models = arg('models', 'r20:a4w4,r20:a8w8,r20:mixed,r32:a4w4').split(',');
const testRoot = join(shared, 'data', 'cifar10', 'test');

function layerTable(model: HwqModel, cfg: HwConfig, prog: NetProgram, cycles: number[]): { md: string; total: number; simTotal: number; simCompute: number } {
  const byName = new Map(model.layers.map((l) => [l.header.name, l.header.layer]));
  const head = ['layer', 'tiling', 'system cycles', 'at loads', 'at tiles', 'at output passes', 'at stores', 'array tiles (model)', 'sim compute', 'sim total',
    'system / sim total'];
  let total = 0, simTotal = 0, simCompute = 0;
  const tilingOf = new Map(prog.layers.map((l) => [l.name, l.tiling]));
  const rows = systemLayerCycles(prog, cycles).map((l) => {
    const ir = byName.get(l.name)!;
    const t = layerTiming(ir, cfg, ir.precision ?? { a: 8, w: 8 }, 1);
    total += l.cycles;
    simTotal += t.totalCycles;
    simCompute += t.computeCycles;
    const m = tilingOf.get(l.name)!;
    const k = l.byKind;
    return `| ${l.name} | ${m.order.join('>')} oh${m.outRowTile} ow${m.outColTile} oc${m.outChanTile} ic${m.inChanTile} | ${l.cycles} | ${k.loads} | ${k.tiles} | `
      + `${k.passes} | ${k.stores} | ${l.arrayTileCycles} | ${t.computeCycles} | ${t.totalCycles} | ${(l.cycles / t.totalCycles).toFixed(2)} |`;
  });
  const md = `| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n${rows.join('\n')}\n`;
  return { md, total, simTotal, simCompute };
}

async function section(which: string, cfg: HwConfig, dir: string): Promise<string> {
  const rm = await quantizeReportModel(which, shared, dir, 'fixed-point');
  const model = loadHwq(rm.hwq);
  const p = rtlParams(cfg);
  const prog = compileNetwork(model, cfg, p, rm.hwq, simTiling(cfg));
  const ort = await openModel(readFileSync(rm.qdq));
  const classes = readdirSync(testRoot).sort();
  const picks = classes.slice(0, nImages).map((cls, label) => ({ name: `${cls}/${readdirSync(join(testRoot, cls)).sort()[0]}`, label }));
  const rowsOut: string[] = [];
  let first: number[] | null = null;
  let equalAll = 0, top1Same = 0;
  const load = loadavg()[0];
  const t0 = performance.now();
  for (const pick of picks) {
    const x = preprocess(readImageFile(join(testRoot, pick.name)), PRESETS.cifar10);
    const want = runNetwork(model, x, rm.hwq);
    const got = runProgramOnSystem(prog, cfg, x);
    first ??= got.instrCycles;
    const logitsEqual = got.accumulators.every((v, i) => v === want.accumulators[i]);
    const tensorsEqual = [...want.tensors].every(([name, t]) => prog.tensors.get(name)!.copies.every((c) => tensorCodes(got.memory, c).every((v, i) => v === t.codes[i])));
    const o = await ort.run({ [ort.inputNames[0]]: { dims: [1, 3, 32, 32], data: x } });
    const qdq = top1(o.get(ort.outputNames[0])!.data as Float32Array);
    const sys = top1(want.logits.map((_, c) => got.accumulators[c] * want.scales[c]));
    equalAll += logitsEqual && tensorsEqual ? 1 : 0;
    top1Same += sys === qdq ? 1 : 0;
    rowsOut.push(`| ${pick.name} | ${pick.label} | ${logitsEqual ? 'yes' : 'no'} | ${tensorsEqual ? 'yes' : 'no'} | ${got.segments.map((s) => s.cycles).join(' + ')} | `
      + `${sys} | ${qdq} |`);
  }
  await ort.release();
  const seconds = (performance.now() - t0) / 1000;
  const t = layerTable(model, cfg, prog, first!);
  return `## ${rm.net.name} ${rm.precision}

\`${rm.command}\`; ${prog.instrs.length} instructions, ${prog.words.toLocaleString('en-US')} memory words.
**${picks.length} images through the system in ${seconds.toFixed(0)} s** (Verilator build included; 1-minute load average ${load.toFixed(1)} at the
start): every tensor and the logits equal to the integer model on **${equalAll} of ${picks.length}**, top-1 equal to onnxruntime's run of the
QDQ model on **${top1Same} of ${picks.length}**.

| image | label | logits equal | tensors equal | cycles (run to the pool + run to the end) | top-1 (system) | top-1 (QDQ) |
|---|---|---|---|---|---|---|
${rowsOut.join('\n')}

Per layer, first image: the system's cycles (from the issue after the layer before's last instruction to the issue
after the layer's last; the engines overlap, so these are where the in-order issue spent its time: the cycles from
fetching an instruction to fetching the next, by kind: waiting for its engine and its wait mask, e.g. "output passes"
is mostly the wait for the tile before), the array tiles' cycles as the layer compiler counts them, and the simulator's
with the same tiling.
All layers: system ${t.total.toLocaleString('en-US')} cycles, simulator ${t.simTotal.toLocaleString('en-US')} (compute
${t.simCompute.toLocaleString('en-US')}), ratio ${(t.total / t.simTotal).toFixed(2)}.

${t.md}`;
}

async function main(): Promise<void> {
  if (!hasTool('verilator')) throw new Error('needs verilator on PATH');
  const cfg = loadConfig(configName);
  const dir = mkdtempSync(join(tmpdir(), 'hwq-rtl-system-'));
  const sections: string[] = [];
  for (const m of models) {
    process.stderr.write(`${m} ...\n`);
    sections.push(await section(m, cfg, dir));
  }
  const md = `# Quantized networks on the generated system

Generated by \`node dist/scripts/rtl-system-report.js --images ${nImages} --models ${models.join(',')} --config ${configName}\`
(scripts/rtl-system-report.ts; needs verilator and ../shared).

Each model is compiled once into a network program (rtl/net-program.ts: instructions, weights and tables in memory,
every layer under the cycle simulator's tiling). Each image then runs on \`bitfusion_system\` (config \`${configName}\`,
${cfg.rows}x${cfg.cols} array) on the DRAM model (the config's latency and bytes per cycle) under Verilator, as a host
runs it on the board (rtl/system-run.ts): the image quantized into memory, run from the first instruction, the average pool
done by the host at the program's host step, run again to the end, the logits read back with the last layer's bias added.
The QDQ models are written in the \`fixed-point\` form, which computes the integer model's codes in onnxruntime.

What stays on the host: quantizing the image (the host has the floats), the average pool (no pooling unit; one
global average over 64 pixels in these networks), and the last layer's bias (the core stores its 32-bit sums).

How the system runs: the sequencer issues in order and each engine (loader, storer, core, output unit) runs one
command at a time; an instruction issues when its engine is free and every engine of its wait mask is idle. The
compiler derives the masks from what each instruction reads and writes (rtl/net-deps.ts: buffer halves, the OBUF read
port, the row table, the output unit's tables, the residual and staging buffers, memory ranges), and orders the
instructions as an overlapped run would start them: the loads of the next tile go into the other IBUF and WBUF half
while the array runs this one, the output pass and the store of a tile run while the array runs the next.

Why the system still takes more cycles than the simulator (the array tiles take the simulator's compute cycles to the
cycle: the "array tiles" column against "sim compute", and reports/rtl/network.md). A layer takes about the longer of
its core's and its loader's busy cycles, plus a start and an end:
- the loader writes one buffer word a cycle (an IBUF or WBUF word: 16 or 32 bits here), where the simulator moves
  the config's DRAM bandwidth into the buffers (418 bits a cycle for vc709) and hides every load but the first
  behind the tiles. By the engines' cycle model (rtl/mem-engine-sim.ts) the loader is busy 8,130 cycles in a4w4
  layer1.0.conv1 (core 10,384: core-bound, system 12,523), 12,222 in a4w4 layer3.1.conv2 (core 9,360:
  loader-bound, system 12,417), 51,644 in a8w8 layer2.1.conv1 and 44,838 in a8w8 layer3.1.conv2 (core 37,008 each);
- start: a layer's first input tile (1,302 cycles for a4w4 layer1's 18x18 pixels of 4 IBUF words) comes after the
  layer before's stores of the rows it reads, and its first tile after it (its first weights are fetched during the
  layer before); end: the layer's last output pass and store run after its last tile (the simulator does not count
  output passes, and stores at its DRAM bandwidth);
- a store of one output-channel slice narrower than the tensor's pixel writes one word a pixel, each its own burst:
  up to 15 in flight (mem_storer MAX_OUT), 493 cycles for 256 pixels, hidden behind the tiles;
- one staging buffer and one table set in the output unit: a pass waits for the store of the pass before, and a
  layer's tables for the layer before's last pass.
The compiler orders the instructions by estimated cycles (rtl/instr-estimate.ts); where an estimate is
off, an instruction early in the order can hold back a later one that could have issued (in-order issue).

${sections.join('\n')}`;
  writeFilesAtomic({ [join('reports', 'rtl', 'system.md')]: md });
  process.stdout.write('wrote reports/rtl/system.md\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
