// `hwq rtl --config vc709 --out DIR`: writes the Bit Fusion core's Verilog for a hardware config, the VC709
// board top, its XDC, a Vivado build script and a params JSON; `--verify` first checks the generated design
// under Verilator against the TypeScript models (BitBrick, Fusion Unit, whole tiles through the core).
// `--model q.hwq` adds weights/*.mem: each quantized layer's weights packed in the core's WBUF layout
// (rtl/weights.ts), and weights/manifest.json. `--model q.hwq --run DIR` instead runs images of DIR through the
// whole network on the core under Verilator (rtl/network.ts) and prints, per image, whether the logits equal
// the integer model's and the top-1 beside onnxruntime's run of the matching QDQ model (named with its form,
// `hwq quantize --qdq-form`), and per layer the
// core's cycles beside the cycle simulator's. Each image is one 'rtl-image' job: on this machine's threads (--jobs),
// on `hwq worker` processes through Redis (--queue), its result kept in the result cache (--cache).
// `--run DIR --system` runs each image as one network program on the whole generated system instead
// (rtl/system-run.ts: sequencer, memory engines, DRAM model), one 'rtl-system-image' job per image.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../../hw/presets.js';
import { boardOutput } from '../../../rtl/board.js';
import { hasTool } from '../../../rtl/sim.js';
import { CheckResult, verifyDesign } from '../../../rtl/verify.js';
import { weightFiles } from '../../../rtl/weights.js';
import { type HwqModel, loadHwq } from '../../intmodel/format.js';
import { generateRtl, sourcesOf } from '../../../rtl/generate.js';
import type { RtlLayerRun } from '../../../rtl/network.js';
import { LAYER_VLT, layerTop } from '../../../rtl/layer-fast.js';
import { buildEventModel } from '../../../rtl/sim-events.js';
import { openDataSet, sampleName } from '../../data/dataset.js';
import type { InputSpec } from '../../data/input-spec.js';
import { PRESETS, outputChannels } from '../../data/preprocess.js';
import { samplesHash } from '../../data/samples-hash.js';
import { executeJobs } from '../../jobs/execute.js';
import { type DataRef, fileRef, makeJob } from '../../jobs/job.js';
import { type ImageRun, RTL_IMAGE, type RtlImageSpec, designHash, layerSimCycles } from '../../jobs/kinds/rtl-image.js';
import { RTL_SYSTEM_IMAGE, type RtlSystemImageSpec, type SystemImageRun, type SystemLayerRun, programOf } from '../../jobs/kinds/rtl-system-image.js';
import { buildSystemModel } from '../../../rtl/system-run.js';
import { type JobArgs, execOptions, jobOptions } from '../job-options.js';
import { intOption } from '../numbers.js';
import { UserError } from '../../errors.js';
import { checkTreeTarget, writeTreeAtomic } from '../../fsutil.js';
import { configOption, progressOption, wantProgress } from '../flags.js';
import { checkOutputs } from '../outputs.js';
import { progress } from '../progress.js';

interface RtlArgs extends JobArgs {
  config: string;
  out?: string;
  model?: string;
  run?: string;
  limit?: number;
  qdq?: string;
  system?: boolean;
  verify: boolean;
  force: boolean;
  json: boolean;
  progress?: boolean;
}

/** What verifyDesign checks, in order: BitBrick, Fusion Unit, the whole core. */
const VERIFY_STEPS = 3;

export async function runRtl(a: RtlArgs & { out: string }): Promise<{ files: string[]; checks: CheckResult[] }> {
  const [out] = checkOutputs([{ flag: 'out', path: a.out, kind: 'dir' }], [
    ...(a.model ? [{ what: 'the --model file', path: a.model }] : []),
    ...(a.config.toLowerCase().endsWith('.json') ? [{ what: 'the --config file', path: a.config }] : []),
  ]);
  checkTreeTarget(out, a.force);
  const cfg = loadConfig(a.config);
  const { design, files } = boardOutput(cfg);
  // The model is checked before the (slow) verification so bad input fails at once and writes nothing.
  if (a.model) for (const [name, text] of weightFiles(loadHwq(a.model), cfg, design.params, a.model)) files.set(name, text);
  const checks: CheckResult[] = [];
  if (a.verify) {
    if (!hasTool('verilator')) throw new UserError('--verify needs verilator on PATH (apt-get install verilator)');
    const bar = progress('verify under Verilator', wantProgress(a.progress));
    let done = 0;
    try {
      checks.push(...verifyDesign(design, 'verilator', () => bar.update(done++, VERIFY_STEPS)));
      bar.update(done, VERIFY_STEPS);
    } finally {
      bar.stop();
    }
  }
  const failed = checks.filter((c) => c.mismatches > 0);
  if (failed.length === 0) writeTreeAtomic(out, files, a.force);
  return { files: [...files.keys()], checks };
}


