// Co-design campaigns on the shared models, as `hwq codesign` runs them: writes reports/codesign/<campaign>/
// (front.csv, front.md, front.svg, sensitivity.csv; the per-point models are left out, and targets.md: each target
// against the measured front) and reports/bench/codesign-<campaign>.md (how long the campaign took, cold and rerun
// from the cache with a budget).
// Run: node dist/scripts/codesign-report.js [--only <campaign>,...] [--cache DIR] [--points N] [--jobs N | --queue redis://host:port]
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type CodesignArgs, CODESIGN_DEFAULTS, codesignFiles, codesignFromArgs } from '../src/cli/commands/codesign.js';
import { type CodesignResult, type PointResult, describeMix } from '../src/codesign/campaign.js';
import type { ReportContext } from '../src/codesign/report.js';
import { uniformComparison } from '../src/codesign/report.js';
import { sharedPath } from '../src/experiments/shared-models.js';
import { writeFileAtomic } from '../src/fsutil.js';

const REPORTS = join(import.meta.dirname, '..', '..', 'reports');

interface Campaign {
  id: string;
  model: string[];
  config: string;
  calib: string[];
  data: string[];
  recipe: string;
  /** The target: a point within `maxDrop` of float at no more than `ratio` x the latency of uniform `vs`. */
  target: { vs: string; ratio: number; maxDrop: number };
}

const CAMPAIGNS: Campaign[] = [
  {
    id: 'resnet20-vc709', model: ['models', 'cifar10-resnet20.onnx'], config: 'vc709', calib: ['data', 'cifar10', 'calib'], data: ['data', 'cifar10', 'test'],
    recipe: 'bitsplit', target: { vs: 'a4w4', ratio: 0.75, maxDrop: 1.0 },
  },
  {
    id: 'mobilenetv2-asic', model: ['models', 'imagenet-mobilenetv2.onnx'], config: 'bitfusion-asic', calib: ['data', 'imagenet', 'calib'],
    data: ['data', 'imagenet', 'val'], recipe: 'bitsplit-mnv2', target: { vs: 'a8w8', ratio: 0.65, maxDrop: 1.0 },
  },
];

interface Outcome {
  c: Campaign;
  front: CodesignResult;
  ctx: ReportContext;
  budget: CodesignResult;
  /** The --points the front ran with. */
  points: number;
  seconds: { front: number; rerun: number };
  load: { before: number; after: number };
}

const pct = (x: number) => (100 * x).toFixed(2);

function argsOf(c: Campaign, cache: string, extra: Partial<CodesignArgs>): CodesignArgs {
  const path = (p: string[]) => {
    const found = sharedPath(...p);
    if (!found) throw new Error(`missing ../shared/${p.join('/')}`);
    return found;
  };
  return { ...CODESIGN_DEFAULTS, model: path(c.model), config: c.config, calib: path(c.calib), data: path(c.data), recipe: c.recipe, cache, 'first-last': undefined, ...extra } as CodesignArgs;
}

async function run(c: Campaign, cache: string, points: number, jobs: Partial<CodesignArgs>): Promise<Outcome> {
  const log = (line: string) => process.stderr.write(`[${c.id}] ${line}\n`);
  const before = loadavg()[0];
  const t0 = Date.now();
  const { result: front, ctx } = await codesignFromArgs(argsOf(c, cache, { ...jobs, points, progress: true }), log);
  const tFront = (Date.now() - t0) / 1000;
  const ref = front.points.find((p) => p.uniform && `a${p.uniform.a}w${p.uniform.w}` === c.target.vs);
  if (!ref) throw new Error(`${c.id}: no uniform ${c.target.vs} point`);
  const t1 = Date.now();
  const { result: budget } = await codesignFromArgs(argsOf(c, cache, { ...jobs, budget: `${ref.measured.latencyMs * c.target.ratio}ms`, progress: true }), log);
  const tRerun = (Date.now() - t1) / 1000;
  return { c, front, ctx, budget, points, seconds: { front: tFront, rerun: tRerun }, load: { before, after: loadavg()[0] } };
}

