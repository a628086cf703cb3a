// `hwq compare float.onnx q.onnx --data DIR`: accuracy of a float model and its quantized version on the same
// images, and the per-layer output SQNR of the quantized model against the float one.
import type { Argv, CommandModule } from 'yargs';
import { runCompare, type CompareResult } from '../../quant/compare.js';
import { modelInput } from '../../data/model-input.js';
import { UserError } from '../../errors.js';
import {
  PreprocessArgs, SampleArgs, preprocessOptions, resolveInputSpec, sampleNoun, sampleOptions, samplingFromArgs, samplingJson, samplingNote,
} from '../data-options.js';
import { progressOption, wantProgress } from '../flags.js';
import { intOption } from '../numbers.js';
import { formatTable } from '../table.js';

interface CompareArgs extends PreprocessArgs, SampleArgs {
  float: string;
  quantized: string;
  data: string;
  labels?: string;
  'sqnr-images': number;
  batch?: number;
  progress?: boolean;
  json: boolean;
}

const dB = (x: number): string => (Number.isNaN(x) ? '' : Number.isFinite(x) ? x.toFixed(1) : 'inf');
const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;
const pts = (x: number): string => `${x.toFixed(2)} pts`;

/** `noun`: what the samples are called (.npy data sets hold samples, not images). */
export function formatCompare(r: CompareResult, floatPath: string, quantPath: string, noun = 'images'): string {
  const acc = formatTable(
    [{ header: 'model' }, { header: 'top-1', numeric: true }, { header: 'top-5', numeric: true }],
    [
      [`float      ${floatPath}`, pct(r.float.top1), pct(r.float.top5)],
      [`quantized  ${quantPath}`, pct(r.quantized.top1), pct(r.quantized.top5)],
      ['drop', pts(r.drop.top1), pts(r.drop.top5)],
    ],
  );
  const p = r.paired;
  const s = r.sampling;
  const how = s.mode === 'stratified' ? ` (of ${r.total}, stratified over ${s.classes} classes, seed ${s.seed})` : s.mode === 'first' ? ` (the first of ${r.total} in sorted order)` : '';
  const parts = [
    `${r.images} ${noun}${how}, preprocess ${r.preprocess}`,
    acc,
    `top-1 right only in the float model: ${p.onlyA} ${noun}, only in the quantized one: ${p.onlyB}; paired standard error of the top-1 drop ${pts(p.seTop1)}`,
  ];
  const rows = [...r.layers, ...(r.output ? [{ ...r.output, name: `(output) ${r.output.name}` }] : [])];
  if (rows.length) {
    parts.push(`output SQNR of the quantized model against the float model (${r.sqnrImages} ${noun})`);
    parts.push(formatTable([{ header: 'layer' }, { header: 'tensor' }, { header: 'output SQNR dB', numeric: true }], rows.map((l) => [l.name, l.tensor, dB(l.outputSqnrDb)])));
  }
  for (const n of r.notes) parts.push(`note: ${n}`);
  return parts.join('\n').replace(/\n*$/, '\n');
}

/** The JSON document; non-finite SQNRs (identical outputs) become null, since JSON has no Infinity. */
export function compareJson(r: CompareResult): unknown {
  const num = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    float: r.float, quantized: r.quantized, drop: { ...r.drop, top1StandardError: r.paired.seTop1 },
    top1OnlyFloat: r.paired.onlyA, top1OnlyQuantized: r.paired.onlyB, images: r.images, sampling: samplingJson(r),
    sqnrImages: r.sqnrImages, preprocess: r.preprocess,
    layers: r.layers.map((l) => ({ name: l.name, tensor: l.tensor, outputSqnrDb: num(l.outputSqnrDb) })),
    output: r.output ? { name: r.output.name, outputSqnrDb: num(r.output.outputSqnrDb) } : null,
    notes: r.notes,
    warnings: r.warnings,
  };
}

export const command: CommandModule<{}, CompareArgs> = {
  command: 'compare <float> <quantized>',
  describe: 'Accuracy drop and per-layer output SQNR of a quantized ONNX model against its float model',
  builder: (y: Argv) =>
    sampleOptions(preprocessOptions(y))
      .positional('float', { type: 'string', demandOption: true, describe: 'float ONNX model' })
      .positional('quantized', { type: 'string', demandOption: true, describe: 'quantized ONNX model (QDQ, e.g. from hwq quantize)' })
      .option('data', {
        type: 'string', demandOption: true,
        describe: 'image folder (class subfolders, labels.csv, wnid-named files), IDX images file, or .npy samples (a file or folder of them)',
      })
      .option('labels', {
        type: 'string',
        describe: 'labels file for --data when it needs one (a file,class CSV: every class an index >= 0, or every class a name; '
          + 'for .npy samples one class index per line, in file-name order)',
      })
      .option('sqnr-images', intOption('sqnr-images', {
        min: 0,
        default: 64,
        describe: 'images used for the per-layer output SQNR, drawn stratified over the classes of the evaluated ones (seed 0; 0: skip)',
      }))
      .option('batch', intOption('batch', { min: 1, describe: 'inference batch size (default 8)' }))
      .option('progress', progressOption)
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object (top1/top5 as fractions, drop and its paired standard error in percentage points)' })
      .example(
        'hwq compare resnet20.onnx q.onnx --data data/cifar10/test --limit 1000',
        'accuracy drop and per-layer SQNR on 1000 test images, 100 from each class (seed 0)',
      ) as unknown as Argv<CompareArgs>,
  handler: async (a) => {
    const sample = samplingFromArgs(a);
    let noun = 'images';
    const r = await runCompare({
      floatPath: a.float, quantPath: a.quantized, data: a.data, labels: a.labels, sample,
      onData: (d) => {
        noun = sampleNoun(d);
        const line = samplingNote(d);
        if (line) process.stderr.write(`${line}\n`);
      },
      sqnrImages: a['sqnr-images'], batchSize: a.batch, workers: a.workers, progress: wantProgress(a.progress),
      spec: (_chw, floatModel) => {
        const input = modelInput(floatModel);
        if (!input) throw new UserError(`${a.float} has no graph input`);
        return resolveInputSpec(a, input, a.float, a.data);
      },
    });
    // Warnings go to stderr too, where they are seen even when stdout is piped into a file or a JSON reader.
    for (const w of r.warnings) process.stderr.write(`hwq: warning: ${w}\n`);
    process.stdout.write(a.json ? `${JSON.stringify(compareJson(r), null, 2)}\n` : formatCompare(r, a.float, a.quantized, noun));
  },
};

export default command;