export type { ImageRun, SystemImageRun };
export { layerSimCycles };

/** .npy samples as they are, images through the preprocessing preset whose output is the network's input size. */
function inputSpecFor(model: HwqModel, path: string, npy: boolean): InputSpec {
  const inp = model.network.input;
  if (npy) return { kind: 'tensor', name: 'npy', dims: [inp.c, inp.h, inp.w] };
  const p = Object.values(PRESETS).find((s) => s.height === inp.h && s.width === inp.w && outputChannels(s) === inp.c);
  if (!p) {
    throw new UserError(`'${path}' takes ${inp.c}x${inp.h}x${inp.w} inputs; no preprocessing preset (${Object.keys(PRESETS).join(', ')}) `
      + 'produces them (give .npy samples)');
  }
  return p;
}

/** What both --run targets share: the model, config and design, the QDQ model, the images and how jobs run. */
interface ImageRunSetup {
  model: HwqModel;
  cfg: ReturnType<typeof loadConfig>;
  design: ReturnType<typeof generateRtl>;
  base: { model: ReturnType<typeof fileRef>; qdq?: ReturnType<typeof fileRef>; config: ReturnType<typeof loadConfig>; design: string; input: InputSpec };
  data: ReturnType<typeof openDataSet>;
  exec: ReturnType<typeof execOptions>;
  /** One job spec per image, its data reference filled in. */
  perImage<T extends object>(spec: T): Array<T & { data: DataRef }>;
}

function imageRunSetup(a: RtlArgs & { model: string; run: string }): ImageRunSetup {
  const model = loadHwq(a.model);
  const cfg = loadConfig(a.config);
  const inp = model.network.input;
  const qdqPath = a.qdq ?? a.model.replace(/\.hwq$/i, '.onnx');
  if (a.qdq !== undefined && !existsSync(a.qdq)) throw new UserError(`--qdq model '${a.qdq}' not found`);
  const open = { limit: a.limit ?? 10, sampleDims: [inp.c, inp.h, inp.w] };
  const data = openDataSet(a.run, open);
  const spec = inputSpecFor(model, a.model, data.layout === 'npy');
  const exec = execOptions(a);
  if (exec.queue === undefined && !hasTool('verilator')) throw new UserError('--run needs verilator on PATH (apt-get install verilator)');
  const design = generateRtl(cfg);
  const base = {
    model: fileRef(a.model), ...(qdqPath !== a.model && existsSync(qdqPath) ? { qdq: fileRef(qdqPath) } : {}), config: cfg,
    design: designHash(design), input: spec,
  };
  const dataset = resolve(a.run);
  const perImage = <T extends object>(x: T) => data.samples.map((_, i) => ({
    ...x, data: { dataset, open, from: i, to: i + 1, sha256: samplesHash(data.samples.slice(i, i + 1)) },
  }));
  return { model, cfg, design, base, data, exec, perImage };
}

/** Runs one job per image (`kind`), after `build` (one model build before the threads start, rather than one per thread racing for the cache). */
async function runImageJobs<S, R>(setup: ImageRunSetup, kind: string, specs: S[], build: () => void, what: string, a: RtlArgs, onImage: (r: R) => void): Promise<R[]> {
  const { data, exec } = setup;
  const jobs = specs.map((spec) => makeJob<S>(kind, spec));
  const bar = progress(what, wantProgress(a.progress));
  try {
    if (exec.queue === undefined) build();  // queue workers build their own
    const { results } = await executeJobs(jobs, {
      ...exec, label: (i) => `image ${sampleName(data.samples[i])}`, onProgress: (done, total) => bar.update(done, total),
    });
    const runs = results.flatMap((r) => r as R[]);
    for (const r of runs) onImage(r);
    return runs;
  } finally {
    bar.stop();
  }
}

/**
 * `--run DIR`: the first --limit images of DIR through the network on the core, one 'rtl-image' job per image
 * (src/jobs/kinds/rtl-image.ts) on this machine's threads or a Redis queue, results in image order.
 */
