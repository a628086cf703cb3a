// Runs `hwq sim`, `hwq quantize --method tflite` (A8W8 on image inputs, else weights only) and `hwq eval` (image
// inputs only) on every .onnx file in a folder, each command in its own process, and writes
// reports/compatibility.md: per model the exporter, opset, input shape, layers and the outcome of each command
// (ok, refused with hwq's one-line reason, or crash). A `sources.tsv` in the folder (file, repository, path) says where each model came from.
//
// Run: npm run build && node dist/scripts/compat-report.js DIR [--calib IMAGES] [--out FILE]
// (--calib defaults to ../shared/data/cifar10/test; --out to reports/compatibility.md).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '../src/fsutil.js';
import { GraphView } from '../src/onnx/graph.js';
import { defaultOpset, loadModel } from '../src/onnx/proto.js';
import { quantizedFormat } from '../src/onnx/dequantize-model.js';

const ROOT = join(import.meta.dirname, '..', '..');
const HWQ = join(ROOT, 'bin', 'hwq.js');
const TIMEOUT_MS = 10 * 60 * 1000;

export type Outcome =
  | { kind: 'ok'; detail: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'crash'; reason: string }
  | { kind: 'skipped'; reason: string };

interface Run { code: number | null; stdout: string; stderr: string }

