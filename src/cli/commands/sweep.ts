// `hwq sweep <networks...>`: networks x configs x array sizes x precisions -> CSV, Markdown and an SVG chart
// of speedup over the first precision.
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { stringify } from 'csv-stringify/sync';
import { loadConfig } from '../../../hw/presets.js';
import { SweepPoint, parseArrays, sweepPointCount } from '../../../sim/sweep.js';
import { loadNetwork } from '../network-source.js';
import { CommonSimArgs, DEFAULT_CONFIG, commonSimOptions, parsePrecisionList, precisionOptions, refuseRepeats } from '../sim-options.js';
import { progress } from '../progress.js';
import { JobArgs, execOptions, jobOptions } from '../job-options.js';
import { networkSource, runSweepJobs } from '../sweep-jobs.js';
import { wantProgress } from '../flags.js';
import { checkOutputs } from '../outputs.js';
import { writeFilesAtomic } from '../../fsutil.js';
// A static import keeps the ncc bundle one file (a dynamic import becomes a separate chunk).
import { groupedBarSpec, renderSvg } from '../../report/chart.js';
import { UserError } from '../../errors.js';

interface SweepArgs extends CommonSimArgs, JobArgs {
  networks: string[];
  precisions: string;
  configs?: string;
  arrays?: string;
  vary?: string[];
  out?: string;
  json: boolean;
  csv: boolean;
}

export function sweepCsv(points: SweepPoint[]): string {
  // a varied field is a column after the array size (rows and cols have theirs already)
  return stringify(points.map(({ varied, model, config, rows, cols, ...p }) => ({
    model,
    config,
    rows,
    cols,
    ...Object.fromEntries(Object.entries(varied ?? {}).filter(([k]) => k !== 'rows' && k !== 'cols')),
    ...p,
    latencyMs: p.latencyMs.toFixed(4),
    energyUJ: p.energyUJ.toFixed(2),
    gopsPerSecond: p.gopsPerSecond.toFixed(2),
    speedup: p.speedup.toFixed(3),
    energyReduction: p.energyReduction.toFixed(3),
  })), { header: true });
}