/** The cheapest measured point (of either run) within the drop, and the reference uniform point. */
function targetCheck(o: Outcome): { ref: PointResult; best: PointResult | undefined; met: boolean } {
  // the budget run's points renamed, so that they are not taken for the front's points of the same id
  const all = [...o.front.points, ...o.budget.points.filter((p) => p.kind === 'searched').map((p) => ({ ...p, id: `budget run ${p.id}` }))];
  const ref = o.front.points.find((p) => p.uniform && `a${p.uniform.a}w${p.uniform.w}` === o.c.target.vs)!;
  const within = all.filter((p) => p.measured.drop <= o.c.target.maxDrop).sort((a, b) => a.measured.latencyMs - b.measured.latencyMs);
  const best = within[0];
  return { ref, best, met: best !== undefined && best.measured.latencyMs <= o.c.target.ratio * ref.measured.latencyMs * (1 + 1e-9) };
}

function lowBitLayers(r: CodesignResult, p: PointResult): string {
  const two = p.precisions.map((q, k) => (q.a === 2 || q.w === 2 ? `${r.layers[k]} (a${q.a}w${q.w})` : '')).filter(Boolean);
  return two.length ? two.join(', ') : 'none';
}

/**
 * Where the budget's answer leaves the target's uniform reference (as measured: first and last layer 8-bit): each
 * layer it runs at another precision and the damage the proxy predicted for both, so a missed target shows which
 * layers could not go lower and what they would have cost.
 */
function lowBitTable(o: Outcome, answer: PointResult, ref: PointResult): string[] {
  const s = o.front.sensitivity;
  const damage = (l: number, a: number, w: number) => s.damage[l][s.candidates.findIndex((c) => c.a === a && c.w === w)];
  const rows = answer.precisions.map((p, l) => {
    const base = ref.precisions[l];
    if (p.a === base.a && p.w === base.w) return '';
    return `| ${o.front.layers[l]} | a${base.a}w${base.w} -> a${p.a}w${p.w} | ${damage(l, base.a, base.w).toPrecision(3)} -> ${damage(l, p.a, p.w).toPrecision(3)} |`;
  }).filter(Boolean);
  return rows.length ? ['', `  The budget's answer against uniform ${o.c.target.vs.toUpperCase()}, layer by layer (predicted damage, mean KL on the held-out images):`, '',
    '  | layer | precision | damage |', '  |---|---|---:|', ...rows.map((r) => `  ${r}`), ''] : [];
}

function targets(o: Outcome): string {
  const lines = [
    `# Co-design targets: ${o.c.id}`,
    '',
    `Generated by \`node dist/scripts/codesign-report.js --only ${o.c.id}\` (needs \`../shared\`): \`hwq codesign\` with the flags below, run once for `
      + 'its front and once more, from the cache, with a latency budget of the target (the budget\'s answer is measured too). The front is in front.md, '
      + `front.csv and front.svg beside this file, the proxy in sensitivity.csv; run times in \`reports/bench/codesign-${o.c.id}.md\`.`,
    '',
  ];
  {
    const { ref, best, met } = targetCheck(o);
    const t = o.c.target;
    const cmp = uniformComparison(o.front, 'latency');
    const unmatched = cmp.filter((x) => !x.matchedBy).map((x) => x.uniform.id);
    const answer = o.budget.points.find((p) => p.id === o.budget.chosen);
    const rho = o.front.rankCorrelation;
    lines.push(
      `\`hwq codesign ${o.c.model.at(-1)} --config ${o.c.config} --calib ${o.c.calib.join('/')} --data ${o.c.data.join('/')} --recipe ${o.c.recipe} `
        + `--points ${o.points}\` (${o.ctx.calibrationImages} calibration and ${o.ctx.heldOutImages} held-out images, `
        + `${o.front.float.images} evaluation images). Float top-1 ${pct(o.front.float.top1)} %.`,
      '',
      `- **Target**: a point within ${t.maxDrop.toFixed(1)} point of float at no more than ${t.ratio}x the latency of uniform ${t.vs.toUpperCase()} `
        + `(${ref.measured.latencyMs.toFixed(4)} ms, top-1 ${pct(ref.measured.top1)} %, drop ${ref.measured.drop.toFixed(2)}): **${met ? 'met' : 'not met'}**. `
        + (best ? `The cheapest measured point within ${t.maxDrop.toFixed(1)} point is ${best.id} (${describeMix(best.precisions)}): `
          + `drop ${best.measured.drop.toFixed(2)} (SE ${best.measured.dropSe.toFixed(2)}) at ${(best.measured.latencyMs / ref.measured.latencyMs).toFixed(3)}x; `
          + `its 2-bit layers: ${lowBitLayers(o.front, best)}.` : `No measured point is within ${t.maxDrop.toFixed(1)} point.`),
      `- **Budget run** (\`--budget ${(t.ratio * ref.measured.latencyMs).toFixed(4)}ms\`): `
        + (answer ? `${describeMix(answer.precisions)}, top-1 ${pct(answer.measured.top1)} % (drop ${answer.measured.drop.toFixed(2)}, SE ${answer.measured.dropSe.toFixed(2)}), `
          + `${(answer.measured.latencyMs / ref.measured.latencyMs).toFixed(3)}x.` : 'no mix fits the budget.'),
      ...(answer ? lowBitTable(o, answer, ref) : []),
      `- **Uniform points matched or beaten** in both accuracy and latency by a searched point: ${cmp.length - unmatched.length} of ${cmp.length}`
        + `${unmatched.length ? ` (not: ${unmatched.join(', ')})` : ''}.`,
      `- **Proxy**: Spearman rank correlation of predicted damage and measured drop over the measured mixes `
        + `${rho === null ? 'undetermined' : rho.toFixed(3)} (target 0.8: ${rho !== null && rho >= 0.8 ? 'met' : 'not met'}).`,
      '',
    );
  }
  return lines.join('\n');
}