function hwq(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [HWQ, ...args], { maxBuffer: 64 << 20, timeout: TIMEOUT_MS, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** A command's outcome: exit 0 is ok, exit 2 with one `hwq:` line is a refusal, anything else a crash. */
export function outcomeOf(r: Run, model: string, ok: (stdout: string) => string): Outcome {
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const said = lines.find((l) => l.startsWith('hwq: '));
  if (r.code === 0) return { kind: 'ok', detail: ok(r.stdout) };
  // The reason without the model's path, which the table already names.
  const reason = (said ?? lines[lines.length - 1] ?? `exit ${r.code}`).replace(/^hwq: /, '').split(model).join(basename(model));
  if (r.code === 2 && said && !r.stderr.includes('    at ')) return { kind: 'refused', reason };
  return { kind: 'crash', reason: `exit ${r.code ?? 'signal'}: ${reason}` };
}

interface Row {
  file: string;
  source: string;
  exporter: string;
  opset: string;
  input: string;
  layers: string;
  sim: Outcome;
  quantize: Outcome;
  eval: Outcome;
}

function describe(path: string): { exporter: string; opset: string; input: string; image: boolean; error?: string } {
  try {
    const m = loadModel(path);
    const g = new GraphView(m);
    const dims = g.inputs.map((i) => `${i.name} [${(i.dims ?? []).map((d) => d ?? '?').join(', ')}]`).join('; ');
    const first = g.inputs[0]?.dims;
    const q = quantizedFormat(m);
    return {
      exporter: `${m.producerName || '(none)'}${m.producerVersion ? ` ${m.producerVersion}` : ''}${q ? ` (${q})` : ''}`,
      opset: String(defaultOpset(m)),
      input: dims || '(none)',
      image: g.inputs.length === 1 && first?.length === 4,
    };
  } catch (e) {
    return { exporter: '?', opset: '?', input: '?', image: false, error: (e as Error).message };
  }
}

function cell(o: Outcome): string {
  const text = o.kind === 'ok' ? `ok${o.detail ? ` (${o.detail})` : ''}` : `${o.kind}: ${o.reason}`;
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function readSources(dir: string): Map<string, string> {
  const p = join(dir, 'sources.tsv');
  if (!existsSync(p)) return new Map();
  return new Map(readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [file, repo, path] = l.split('\t');
    return [file, `${repo}: ${path}`];
  }));
}

/** Presets tried, in order, on a model whose input size matches none: the 3-channel and the 1-channel one. */
const RETRY_PRESETS = ['imagenet', 'fashion-mnist'];

/**
 * A data command's outcome; when it is refused only because no preset matches the input size, the same command
 * with `--preprocess` set (the remedy the refusal names), so the table shows whether the model then runs.
 */
async function withPresetRetry(args: string[], path: string, ok: (stdout: string) => string): Promise<Outcome> {
  const first = outcomeOf(await hwq(args), path, ok);
  if (first.kind !== 'refused' || !first.reason.includes('no preprocessing preset matches')) return first;
  let fallback: Outcome = first;
  for (const preset of RETRY_PRESETS) {
    const o = outcomeOf(await hwq([...args, '--preprocess', preset]), path, ok);
    if (o.kind === 'ok') return { kind: 'ok', detail: `with --preprocess ${preset}${o.detail ? `, ${o.detail}` : ''}` };
    if (fallback === first) fallback = o.kind === 'refused' ? { kind: 'refused', reason: `with --preprocess ${preset}: ${o.reason}` } : o;
  }
  return fallback;
}

async function reportOne(path: string, calib: string, tmp: string, sources: Map<string, string>): Promise<Row> {
  const file = basename(path);
  const d = describe(path);
  let layers = '';
  const sim = outcomeOf(await hwq(['sim', path, '--json', '--no-progress']), path, (out) => {
    const r = JSON.parse(out);
    const note = r.quantized ? `, ${r.quantized.format} ${r.precision}` : '';
    layers = `${r.layers.length} (${Number(r.macs).toLocaleString('en-US')} MACs${note})`;
    return '';
  });
  const q = join(tmp, `${file.replace(/\.onnx$/i, '')}-q.onnx`);
  // Calibration images fit image inputs only: other models get weight-only quantization, which needs no data.
  const bits = d.image ? ['--a8w8', '--calib', calib, '--calib-size', '4', '--sqnr-images', '0'] : ['--w8'];
  const quantize = await withPresetRetry(
    ['quantize', path, ...bits, '--method', 'tflite', '--out', q, '--json', '--no-progress'],
    path,
    (out) => {
      const r = JSON.parse(out);
      return `${d.image ? 'a8w8' : 'w8'}, ${r.layers.length} layers${r.dequantized ? `, from its ${r.dequantized} form` : ''}`;
    },
  );
  const evaluation: Outcome = d.image
    ? await withPresetRetry(['eval', path, '--data', calib, '--limit', '10', '--json', '--no-progress'], path,
      (out) => `top-1 ${(100 * JSON.parse(out).top1).toFixed(0)}% on 10 images`)
    : { kind: 'skipped', reason: 'not an image classifier input (one [N, C, H, W] input)' };
  return { file, source: sources.get(file) ?? '', exporter: d.exporter, opset: d.opset, input: d.input, layers, sim, quantize, eval: evaluation };
}

export function markdown(rows: Row[], dir: string, calib: string): string {
  const count = (k: keyof Pick<Row, 'sim' | 'quantize' | 'eval'>, kind: Outcome['kind']) => rows.filter((r) => r[k].kind === kind).length;
  const exporters = new Set(rows.map((r) => r.exporter.replace(/ .*/, '')));
  const lines = [
    '# ONNX compatibility',
    '',
    `${rows.length} public ONNX models from ${exporters.size} exporters (${[...exporters].sort().join(', ')}), each run through \`hwq sim\`,`,
    '`hwq quantize --method tflite` (A8W8 with 4 calibration images for image inputs, weight-only W8 for others) and',
    '`hwq eval` (10 images; image inputs only), each in its own process. Outcomes: ok; refused (exit 2, hwq\'s one-line reason); crash (anything else).',
    '',
    '| command | ok | refused | crash | skipped |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...(['sim', 'quantize', 'eval'] as const).map((k) => `| ${k} | ${(['ok', 'refused', 'crash', 'skipped'] as const).map((o) => count(k, o)).join(' | ')} |`),
    '',
    '| model | source (repository: path) | exporter | opset | input | layers | sim | quantize | eval |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${[r.file, r.source, r.exporter, r.opset, r.input, r.layers, cell(r.sim), cell(r.quantize), cell(r.eval)].join(' | ')} |`),
    '',
    '## Regenerating',
    '',
    'The models are not in the repository. Each was copied from a snapshot of the public repository named in the',
    'source column (`git -C <snapshot> show HEAD:<path> > <folder>/<model>`; for a model with external data, its',
    '`.onnx.data` file too), with a `sources.tsv` line `model<TAB>repository<TAB>path`. Then:',
    '',
    '```',
    `npm run build && node dist/scripts/compat-report.js ${basename(dir) === dir ? dir : '<folder>'} --calib ${basename(calib) === calib ? calib : '<images>'}`,
    '```',
    '',
    'Calibration and eval images: CIFAR-10 test images (class folders); each model\'s preprocessing is the preset',
    'matching its input size, or, when none does, the command again with `--preprocess imagenet` (then',
    '`fashion-mnist`), the remedy hwq\'s refusal names: images are resized and center-cropped to the model\'s H x W.',
    'Eval accuracies say only that the model ran, not how good it is.',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const calib = resolve(flag('--calib') ?? join(ROOT, '..', 'shared', 'data', 'cifar10', 'test'));
  const out = resolve(flag('--out') ?? join(ROOT, 'reports', 'compatibility.md'));
  const dir = args[0];
  if (!dir || args.length !== 1 || !existsSync(dir)) {
    console.error('usage: node dist/scripts/compat-report.js DIR [--calib IMAGES] [--out FILE] (DIR: a folder of .onnx files)');
    process.exit(2);
  }
  if (!existsSync(calib)) {
    console.error(`calibration images '${calib}' not found: pass --calib DIR`);
    process.exit(2);
  }
  const sources = readSources(dir);
  const files = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.onnx')).sort();
  const tmp = mkdtempSync(join(tmpdir(), 'hwq-compat-'));
  const rows: Row[] = [];
  try {
    for (const f of files) {
      const row = await reportOne(join(dir, f), calib, tmp, sources);
      console.log(`${f}: sim ${row.sim.kind}, quantize ${row.quantize.kind}, eval ${row.eval.kind}`);
      rows.push(row);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  writeFileAtomic(out, markdown(rows, dir, calib));
  console.log(`wrote ${out} (${rows.length} models)`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
