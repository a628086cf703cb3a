// `hwq eval model.onnx --data DIR`: float (or quantized) top-1/top-5 accuracy and throughput of an ONNX model.
import type { Argv, CommandModule } from 'yargs';
import type { DataSet } from '../../data/dataset.js';
import { evaluateOpen, type EvalResult } from '../../eval/evaluate.js';
import { openModel } from '../../eval/session.js';
import {
  PreprocessArgs, SampleArgs, openModelData, preprocessOptions, sampleNoun, sampleOptions, samplingFromArgs, samplingJson, samplingNote,
} from '../data-options.js';
import { progressOption, wantProgress } from '../flags.js';
import { intOption, parseIntArg } from '../numbers.js';

export interface EvalArgs extends PreprocessArgs, SampleArgs {
  model: string;
  data: string;
  labels?: string;
  batch?: number;
  json: boolean;
  progress?: boolean;
  'per-class': boolean;
}

function builder(y: Argv): Argv<EvalArgs> {
  return sampleOptions(preprocessOptions(y))
    .positional('model', { type: 'string', describe: 'ONNX model file', demandOption: true })
    .option('data', {
      type: 'string', demandOption: true,
      describe: 'image folder (class subfolders, labels.csv, wnid-named files), IDX images file, '
        + 'or .npy samples (a file or folder of them, for any model input)',
    })
    .option('labels', {
      type: 'string',
      describe: 'labels: a file,class CSV (every class an index >= 0, or every class a name), a synset list (line i = class i), or an IDX labels file; '
        + 'for .npy samples one class index per line (or a 1-D integer .npy), one per sample in file-name order',
    })
    .option('batch', intOption('batch', { min: 1, describe: 'inference batch size (default 8; models with a fixed batch use theirs)' }))
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object (top1/top5 as fractions in [0, 1])' })
    .option('progress', progressOption)
    .option('per-class', { type: 'boolean', default: false, describe: 'also print top-1 accuracy per class' }) as unknown as Argv<EvalArgs>;
}

/** `note` receives the line saying which images a --limit/--first subset holds, before any image runs. */
export async function runEval(a: EvalArgs, note: (line: string) => void = () => undefined): Promise<{ result: EvalResult; data: DataSet }> {
  const sampling = samplingFromArgs(a);
  // the command line checks these while parsing; programmatic callers get the same checks here
  for (const [name, v, min] of [['batch', a.batch, 1], ['workers', a.workers, 0]] as const) if (v !== undefined) parseIntArg(name, v, min);
  const model = await openModel(a.model);
  try {
    const input = { ...model.input, dims: model.inputShape };
    const { spec, data } = openModelData(a, input, a.model, a.data, { labels: a.labels, ...sampling }, { what: 'accuracy' });
    const line = samplingNote(data);
    if (line) note(line);
    const result = await evaluateOpen(model, data, spec, { batchSize: a.batch, workers: a.workers, progress: wantProgress(a.progress) });
    return { result, data };
  } finally {
    await model.session.release();
  }
}

export function formatResult(r: EvalResult, data: DataSet): string {
  const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;
  const s = data.sampling;
  const how = s.mode === 'stratified' ? ` stratified over ${s.classes} classes, seed ${s.seed}` : s.mode === 'first' ? ' first in sorted order' : '';
  return [
    `model       ${r.model}`,
    `data        ${r.data} (${data.layout}, ${r.images} of ${data.total} ${sampleNoun(data)}${how}, preprocess ${r.preprocess})`,
    `top-1       ${pct(r.top1)} (${r.top1Correct}/${r.images})`,
    `top-5       ${pct(r.top5)} (${r.top5Correct}/${r.images})`,
    `throughput  ${r.imagesPerSecond.toFixed(1)} ${sampleNoun(data)}/s (${r.seconds.toFixed(2)} s, batch ${r.batchSize})`,
  ].join('\n');
}

function formatPerClass(r: EvalResult, data: DataSet): string {
  const rows = [...r.perClass.entries()].sort((x, y) => x[0] - y[0]);
  return ['class  top-1     images  name', ...rows.map(([c, v]) =>
    `${String(c).padStart(5)}  ${(100 * v.top1 / v.total).toFixed(2).padStart(6)} %  ${String(v.total).padStart(6)}  ${data.classes?.[c] ?? ''}`)].join('\n');
}

export const command: CommandModule<object, EvalArgs> = {
  command: 'eval <model>',
  describe: 'Measure top-1/top-5 accuracy and images/s of an ONNX classifier on a labelled image set',
  builder,
  handler: async (a) => {
    const { result: r, data } = await runEval(a, (line) => process.stderr.write(`${line}\n`));
    if (a.json) {
      const out: Record<string, unknown> = {
        model: r.model, data: r.data, images: r.images, top1: r.top1, top5: r.top5,
        imagesPerSecond: r.imagesPerSecond, seconds: r.seconds,
        top1Correct: r.top1Correct, top5Correct: r.top5Correct, preprocess: r.preprocess, batchSize: r.batchSize,
        sampling: samplingJson(data),
      };
      if (a['per-class']) out.perClass = Object.fromEntries([...r.perClass.entries()].sort((x, y) => x[0] - y[0]).map(([c, v]) => [c, v]));
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${formatResult(r, data)}\n`);
    if (a['per-class']) process.stdout.write(`${formatPerClass(r, data)}\n`);
  },
};

export default command;
