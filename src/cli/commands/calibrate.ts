// `hwq calibrate --measured runs.csv --config <preset|json> --out board.json`: fits the cycle model's board timing
// (compute efficiency, DRAM efficiency, per-layer, per-tile and per-transfer overheads) to measured latencies and
// writes a config that `hwq sim` and `hwq sweep` take.
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { getPreset, loadConfig, presetNames } from '../../../hw/presets.js';
import { Calibration, ParamReport, boardConfigFile, calibrate, rms } from '../../calibrate/board-fit.js';
import { parseMeasurements } from '../../calibrate/measurements.js';
import { loadNetwork } from '../network-source.js';
import { checkOutputs } from '../outputs.js';
import { writeFilesAtomic } from '../../fsutil.js';
import { formatTable } from '../table.js';
import { reasonOf } from '../failures.js';
import { UserError } from '../../errors.js';

interface CalibrateArgs {
  measured: string;
  config: string;
  out: string;
  json: boolean;
}

const pct = (x: number | undefined) => (x === undefined ? '-' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`);
const share = (x: number) => `${(100 * x).toFixed(2)}%`;
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(4));

/** Why a parameter was not fitted, in a sentence the table can carry. */
export function statusText(p: ParamReport, dof: number): string {
  const s = p.status;
  switch (s.kind) {
    case 'fitted':
      return dof > 0 ? 'fitted' : 'fitted (no degrees of freedom: uncertainty undetermined)';
    case 'bound':
      return `held at its ${s.side} bound: the runs would push it past`;
    case 'no-effect':
      return 'held: no run\'s latency moves with it';
    case 'too-few':
      return `held: ${s.runs} run${s.runs > 1 ? 's' : ''} determine${s.runs > 1 ? '' : 's'} at most ${s.runs} parameter${s.runs > 1 ? 's' : ''}`;
    case 'collinear':
      return `held: the runs move with it as with ${s.with} (not identified apart)`;
  }
}

export function formatCalibration(c: Calibration, out: string): string {
  const fitted = c.params.filter((p) => p.status.kind === 'fitted').length;
  const lines = [
    `Calibrated ${c.base.name} (cycle model) to ${c.runs.length} measured run${c.runs.length > 1 ? 's' : ''}: ` +
      `${fitted} of ${c.params.length} parameters fitted, ${c.dof} degree${c.dof === 1 ? '' : 's'} of freedom`,
    '',
    formatTable(
      [
        { header: 'parameter' }, { header: 'start', numeric: true }, { header: 'fitted', numeric: true }, { header: '+- 1 sigma', numeric: true },
        { header: 'status' },
      ],
      c.params.map((p) => [
        p.path, num(p.start), num(p.value),
        p.sigma !== undefined ? num(p.sigma) : p.status.kind === 'fitted' ? 'undetermined' : '-',
        statusText(p, c.dof),
      ]),
    ),
    formatTable(
      [
        { header: 'line', numeric: true }, { header: 'network' }, { header: 'precision' }, { header: 'batch', numeric: true }, { header: 'layer' },
        { header: 'measured ms', numeric: true }, { header: 'model before', numeric: true }, { header: 'after', numeric: true },
        { header: 'residual', numeric: true }, { header: 'leave-one-out', numeric: true },
      ],
      c.runs.map((r) => {
        const m = r.measurement;
        return [
          String(m.line), m.network, m.precision, String(m.batch), m.layer ?? '', m.latencyMs.toPrecision(5), r.before.toPrecision(5),
          r.after.toPrecision(5), pct(r.residual), pct(r.leaveOneOut),
        ];
      }),
    ),
  ];
  const loo = c.runs.map((r) => r.leaveOneOut).filter((v): v is number => v !== undefined);
  lines.push(
    `rms relative error  before ${share(rms(c.runs.map((r) => r.before / r.measurement.latencyMs - 1)))}, ` +
      `after ${share(rms(c.runs.map((r) => r.residual)))}, leave-one-out ${loo.length ? share(rms(loo)) : '- (needs two runs)'}`,
  );
  lines.push(`wrote ${out}`);
  return lines.join('\n') + '\n';
}

function calibrationJson(c: Calibration, out: string): object {
  return {
    config: c.base.name,
    out,
    dof: c.dof,
    params: c.params.map((p) => {
      // the status's own sigma is in the fit's coordinates; the report's is in the config's units
      const { kind, ...detail } = p.status as ParamReport['status'] & { sigma?: number };
      delete detail.sigma;
      return { path: p.path, start: p.start, value: p.value, sigma: p.sigma ?? null, status: kind, ...detail };
    }),
    runs: c.runs.map((r) => ({
      line: r.measurement.line, network: r.measurement.network, precision: r.measurement.precision, batch: r.measurement.batch,
      layer: r.measurement.layer ?? null, measuredMs: r.measurement.latencyMs, beforeMs: r.before, afterMs: r.after,
      residual: r.residual, leaveOneOut: r.leaveOneOut ?? null,
    })),
  };
}

export const command: CommandModule<{}, CalibrateArgs> = {
  command: 'calibrate',
  describe: 'Fit the cycle model\'s board timing (efficiencies, overheads) to measured latencies; write a config',
  builder: (y: Argv) =>
    y
      .option('measured', {
        type: 'string', requiresArg: true, demandOption: true,
        describe: 'CSV of measured runs: network,precision,latency_ms[,batch][,layer] (latency of one batch in ms)',
      })
      .option('config', {
        type: 'string', requiresArg: true, demandOption: true, describe: `The design measured: a preset (${presetNames().join(', ')}) or a .json config`,
      })
      .option('out', { type: 'string', requiresArg: true, demandOption: true, describe: 'Where to write the calibrated config (JSON)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the fit as JSON' })
      .example('hwq calibrate --measured runs.csv --config vc709 --out board.json', 'fit the VC709 board, then: hwq sim resnet18 --config board.json')
      .strict() as unknown as Argv<CalibrateArgs>,
  handler: async (argv) => {
    const out = checkOutputs([{ flag: 'out', path: argv.out, kind: 'file' }], [{ what: 'the measurements file', path: argv.measured }])[0];
    const base = loadConfig(argv.config);
    let text: string;
    try {
      text = readFileSync(argv.measured, 'utf8');
    } catch (e) {
      throw new UserError(`cannot read --measured '${argv.measured}': ${reasonOf((e as NodeJS.ErrnoException).code ?? 'error')}`);
    }
    const runs = parseMeasurements(text, argv.measured, (spec) => loadNetwork(spec));
    const c = calibrate(base, runs);
    const preset = getPreset(argv.config) ? argv.config : undefined;
    writeFilesAtomic({ [out]: JSON.stringify(boardConfigFile(c, preset), null, 2) + '\n' });
    if (argv.json) process.stdout.write(JSON.stringify(calibrationJson(c, argv.out), null, 2) + '\n');
    else process.stdout.write(formatCalibration(c, argv.out));
  },
};

export default command;
