// Turns the measured rows (baselines-<model>.csv from quant-baselines.js, results-<model>.csv from
// quant-experiments.js) into reports/quantization/comparison.{md,csv,svg} and calib-size.{md,csv,svg}.
// Nothing is measured here: every number comes from a row a script measured.
// Run: node dist/scripts/quant-report.js
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from '../src/fsutil.js';
import { groupedBarSpec, lineSpec, renderSvg } from '../src/report/chart.js';
import { SHARED_MODELS } from '../src/experiments/shared-models.js';
import { findRecipe, weightMethodOf } from '../src/quant/recipes.js';
import {
  A6W6_CALIB_METHODS, BITSPLIT_DAMP, CALIB_SIZES, CALIB_SIZE_METHODS, DRAW_SEEDS, type DrawnRun, drawnRuns, EXACT_SESSION, modelRunConfig, SETTINGS,
  STUDY_LIMITS, TARGETS, VARIANTS, inPlan, modelStem, type ResultRow,
} from '../src/experiments/plan.js';

const OUT = join(import.meta.dirname, '..', '..', 'reports', 'quantization');

interface Row {
  model: string;
  setting: string;
  method: string;
  top1: number;
  drop: number;
  calib: string;
  source: string;
  /** EXACT_SESSION, or '' for a row measured before the exact sessions. */
  session: string;
}

function readCsv(path: string): Record<string, string>[] {
  return existsSync(path) ? (parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[]) : [];
}

/** Every column that is Bit-split weights with some option of the CLI (ECAQ, bias correction, act fit, ...). */
const BITSPLIT_FAMILY = VARIANTS.filter((v) => weightMethodOf(findRecipe(v.recipe)) === 'bitsplit').map((v) => v.name);

const fmt = (v: number | undefined) => (v === undefined ? '' : v.toFixed(2));
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
/** The measured top-1 values of a drawn run over its seeds. */
const drawnTop1 = (d: { bySeed: Array<ResultRow | undefined> } | undefined) => (d?.bySeed ?? []).filter((r): r is ResultRow => r !== undefined).map((r) => Number(r.top1));
/** A cell's value, marked when its row was measured before the exact sessions. */
const cell = (r: Row) => `${fmt(r.top1)}${r.session === EXACT_SESSION ? '' : STALE_MARK}`;
const STALE_MARK = '†';
const dropCell = (r: Row) => `${fmt(r.drop)}${r.session === EXACT_SESSION ? '' : STALE_MARK}`;