export async function runImages(a: RtlArgs & { model: string; run: string }, onImage: (r: ImageRun) => void): Promise<ImageRun[]> {
  const setup = imageRunSetup(a);
  const specs: RtlImageSpec[] = setup.perImage({ ...setup.base, sim: 'verilator-events' as const });
  return runImageJobs(setup, RTL_IMAGE, specs, () => buildEventModel(sourcesOf(setup.design), layerTop(setup.design), LAYER_VLT),
    'images through the core under Verilator', a, onImage);
}

/**
 * `--run DIR --system`: the first --limit images of DIR through the network program on the whole system, one
 * 'rtl-system-image' job per image (src/jobs/kinds/rtl-system-image.ts), results in image order.
 */
export async function runSystemImages(a: RtlArgs & { model: string; run: string }, onImage: (r: SystemImageRun) => void): Promise<SystemImageRun[]> {
  const setup = imageRunSetup(a);
  // Compiled here first so a network the program cannot run fails before any job starts.
  const prog = programOf(setup.model, setup.base.model, setup.cfg);
  const specs: RtlSystemImageSpec[] = setup.perImage(setup.base);
  return runImageJobs(setup, RTL_SYSTEM_IMAGE, specs, () => buildSystemModel(prog, setup.cfg), 'images through the system under Verilator', a, onImage);
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

function systemImageLine(r: SystemImageRun): string {
  const form = r.qdqForm ? ` (${r.qdqForm} form)` : '';
  const qdq = r.qdqTop1 === null ? 'no QDQ model' : `QDQ${form} top-1 ${r.qdqTop1}, equal ${yesNo(r.qdqTop1 === r.top1)}`;
  return `${r.image}: logits equal ${yesNo(r.logitsEqual)}, tensors equal ${yesNo(r.tensorsEqual)}, top-1 ${r.top1} (${qdq}); `
    + `${r.cycles} cycles (${r.segmentCycles.join(' + ')})\n`;
}

function systemLayerTable(layers: SystemLayerRun[]): string {
  const head = ['layer', 'system cycles', 'loads', 'tiles', 'passes', 'stores', 'array tiles', 'sim compute', 'sim total', 'system/sim'];
  const rows = layers.map((l) => [
    l.name, String(l.cycles), String(l.byKind.loads), String(l.byKind.tiles), String(l.byKind.passes), String(l.byKind.stores), String(l.arrayTileCycles),
    String(l.simComputeCycles), String(l.simTotalCycles), (l.cycles / l.simTotalCycles).toFixed(2),
  ]);
  return textTable(head, rows);
}

function textTable(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ') + '\n';
  return line(head) + rows.map(line).join('');
}

function imageLine(r: ImageRun): string {
  const form = r.qdqForm ? ` (${r.qdqForm} form)` : '';
  const qdq = r.qdqTop1 === null ? 'no QDQ model' : `QDQ${form} top-1 ${r.qdqTop1}, equal ${yesNo(r.qdqTop1 === r.top1)}`;
  const bad = r.layers.filter((l) => !l.equal).map((l) => l.name);
  return `${r.image}: logits equal ${yesNo(r.logitsEqual)}, top-1 ${r.top1} (${qdq})${bad.length ? `; layers differing: ${bad.join(', ')}` : ''}\n`;
}

function layerTable(layers: RtlLayerRun[]): string {
  const rows = layers.map((l) => [l.name, String(l.tiles), String(l.passes), String(l.rtlCycles), String(l.simComputeCycles), String(l.simTotalCycles)]);
  return textTable(['layer', 'tiles', 'passes', 'rtl cycles', 'sim compute', 'sim total'], rows);
}

export const command: CommandModule<{}, RtlArgs> = {
  command: 'rtl',
  describe: 'Generate the Bit Fusion core\'s Verilog, a VC709 top, XDC and Vivado build script for a config',
  builder: (y: Argv) =>
    jobOptions(y)
      .option('config', configOption('vc709'))
      .option('out', {
        type: 'string', requiresArg: true,
        describe: 'Output directory (created with any missing parents; must be absent or empty unless --force); needed unless --run',
      })
      .option('model', {
        type: 'string',
        describe: 'Quantized model (.hwq from `hwq quantize`): also write weights/*.mem WBUF images and weights/manifest.json; with --run, the network to run',
      })
      .option('run', {
        type: 'string', requiresArg: true,
        describe: 'Run images of this folder (class folders, labels CSV, .npy samples...) through the whole --model on the core under Verilator',
      })
      .option('limit', intOption('limit', { min: 1, describe: '--run: how many images (the first in name order; default 10)' }))
      .option('qdq', {
        type: 'string', requiresArg: true,
        describe: '--run: the QDQ ONNX model whose onnxruntime top-1 is compared (default: the .hwq path with .onnx, if present); '
          + 'the output names its form (hwq quantize --qdq-form)',
      })
      .option('system', {
        type: 'boolean', default: false,
        describe: '--run: run each image as one network program on the whole system (sequencer, memory engines, DRAM model) instead of layer by layer on the core',
      })
      .option('verify', { type: 'boolean', default: false, describe: 'First run the Verilator checks against the TypeScript models (nothing is written if they fail)' })
      .option('force', { type: 'boolean', default: false, describe: 'Replace a non-empty --out directory' })
      .option('json', { type: 'boolean', default: false, describe: 'Print a JSON summary' })
      .option('progress', progressOption)
      .example('hwq rtl --config vc709 --out build/vc709 --verify', 'generate and check the VC709 design')
      .example('hwq rtl --config vc709 --model resnet18.hwq --out build/vc709', 'also write the model\'s weight memory images')
      .example('hwq rtl --model q.hwq --run data/cifar10/test --limit 5', 'run 5 images through the whole network on the core')
      .example('hwq rtl --model q.hwq --run data/cifar10/test --limit 2 --system', 'the whole network as one program on the generated system')
      .example('hwq rtl --model q.hwq --run data/cifar10/test --limit 100 --queue redis://host:6379', 'the images on `hwq worker` processes')
      .example('vivado -mode batch -source build/vc709/build.tcl', 'then build the bitstream') as unknown as Argv<RtlArgs>,
  handler: async (a) => {
    if (a.run !== undefined) {
      if (!a.model) throw new UserError('--run needs --model q.hwq (the quantized network to run)');
      if (a.out !== undefined || a.verify) throw new UserError('--run runs a model on the core and writes nothing: leave out --out and --verify');
      if (a.system) {
        const runs = await runSystemImages({ ...a, model: a.model, run: a.run }, (r) => { if (!a.json) process.stdout.write(systemImageLine(r)); });
        if (a.json) process.stdout.write(JSON.stringify({ model: resolve(a.model), config: a.config, target: 'system', images: runs }, null, 2) + '\n');
        else if (runs.length) {
          process.stdout.write('per layer (first image): the system\'s cycles from the issue after the layer before\'s last instruction to the issue '
            + 'after its own last (the engines overlap: split by the kind of instruction the in-order issue waited at), beside the array\'s tile cycles '
            + 'and the cycle simulator\'s\n');
          process.stdout.write(systemLayerTable(runs[0].layers));
        }
        if (runs.some((r) => !r.logitsEqual || !r.tensorsEqual)) process.exitCode = 1;
        return;
      }
      const runs = await runImages({ ...a, model: a.model, run: a.run }, (r) => { if (!a.json) process.stdout.write(imageLine(r)); });
      if (a.json) process.stdout.write(JSON.stringify({ model: resolve(a.model), config: a.config, images: runs }, null, 2) + '\n');
      else if (runs.length) {
        process.stdout.write('per layer (the same for every image): core cycles from each tile\'s and output pass\'s start to its done, '
          + 'beside the cycle simulator\'s\n');
        process.stdout.write(layerTable(runs[0].layers));
      }
      if (runs.some((r) => !r.logitsEqual || r.layers.some((l) => !l.equal))) process.exitCode = 1;
      return;
    }
    if (a.limit !== undefined || a.qdq !== undefined || a.system) throw new UserError('--limit, --qdq and --system go with --run');
    if (a.jobs !== undefined || a.queue !== undefined || a.cache !== undefined) throw new UserError('--jobs, --queue and --cache go with --run');
    if (a.out === undefined) throw new UserError('--out is required: the directory to write the design to (or give --model and --run to run images)');
    const { files, checks } = await runRtl({ ...a, out: a.out });
    const failed = checks.filter((c) => c.mismatches > 0);
    if (a.json) {
      process.stdout.write(JSON.stringify({ out: resolve(a.out), written: failed.length === 0, files, checks }, null, 2) + '\n');
    } else {
      for (const c of checks) {
        process.stdout.write(`${c.mismatches ? 'FAIL' : 'ok  '} ${c.what} (${c.simulator}): ${c.checked} checked, ${c.mismatches} mismatches\n`);
        if (c.first) process.stdout.write(`     first mismatch: ${c.first}\n`);
      }
      if (failed.length === 0) process.stdout.write(`wrote ${files.length} files to ${resolve(a.out)}: ${files.join(', ')}\n`);
      else process.stdout.write('verification failed: nothing written\n');
    }
    if (failed.length) process.exitCode = 1;
  },
};
