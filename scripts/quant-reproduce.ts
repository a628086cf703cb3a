// Re-measures cells of reports/quantization/results-<model>.csv (the rows behind comparison.csv) with the quantizer
// as it is now, with the runner's seeds, calibration draws, positions and evaluation (src/experiments/runner.ts), and
// prints expected against measured top-1; exits 1 when any cell differs at the hundredth. The table is written to
// reports/quantization/reproduction.md.
//
// Run: node dist/scripts/quant-reproduce.js [--cells resnet20] [--only A8W4:lp,W4:tflite] [--no-write]
//   --cells: only the cells of models whose stem contains this text
//   --only: only these setting:method cells
//   --no-write: print the table without writing reproduction.md
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/fsutil.js';
import { SHARED_MODELS } from '../src/experiments/shared-models.js';
import { EXPERIMENT_PLANS, SETTINGS, VARIANTS, modelStem, resultKey, type ResultRow } from '../src/experiments/plan.js';
import { RESULTS_DIR, measureRun, openBench, readResults, type Bench } from '../src/experiments/runner.js';

interface Cell { stem: string; experiment: string; setting: string; method: string }

/** Every comparison method and option on ResNet-20 (weight-only and A/W settings; LAPQ as lapq+bc, whose search
 *  re-rounds the weights with their bias correction, and as the activation-only search on Bit-split weights), and
 *  on MobileNetV2 the TF-Lite collapse at W4 and the best A6W6 recipe (bitsplit-mnv2) beside the same with smoothing. LAPQ cells take minutes each,
 *  MobileNetV2 cells 5-6. */
const CELLS: Cell[] = [
  ...([
    ['W4', 'tflite'], ['A4W4', 'mse'], ['A8W4', 'lp'], ['A8W8', 'kl'], ['W4', 'tflite+bc'], ['W4', 'lapq+bc'], ['A8W4', 'bitsplit+lapq-acts'],
    ['A4W4', 'bitsplit'], ['A4W4', 'bitsplit+ecaq'], ['A8W4', 'bitsplit+bc'], ['W3', 'bitsplit+ebc'], ['W3', 'log'], ['A8W4', 'bitsplit-acts-after'],
    ['A8W4', 'bitsplit-omse'], ['W3', 'bitsplit-damp'], ['W4', 'bitsplit-float-inputs'], ['A8W4', 'bitsplit-unquantized-fit'], ['A8W4', 'bitsplit-acts-after-kl'],
    ['A8W4', 'bitsplit-acts-after+ebc'],
  ] as const).map(([setting, method]) => ({ stem: 'resnet20', experiment: 'compare', setting, method })),
  { stem: 'mobilenetv2', experiment: 'compare', setting: 'W4', method: 'tflite' },
  { stem: 'mobilenetv2', experiment: 'compare', setting: 'A6W6', method: 'bitsplit-acts-after-omse+ecaq-dw-damp' },
  { stem: 'mobilenetv2', experiment: 'compare', setting: 'A6W6', method: 'bitsplit-acts-after-omse+ecaq-dw-damp-smooth' },
];

interface Outcome { cell: Cell; expected: string; got: string; seconds: string }

async function reproduce(b: Bench, cell: Cell, rows: ResultRow[], log: (line: string) => void): Promise<Outcome> {
  const run = EXPERIMENT_PLANS[cell.experiment].runs(cell.stem).find((r) => r.setting.label === cell.setting && r.variant.name === cell.method && (r.seed ?? 0) === 0);
  if (!run) throw new Error(`${cell.stem} ${cell.experiment} has no run ${cell.setting} ${cell.method}`);
  const key = resultKey({ experiment: cell.experiment, setting: cell.setting, method: cell.method, calib_images: String(run.calib), seed: '0' });
  const expected = rows.find((r) => resultKey(r) === key);
  if (!expected) throw new Error(`results-${cell.stem}.csv has no row ${key}`);
  const row = await measureRun(b, cell.experiment, run, EXPERIMENT_PLANS[cell.experiment].model(cell.stem), log);
  return { cell, expected: expected.top1, got: row.top1, seconds: row.quant_seconds };
}

const REPORT = join(RESULTS_DIR, 'reproduction.md');
const cellKey = (c: Cell) => `${c.stem} ${c.setting} ${c.method}`;

/** The table rows of the report as it stands, by cell (a run of some cells keeps the others' rows). */
function rowsOnFile(): Map<string, string> {
  const rows = new Map<string, string>();
  if (!existsSync(REPORT)) return rows;
  for (const line of readFileSync(REPORT, 'utf8').split('\n')) {
    const m = /^\| (\S+) \| (\S+) \| (\S+) \|/.exec(line);
    if (m && m[1] !== 'model') rows.set(`${m[1]} ${m[2]} ${m[3]}`, line);
  }
  return rows;
}

/** The cells measured so far, those still to run, and the rows of the others from the report on file (written after
 *  every cell, so a long run leaves its part). */
function table(outcomes: Outcome[], pending: Cell[], others: Map<string, string>): string {
  const lines = ['| model | setting | method | expected top-1 | got top-1 | equal | quantize s |', '|---|---|---|---:|---:|---|---:|'];
  const row = new Map(others);
  for (const o of outcomes) row.set(cellKey(o.cell), `| ${o.cell.stem} | ${o.cell.setting} | ${o.cell.method} | ${o.expected} | ${o.got} | ${o.expected === o.got ? 'yes' : 'NO'} | ${o.seconds} |`);
  for (const c of pending) row.set(cellKey(c), `| ${c.stem} | ${c.setting} | ${c.method} | | not run yet | | |`);
  for (const c of CELLS) if (row.has(cellKey(c))) lines.push(row.get(cellKey(c))!);
  return lines.join('\n') + '\n';
}

function writeReport(text: string): void {
  writeFileAtomic(REPORT, [
    '# Reproduction of the quantization results',
    '',
    'Generated by `node dist/scripts/quant-reproduce.js` (scripts/quant-reproduce.ts): each cell re-quantized with the',
    'seeds, calibration draw, sampled positions and evaluation of scripts/quant-experiments.ts, top-1 on the whole test',
    'set against the row of results-<model>.csv, equal to the hundredth.',
    '',
    text,
  ].join('\n'));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const only = flag('--only')?.split(',');
  const cells = CELLS.filter((c) => c.stem.includes(flag('--cells') ?? '') && (!only || only.includes(`${c.setting}:${c.method}`)));
  for (const c of cells) {
    if (!SETTINGS.some((s) => s.label === c.setting) || !VARIANTS.some((v) => v.name === c.method)) throw new Error(`unknown cell ${c.setting} ${c.method}`);
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const outcomes: Outcome[] = [];
  for (const stem of [...new Set(cells.map((c) => c.stem))]) {
    const sm = SHARED_MODELS.find((m) => modelStem(m.file) === stem)!;
    const bench = await openBench(sm, log);
    const rows = readResults(stem);
    for (const cell of cells.filter((c) => c.stem === stem)) {
      const o = await reproduce(bench, cell, rows, log);
      log(`${stem} ${cell.setting} ${cell.method}: expected ${o.expected}, got ${o.got} (${o.seconds} s)`);
      outcomes.push(o);
      if (!args.includes('--no-write')) writeReport(table(outcomes, cells.slice(outcomes.length), rowsOnFile()));
    }
  }
  process.stdout.write(table(outcomes, [], new Map()));
  if (outcomes.some((o) => o.expected !== o.got)) process.exit(1);
}

await main();