async function main(): Promise<void> {
  const compare: Row[] = [];
  const calibRows: Array<ResultRow> = [];
  const a6w6Rows: Array<ResultRow> = [];
  /** Each drawn run's rows by seed (0, ...DRAW_SEEDS); undefined where not measured yet. */
  const draws: Array<{ model: string; run: DrawnRun; bySeed: Array<ResultRow | undefined> }> = [];
  const floats = new Map<string, number>();
  for (const sm of SHARED_MODELS) {
    const stem = modelStem(sm.file);
    const base = readCsv(join(OUT, `baselines-${stem}.csv`));
    const results = readCsv(join(OUT, `results-${stem}.csv`)) as ResultRow[];
    const float = base.find((r) => r.setting === 'float') ?? results.find((r) => r.float_top1);
    if (!float) continue;
    floats.set(stem, Number(float.top1 ?? float.float_top1));
    const byKey = new Map<string, Row>();
    for (const r of base.filter((x) => x.setting !== 'float')) {
      byKey.set(`${r.setting}|${r.method}`, {
        model: stem, setting: r.setting, method: r.method, top1: Number(r.top1), drop: Number(r.drop),
        calib: '256', source: `baselines-${stem}.csv`, session: r.session ?? '',
      });
    }
    for (const r of results.filter((x) => x.experiment === 'compare')) {
      byKey.set(`${r.setting}|${r.method}`, {
        model: stem, setting: r.setting, method: r.method, top1: Number(r.top1), drop: Number(r.drop),
        calib: r.calib_images, source: `results-${stem}.csv`, session: r.session ?? '',
      });
    }
    compare.push(...byKey.values());
    calibRows.push(...results.filter((x) => x.experiment === 'calib-size'));
    a6w6Rows.push(...results.filter((x) => x.experiment === 'a6w6-calib'));
    // seed 0 is the compare row, or the a6w6-calib row for another number of images
    for (const run of drawnRuns(stem)) {
      const seed0 = run.calib === modelRunConfig(stem).calib ? 'compare' : 'a6w6-calib';
      const bySeed = [0, ...DRAW_SEEDS].map((seed) => results.find((x) => x.setting === run.setting && x.method === run.method && x.calib_images === String(run.calib)
        && Number(x.seed || 0) === seed && x.experiment === (seed === 0 ? seed0 : run.experiment)));
      draws.push({ model: sm.file, run, bySeed });
    }
  }
  const order = (r: Row) => [SHARED_MODELS.findIndex((m) => modelStem(m.file) === r.model), SETTINGS.findIndex((s) => s.label === r.setting), VARIANTS.findIndex((v) => v.name === r.method)];
  compare.sort((a, b) => {
    const x = order(a), y = order(b);
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  writeFileAtomic(join(OUT, 'comparison.csv'), stringify(compare.map((r) => ({ ...r, top1: r.top1.toFixed(2), drop: r.drop.toFixed(2) })), { header: true }));

  const staleCount = compare.filter((r) => r.session !== EXACT_SESSION).length;
  const md: string[] = [
    '# Post-training quantization: all methods, settings and models',
    '',
    `Generated by \`node dist/scripts/quant-report.js\` from the measured rows in \`baselines-<model>.csv\` (quant-baselines.js) and`,
    '`results-<model>.csv` (quant-experiments.js); every cell is the top-1 accuracy (%) of the quantized model run by onnxruntime',
    'on the whole evaluation set (CIFAR-10: 10,000 test images; ImageNet: the 1,300 validation images), jpeg-js decoding.',
    'Weights per output channel, activations per layer; first and last layer at 8 bits; WN = weight-only (float activations).',
    '',
    'Methods: `tflite` max-abs; `mse`, `lp` (p = 2.4) clipping; `kl` TensorRT entropy calibration of activations (tflite weights);',
    '`+bc` bias correction of the weight rounding shift, `+ebc` empirical bias correction (each layer\'s mean output through the',
    'quantized network set to the float one\'s); `lapq` loss-aware joint clip search (Powell, cross-entropy on the calibration labels); `bitsplit` Bit-split',
    'and Stitching with MSE-clipped activations, each layer reconstructed from the partly quantized network; `+ecaq` Error Compensated',
    'Activation Quantization (`+ecaq-dw`: on the depthwise layers only); `-omse` activation clips minimizing the layer\'s output error',
    '(each input channel\'s squared error weighted by the energy of the weights reading it); `-acts-after` weights fitted with float',
    `activations, activation quantizers calibrated afterwards; \`-damp\` the fit pulled towards the float weights (\`--damp ${BITSPLIT_DAMP}\`: a ridge of`,
    `${100 * BITSPLIT_DAMP} % of the mean diagonal of each layer's Gram matrix); \`log\` power-of-two weights (4 bits and below). Calibration: 256 images (ResNets); on MobileNetV2 all`,
    'methods use 128 images and 8,000 positions per layer (the reference run\'s protocol; a cell with no results row falls back to',
    'baselines-mobilenetv2.csv, measured with 256 images).',
    'A blank cell was not measured yet; `-` does not apply or is not in the plan: every column but',
    `${VARIANTS.filter((v) => !v.study).map((v) => `\`${v.name}\``).join(', ')} studies one option of Bit-split and runs on`,
    `${Object.entries(STUDY_LIMITS).map(([m, l]) => `${m} at ${l.join(', ')}`).join('; ')} only (src/experiments/plan.ts).`,
    'The best cell of each row is in bold.',
    '',
    `Sessions: since 2026-11-27 every QDQ model runs with its weight dequantization folded and, with quantized activations,`,
    'unoptimized, which computes the graph as written on any CPU (src/onnx/fold-dequant.ts). A cell marked ' + STALE_MARK + ' comes from a row',
    'measured before, at graph optimization \'basic\' on another machine, and not re-measured yet',
    `(\`quant-experiments.js <model> compare --stale\` re-runs those): ${staleCount} of ${compare.length} cells. Re-measured, ResNet-20 Bit-split`,
    'A8W4 / A4W4 / A3W3 moved from 80.27 / 80.02 / 77.53 to 80.22 / 79.69 / 77.35 and MobileNetV2 A6W6 `bitsplit-acts-after`',
    'from 77.38 to 77.08 (README.md of this folder).',
    '',
  ];
  const ALL_DRAWS = DRAW_SEEDS.length + 1;
  for (const sm of SHARED_MODELS) {
    const stem = modelStem(sm.file);
    const rows = compare.filter((r) => r.model === stem);
    if (rows.length === 0) continue;
    const methods = VARIANTS.filter((v) => rows.some((r) => r.method === v.name));
    md.push(`## ${sm.file} (float ${fmt(floats.get(stem))} %)`, '', `| setting | ${methods.map((m) => m.name).join(' | ')} |`, `|---|${methods.map(() => '---:').join('|')}|`);
    for (const s of SETTINGS) {
      const cells = methods.map((m) => rows.find((r) => r.setting === s.label && r.method === m.name));
      if (cells.every((c) => c === undefined)) continue;
      const best = Math.max(...cells.map((c) => c?.top1 ?? -1));
      md.push(`| ${s.label} | ${cells.map((c, i) => (c === undefined ? (inPlan(stem, methods[i], s) ? '' : '-') : c.top1 === best ? `**${cell(c)}**` : cell(c))).join(' | ')} |`);
    }
    md.push('');
    const targets = TARGETS[stem] ?? [];
    if (targets.length > 0) {
      md.push(
        `Targets on ${stem} (drop from float, points):`,
        '',
        '| setting | target | bitsplit | best Bit-split variant (one draw) | best mean over draws | tflite |',
        '|---|---:|---:|---|---|---:|',
      );
      const float = floats.get(stem) ?? 0;
      for (const t of targets) {
        const at = (m: string) => rows.find((r) => r.setting === t.setting && r.method === m);
        const plain = at('bitsplit');
        const fam = BITSPLIT_FAMILY.map(at).filter((r): r is Row => r !== undefined).sort((a, b) => a.drop - b.drop)[0];
        const drawsOf = (method: string) => drawnTop1(draws.find((d) => d.model === sm.file && d.run.setting === t.setting && d.run.method === method && d.run.calib === modelRunConfig(stem).calib));
        // a single draw can flatter a method: where it was drawn again, the mean over all its draws decides too
        // (seed 0 and DRAW_SEEDS; a partly drawn method waits until its draws are complete)
        const overDraws = (r: Row | undefined) => {
          const got = r ? drawsOf(r.method) : [];
          if (got.length < ALL_DRAWS) return '';
          const drop = float - mean(got);
          return `; mean of ${got.length} draws ${fmt(drop)} ${drop <= t.maxDrop ? 'met' : 'missed'}`;
        };
        const mark = (r: Row | undefined) => (r === undefined ? 'not run' : `${dropCell(r)} ${r.drop <= t.maxDrop ? 'met' : 'missed'}${overDraws(r)}`);
        const drawnHere = draws.filter((d) => d.model === sm.file && d.run.setting === t.setting && d.run.calib === modelRunConfig(stem).calib).map((d) => d.run.method);
        const means = drawnHere.map((m) => ({ m, got: drawsOf(m) })).filter((x) => x.got.length >= ALL_DRAWS).map((x) => ({ ...x, drop: float - mean(x.got) })).sort((a, b) => a.drop - b.drop);
        const bestMean = means.length > 0 ? `${means[0].m}: ${fmt(means[0].drop)} over ${means[0].got.length} draws, ${means[0].drop <= t.maxDrop ? 'met' : 'missed'}` : 'not drawn';
        md.push(`| ${t.setting} | <= ${t.maxDrop} | ${mark(plain)} | ${fam ? `${fam.method}: ${mark(fam)}` : 'not run'} | ${bestMean} | ${at('tflite') ? dropCell(at('tflite')!) : ''} |`);
      }
      md.push('');
    }
    const sweep = a6w6Rows.filter((r) => r.model === sm.file);
    if (sweep.length > 0) {
      const target = targets.find((t) => t.setting === 'A6W6');
      const sizes = [...new Set(sweep.map((r) => Number(r.calib_images)))].sort((a, b) => a - b);
      md.push(`A6W6 against the number of calibration images (\`quant-experiments.js ${stem} a6w6-calib\`; top-1 %, drop in brackets${target ? `, target drop <= ${target.maxDrop}` : ''}):`, '',
        `| method | ${sizes.join(' | ')} |`, `|---|${sizes.map(() => '---:').join('|')}|`);
      for (const m of A6W6_CALIB_METHODS) {
        const cells = sizes.map((n) => sweep.find((r) => r.method === m && Number(r.calib_images) === n));
        if (cells.every((c) => c === undefined)) continue;
        md.push(`| ${m} | ${cells.map((c) => (c ? `${c.top1} (${c.drop}${target ? ` ${Number(c.drop) <= target.maxDrop ? 'met' : 'missed'}` : ''})` : '')).join(' | ')} |`);
      }
      md.push('');
    }
    const drawn = draws.filter((d) => d.model === sm.file && d.bySeed.some((r, seed) => seed > 0 && r));
    if (drawn.length > 0) {
      const seeds = [0, ...DRAW_SEEDS];
      const images = drawn.flatMap((d) => d.bySeed).find((r) => r)!.eval_images;
      md.push(`Over draws of the calibration images and of the sampled positions (\`quant-experiments.js ${stem} ${[...new Set(drawn.map((d) => d.run.experiment))].join(' / ')}\`;`,
        'seed 0 is the compare row, or with other image counts the a6w6-calib row; top-1 %, sd of one draw, '
          + "standard error of the mean (sd / sqrt(draws)), the paired standard error of one draw's drop against",
        `the float model on these images (mean over the draws measured since that column exists), the mean drop against the target; one image is ${fmt(100 / Number(images))} points):`, '',
        `| setting | method | images | ${seeds.map((n) => `seed ${n}`).join(' | ')} | mean | sd | se of mean | se of one drop | mean drop |`,
        `|---|---|---:|${seeds.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|`);
      for (const d of drawn) {
        const target = targets.find((t) => t.setting === d.run.setting);
        const got = drawnTop1(d);
        const m = mean(got);
        const sd = Math.sqrt(got.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, got.length - 1));
        const drop = (floats.get(stem) ?? 0) - m;
        const ses = d.bySeed.filter((r): r is ResultRow => r !== undefined && r.drop_se !== undefined && r.drop_se !== '').map((r) => Number(r.drop_se));
        md.push(`| ${d.run.setting} | ${d.run.method} | ${d.run.calib} | ${d.bySeed.map((c) => (c ? c.top1 : '')).join(' | ')} | ${fmt(m)} `
          + `| ${got.length > 1 ? fmt(sd) : ''} | ${got.length > 1 ? fmt(sd / Math.sqrt(got.length)) : ''} | ${ses.length ? fmt(mean(ses)) : ''} `
          + `| ${fmt(drop)}${target ? ` ${drop <= target.maxDrop ? 'met' : 'missed'}` : ''} |`);
      }
      md.push('');
    }
    const low = SETTINGS.filter((x) => x.w <= 4).map((x) => x.label).filter((l) => rows.some((r) => r.setting === l && r.method === 'bitsplit'));
    if (low.length > 0) {
      md.push(`Bit-split against TF-Lite at 4 bits and below on ${stem} (top-1 %):`, '', '| setting | tflite | bitsplit | gain | best Bit-split variant | gain |', '|---|---:|---:|---:|---|---:|');
      for (const l of low) {
        const at = (m: string) => rows.find((r) => r.setting === l && r.method === m);
        const t = at('tflite'), b = at('bitsplit');
        const fam = BITSPLIT_FAMILY.map(at).filter((r): r is Row => r !== undefined).sort((x, y) => y.top1 - x.top1)[0];
        const gain = (r: Row | undefined) => (r && t ? `${r.top1 - t.top1 >= 0 ? '+' : ''}${(r.top1 - t.top1).toFixed(2)}` : '');
        md.push(`| ${l} | ${t ? cell(t) : ''} | ${b ? cell(b) : ''} | ${gain(b)} | ${fam ? `${fam.method} ${cell(fam)}` : ''} | ${gain(fam)} |`);
      }
      md.push('');
    }
  }
  md.push('![Top-1 at 4 bits and below](comparison.svg)', '');
  writeFileAtomic(join(OUT, 'comparison.md'), md.join('\n'));
  const low = SETTINGS.filter((s) => s.w <= 4 && (s.a ?? 0) <= 8).map((s) => s.label);
  const chartMethods = ['tflite', 'mse', 'kl', 'lapq', 'bitsplit', 'bitsplit+ecaq', 'bitsplit-acts-after-omse+ecaq-dw', 'log'];
  writeFileAtomic(join(OUT, 'comparison.svg'), await renderSvg(groupedBarSpec('Top-1 (%) at 4 bits and below',
    compare.filter((r) => low.includes(r.setting) && chartMethods.includes(r.method)).map((r) => ({ group: r.model, x: r.setting, series: r.method, y: r.top1 })), 'setting', 'top-1 %', low)));

  // Fig. 7 of the paper: accuracy against the number of calibration images.
  if (calibRows.length > 0) {
    const cmd: string[] = [
      '# Calibration-set size (the Bit-split paper\'s Fig. 7)',
      '',
      'Generated by `node dist/scripts/quant-report.js` from the `calib-size` rows of `results-<model>.csv`',
      '(`node dist/scripts/quant-experiments.js <model> calib-size`). A8W4 (first and last layer 8-bit), top-1 % on the whole',
      `evaluation set, calibration images a seeded sample (seed 0) of the calib folder: ${CALIB_SIZES.join(', ')} images.`,
      `${STALE_MARK}: measured before the exact sessions (comparison.md), not re-measured yet.`,
      '',
    ];
    const csvRows: Record<string, string>[] = [];
    for (const sm of SHARED_MODELS) {
      const stem = modelStem(sm.file);
      const rows = calibRows.filter((r) => r.model === sm.file);
      if (rows.length === 0) continue;
      const sizes = [...new Set(rows.map((r) => Number(r.calib_images)))].sort((a, b) => a - b);
      cmd.push(`## ${sm.file} (float ${fmt(floats.get(stem))} %)`, '', `| method | ${sizes.join(' | ')} |`, `|---|${sizes.map(() => '---:').join('|')}|`);
      for (const m of CALIB_SIZE_METHODS) {
        const cells = sizes.map((n) => {
          const r = rows.find((x) => x.method === m && Number(x.calib_images) === n);
          return r ? `${r.top1}${r.session === EXACT_SESSION ? '' : STALE_MARK}` : '';
        });
        if (cells.every((c) => c === '')) continue;
        cmd.push(`| ${m} | ${cells.join(' | ')} |`);
      }
      cmd.push('');
      for (const r of rows) csvRows.push({ model: stem, method: r.method, calib_images: r.calib_images, top1: r.top1, drop: r.drop, quant_seconds: r.quant_seconds });
    }
    cmd.push('![Top-1 against calibration images](calib-size.svg)', '');
    writeFileAtomic(join(OUT, 'calib-size.md'), cmd.join('\n'));
    writeFileAtomic(join(OUT, 'calib-size.csv'), stringify(csvRows, { header: true }));
    writeFileAtomic(join(OUT, 'calib-size.svg'), await renderSvg(lineSpec('A8W4 top-1 (%) against calibration images',
      csvRows.map((r) => ({ group: r.model, x: Number(r.calib_images), series: r.method, y: Number(r.top1) })), 'calibration images', 'top-1 %', true)));
  }
}

await main();