export function sweepMarkdown(points: SweepPoint[], title: string): string {
  const rows = points.map((p) => `| ${p.model} | ${p.config} | ${p.rows}x${p.cols} | ${p.precision} | ${p.totalCycles.toLocaleString('en-US')} `
    + `| ${p.latencyMs.toFixed(3)} | ${p.speedup.toFixed(2)}x | ${p.energyUJ.toFixed(1)} | ${p.energyReduction.toFixed(2)}x |`);
  return [
    `# ${title}`,
    '',
    '| model | config | array | precision | cycles | latency ms | speedup | energy uJ | energy reduction |',
    '|---|---|---|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

/** A --vary point that sets rows or cols names them in its config label already. */
const sizeInLabel = (p: SweepPoint): boolean => p.varied !== undefined && ('rows' in p.varied || 'cols' in p.varied);

export async function sweepSvg(points: SweepPoint[], title: string): Promise<string> {
  const order = [...new Set(points.map((p) => p.precision))];
  const multiArray = new Set(points.map((p) => `${p.rows}x${p.cols}`)).size > 1;
  return renderSvg(groupedBarSpec(
    title,
    points.map((p) => ({
      group: p.model, x: p.precision, series: multiArray && !sizeInLabel(p) ? `${p.config} ${p.rows}x${p.cols}` : p.config, y: Number(p.speedup.toFixed(3)),
    })),
    'precision',
    `speedup over ${order[0]}`,
    order,
  ));
}

/** --configs a,b or --config a (the option `hwq sim` takes, one config); not both. */
export function configList(a: { config?: string; configs?: string }): string[] {
  if (a.config !== undefined && a.configs !== undefined) throw new UserError(`give --config ${a.config} or --configs ${a.configs}, not both (--configs takes a comma-separated list)`);
  if (a.config !== undefined) {
    if (a.config.trim() === '') throw new UserError('--config is empty: give a preset such as vc709 or a .json file');
    return [a.config.trim()];
  }
  const list = (a.configs ?? DEFAULT_CONFIG).split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new UserError('--configs is empty: give presets such as vc709,bitfusion-asic');
  return list;
}

const VARY_EXAMPLE = 'hwq sweep bf-lenet5 --config vc709 --vary rows=8,16 --vary cols=2*rows --vary "wbuf.bytes=64 KiB,256 KiB"';

export const command: CommandModule<{}, SweepArgs> = {
  command: 'sweep <networks..>',
  describe: 'Sweep networks x precisions x configs (x array sizes): CSV, Markdown table and SVG chart',
  builder: (y: Argv) =>
    jobOptions(commonSimOptions(y, false))
      .positional('networks', { type: 'string', array: true, demandOption: true, describe: 'Zoo names or .onnx files' })
      .option('precisions', { type: 'string', requiresArg: true, default: 'a8w8,a8w4,a4w4', describe: 'Comma-separated a<A>w<W> list; speedups are over the first' })
      .option('configs', { type: 'string', requiresArg: true, defaultDescription: DEFAULT_CONFIG, describe: 'Comma-separated presets or .json files (--config names one)' })
      .option('arrays', { type: 'string', requiresArg: true, describe: 'Comma-separated array sizes <rows>x<cols> tried on every config (e.g. 8x8,16x16,16x32)' })
      .option('vary', {
        type: 'string', array: true, nargs: 1, requiresArg: true,
        describe: 'A config field to vary, once per field: a list (rows=8,16,32; "wbuf.bytes=64 KiB,256 KiB") '
          + 'or an expression over other varied fields (cols=2*rows); lists form a product',
      })
      .option('out', { type: 'string', requiresArg: true, describe: 'Directory for sweep.csv, sweep.md and sweep.svg (default: Markdown to stdout)' })
      .option('json', { type: 'boolean', describe: 'Print the points as JSON' })
      .option('csv', { type: 'boolean', describe: 'Print the points as CSV' })
      .conflicts('json', 'csv')
      .example('hwq sweep resnet18 mobilenetv2 --configs vc709,bitfusion-asic --out sweep/', 'three precisions on two designs')
      .example(VARY_EXAMPLE, 'four designs derived from vc709') as unknown as Argv<SweepArgs>,
  handler: async (argv) => {
    const outDir = argv.out === undefined ? undefined : checkOutputs([{ flag: 'out', path: argv.out, kind: 'dir' }])[0];
    const exec = execOptions(argv);
    const networks = argv.networks.map((n) => loadNetwork(n, argv['input-shape']));
    refuseRepeats('the network list', networks.map((n) => n.name));
    const sources = new Map(networks.map((net, i) => [net, networkSource(argv.networks[i], argv['input-shape'])]));
    const configs = configList(argv).map(loadConfig);
    refuseRepeats('the config list (by config name)', configs.map((c) => c.name));
    const arrays = argv.arrays ? parseArrays(argv.arrays) : [];
    refuseRepeats('--arrays', arrays.map(([r, c]) => `${r}x${c}`));
    const spec = {
      networks,
      configs,
      arrays,
      vary: argv.vary,
      precisions: parsePrecisionList(argv.precisions),
      batch: argv.batch,
      base: precisionOptions(argv, undefined),
    };
    const total = sweepPointCount(spec);
    const bar = progress(`sweep ${total} points`, wantProgress(argv.progress));
    let points: SweepPoint[];
    try {
      ({ points } = await runSweepJobs(spec, sources, argv.model, { ...exec, onProgress: (done) => bar.update(done, total) }));
    } finally {
      bar.stop();
    }
    const title = `Speedup over ${spec.precisions.length ? argv.precisions.split(',')[0] : ''} (${argv.model} model, batch ${argv.batch})`;
    if (outDir !== undefined) {
      const svg = await sweepSvg(points, title);
      writeFilesAtomic({ [join(outDir, 'sweep.csv')]: sweepCsv(points), [join(outDir, 'sweep.md')]: sweepMarkdown(points, title), [join(outDir, 'sweep.svg')]: svg });
      process.stderr.write(`wrote ${join(argv.out!, 'sweep.csv')}, sweep.md, sweep.svg (${points.length} points)\n`);
    }
    if (argv.json) process.stdout.write(JSON.stringify(points, null, 2) + '\n');
    else if (argv.csv) process.stdout.write(sweepCsv(points));
    else if (outDir === undefined) process.stdout.write(sweepMarkdown(points, title));
  },
};

export default command;