function bench(o: Outcome): string {
  return [
    `# Co-design run times: ${o.c.id}`,
    '',
    `Generated by \`node dist/scripts/codesign-report.js\` on ${cpus().length} cores. "Front" is the whole campaign (sensitivities, search, every point `
      + 'quantized, evaluated and simulated) from an empty cache unless noted; "rerun" is the same campaign with a latency budget, from the cache.',
    '',
    '| campaign | front s | sensitivities s | search s | measurements s | mixes quantized (of all) | rerun with a budget s | load average before / after |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    `| ${o.c.id}${o.front.sensitivity.cached ? ' (sensitivities cached)' : ''} | ${o.seconds.front.toFixed(0)} | ${o.front.seconds.sensitivity.toFixed(0)} | `
      + `${o.front.seconds.search.toFixed(1)} | ${o.front.seconds.measure.toFixed(0)} | ${o.front.cache.quantizeRuns} (${o.front.cache.quantizeRuns + o.front.cache.quantizeHits}) | `
      + `${o.seconds.rerun.toFixed(1)} | ${o.load.before.toFixed(1)} / ${o.load.after.toFixed(1)} |`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, cache: { type: 'string' }, points: { type: 'string', default: String(CODESIGN_DEFAULTS.points) }, jobs: { type: 'string' }, queue: { type: 'string' } },
  });
  const only = values.only?.split(',');
  const chosen = CAMPAIGNS.filter((c) => !only || only.includes(c.id));
  if (chosen.length === 0) throw new Error(`--only: campaigns are ${CAMPAIGNS.map((c) => c.id).join(', ')}`);
  const cache = values.cache ?? mkdtempSync(join(tmpdir(), 'hwq-codesign-cache-'));
  for (const c of chosen) {
    if (values.jobs !== undefined && !/^[1-9][0-9]*$/.test(values.jobs)) throw new Error(`--jobs '${values.jobs}' must be a whole number of threads >= 1`);
    const o = await run(c, cache, Number(values.points), {
      ...(values.jobs !== undefined ? { jobs: Number(values.jobs) } : {}), ...(values.queue !== undefined ? { queue: values.queue } : {}),
    });
    const files = await codesignFiles(o.front, o.ctx);
    for (const [name, data] of files) if (!name.startsWith('points')) writeFileAtomic(join(REPORTS, 'codesign', c.id, name), data);
    writeFileAtomic(join(REPORTS, 'codesign', c.id, 'targets.md'), targets(o));
    // The bench file records a cold front; a run that found results in the cache re-renders the reports only.
    const cold = !o.front.sensitivity.cached && o.front.cache.quantizeHits === 0;
    if (cold) writeFileAtomic(join(REPORTS, 'bench', `codesign-${c.id}.md`), bench(o));
    process.stderr.write(`wrote reports/codesign/${c.id}/${cold ? ` and reports/bench/codesign-${c.id}.md` : ' (run times not written: results came from the cache)'}`
      + ` (cache ${cache})\n`);
  }
}

await main();
