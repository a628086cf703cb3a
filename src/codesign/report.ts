// What a co-design campaign found, as files: front.csv (every measured point, predicted beside measured),
// front.md (the same for a reader, with the float model, the proxy's rank correlation and how each uniform
// precision compares with the searched mixes), front.svg (accuracy against the objective, uniform points labelled)
// and sensitivity.csv (the proxy itself: each layer's damage at each precision).
import { stringify } from 'csv-stringify/sync';
import type { TopLevelSpec } from 'vega-lite';
import type { Objective } from './cost-table.js';
import { type CodesignResult, type PointResult, describeMix, objectiveOf } from './campaign.js';

export interface ReportContext {
  model: string;
  recipe: string;
  objective: Objective;
  heldOutImages: number;
  calibrationImages: number;
  evalData: string;
}

const UNIT: Record<Objective, string> = { latency: 'ms', energy: 'uJ', size: 'bytes' };
const pctOf = (x: number) => (100 * x).toFixed(2);
const fixed = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '');
const layerList = (p: PointResult) => p.precisions.map((q) => `a${q.a}w${q.w}`).join(';');

export function frontCsv(r: CodesignResult): string {
  return stringify(r.points.map((p) => ({
    id: p.id, kind: p.kind, config: p.config, on_front: p.onFront ? 'yes' : 'no', mix: describeMix(p.precisions),
    predicted_damage: p.predicted.damage.toPrecision(6), predicted_latency_ms: fixed(p.predicted.latencyMs, 5),
    predicted_energy_uj: fixed(p.predicted.energyUJ, 3), predicted_weight_bytes: String(p.predicted.weightBytes),
    top1: pctOf(p.measured.top1), top5: pctOf(p.measured.top5), drop: p.measured.drop.toFixed(2), drop_se: p.measured.dropSe.toFixed(2),
    only_float: String(p.measured.onlyFloat), only_quantized: String(p.measured.onlyQuantized),
    cycles: String(p.measured.cycles), latency_ms: fixed(p.measured.latencyMs, 5), energy_uj: fixed(p.measured.energyUJ, 3),
    weight_bytes: String(p.measured.weightBytes), layer_precisions: layerList(p),
  })), { header: true });
}

export function sensitivityCsv(r: CodesignResult): string {
  const s = r.sensitivity;
  return stringify(s.layers.map((name, l) => ({
    layer: name, ...Object.fromEntries(s.candidates.map((c, k) => [`a${c.a}w${c.w}`, s.damage[l][k].toPrecision(6)])),
  })), { header: true });
}

/** The uniform point of `setting` ('a8w8') on `config`, if measured. */
function uniformOn(r: CodesignResult, setting: string, config: string): PointResult | undefined {
  return r.points.find((p) => p.kind === 'uniform' && p.config === config && p.uniform && `a${p.uniform.a}w${p.uniform.w}` === setting);
}

/** For each uniform point, the cheapest searched point at least as accurate and no dearer (null: none). */
export function uniformComparison(r: CodesignResult, objective: Objective): Array<{ uniform: PointResult; matchedBy: PointResult | null }> {
  return r.points.filter((p) => p.kind === 'uniform').map((u) => {
    const cost = objectiveOf(u.measured, objective);
    const better = r.points.filter((p) => p.kind === 'searched' && objectiveOf(p.measured, objective) <= cost && p.measured.top1 >= u.measured.top1);
    better.sort((a, b) => objectiveOf(a.measured, objective) - objectiveOf(b.measured, objective));
    return { uniform: u, matchedBy: better[0] ?? null };
  });
}

export function frontMarkdown(r: CodesignResult, c: ReportContext): string {
  const unit = UNIT[c.objective];
  const configs = [...new Set(r.points.map((p) => p.config))];
  const lines = [
    `# Co-design front: ${c.model}`,
    '',
    `Float top-1 ${pctOf(r.float.top1)} % on ${r.float.images} images of ${c.evalData}. Recipe \`${c.recipe}\`, ${c.calibrationImages} calibration images; `
      + `sensitivities on ${c.heldOutImages} held-out calibration images (mean KL divergence from the float outputs, each layer alone at each precision). `
      + `Objective: ${c.objective} (${unit}). Configs: ${configs.join(', ')}.`,
    '',
    `Rank correlation (Spearman) of predicted damage and measured drop over the ${new Set(r.points.map(layerList)).size} distinct measured mixes: `
      + `${r.rankCorrelation === null ? 'undetermined (fewer than 3 mixes, or a constant side)' : r.rankCorrelation.toFixed(3)}.`,
    ...(r.chosen === undefined ? [] : ['', r.chosen === null ? '**No measured point meets the goal.**' : `**Answer: ${r.chosen}** (below).`]),
    '',
  ];
  for (const config of configs) {
    const pts = r.points.filter((p) => p.config === config).sort((a, b) => a.measured.latencyMs - b.measured.latencyMs);
    const a8w8 = uniformOn(r, 'a8w8', config);
    const a4w4 = uniformOn(r, 'a4w4', config);
    lines.push(`## ${config}`, '');
    lines.push(`| point | front | mix | top-1 % | drop (SE) pts | latency ms | ${a8w8 ? 'x A8W8 | ' : ''}${a4w4 ? 'x A4W4 | ' : ''}energy uJ | weights KiB | predicted damage | predicted ${unit} |`);
    lines.push(`|---|---|---|---:|---:|---:|${a8w8 ? '---:|' : ''}${a4w4 ? '---:|' : ''}---:|---:|---:|---:|`);
    for (const p of pts) {
      const rel = (u: PointResult | undefined) => (u ? `${(p.measured.latencyMs / u.measured.latencyMs).toFixed(3)} | ` : '');
      lines.push(`| ${p.id === r.chosen ? `**${p.id}**` : p.id} | ${p.onFront ? 'yes' : ''} | ${describeMix(p.precisions)} | ${pctOf(p.measured.top1)} | `
        + `${p.measured.drop.toFixed(2)} (${p.measured.dropSe.toFixed(2)}) | ${fixed(p.measured.latencyMs, 4)} | ${rel(a8w8)}${rel(a4w4)}${fixed(p.measured.energyUJ, 1)} | `
        + `${(p.measured.weightBytes / 1024).toFixed(1)} | ${p.predicted.damage.toPrecision(3)} | ${fixed(objectiveOf(p.predicted, c.objective), c.objective === 'size' ? 0 : 4)} |`);
    }
    lines.push('');
  }
  const cmp = uniformComparison(r, c.objective);
  if (cmp.length) {
    lines.push(`## Uniform precisions against the searched mixes (${c.objective})`, '');
    for (const { uniform: u, matchedBy: m } of cmp) {
      lines.push(`- ${u.id} on ${u.config} (top-1 ${pctOf(u.measured.top1)} %, ${fixed(objectiveOf(u.measured, c.objective), 4)} ${unit}): `
        + (m ? `matched or beaten by ${m.id} (top-1 ${pctOf(m.measured.top1)} %, ${fixed(objectiveOf(m.measured, c.objective), 4)} ${unit})` : 'no searched point is both as accurate and as cheap'));
    }
    lines.push('');
  }
  lines.push('Latency, energy and cycles are `hwq sim` of each point\'s .hwq model; the predicted figures are the sums of the per-layer cost tables. '
    + 'The drop is float minus quantized top-1 on the same images, with its paired standard error.', '');
  return lines.join('\n');
}

/** Accuracy against the objective: searched points and uniform points (labelled), one colour per config. */
export function frontSpec(r: CodesignResult, c: ReportContext): TopLevelSpec {
  const multi = new Set(r.points.map((p) => p.config)).size > 1;
  const values = r.points.map((p) => ({
    x: objectiveOf(p.measured, c.objective), y: 100 * p.measured.top1, se: p.measured.dropSe,
    series: `${p.kind === 'uniform' ? 'uniform' : 'searched'}${multi ? ` (${p.config})` : ''}`,
    label: p.uniform ? `A${p.uniform.a}W${p.uniform.w}` : '', frontLine: p.kind === 'searched' && p.onFront,
  }));
  const x = { field: 'x', type: 'quantitative', title: `${c.objective} (${UNIT[c.objective]})`, scale: { type: 'log' } } as const;
  const y = { field: 'y', type: 'quantitative', title: 'top-1 %', scale: { zero: false } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${c.model}: measured accuracy against ${c.objective}`,
    width: 420,
    height: 300,
    data: { values },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 60, tooltip: true },
        encoding: { x, y, color: { field: 'series', type: 'nominal', title: null }, shape: { field: 'series', type: 'nominal', title: null } },
      },
      { mark: { type: 'text', dx: 4, dy: -8, align: 'left', fontSize: 10 }, encoding: { x, y, text: { field: 'label' } } },
      // the measured front of the searched mixes, joined in cost order
      {
        transform: [{ filter: 'datum.frontLine' }],
        mark: { type: 'line', opacity: 0.4 },
        encoding: { x, y, order: { field: 'x', type: 'quantitative' }, color: { field: 'series', type: 'nominal', title: null } },
      },
    ],
    config: { font: 'sans-serif', background: 'white' },
  } as unknown as TopLevelSpec;
}
