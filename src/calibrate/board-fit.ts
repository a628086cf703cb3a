// Calibrating the cycle model to a board: the board timing parameters (hw/config.ts `board` and
// dram.efficiency) fitted to measured latencies by bounded least squares on the relative error
// (src/calibrate/fit.ts). Each evaluation simulates every distinct (network, precision, batch) of the runs once.
//
// The fit works in 1/computeEfficiency and 1/dram.efficiency: compute and transfer cycles are proportional to
// them, and the layer, tile and transfer overheads add cycles, so the model is linear in all five wherever the
// schedule's critical path stays put (a max of sums of such terms). Gauss-Newton then converges in a few steps.
import { BoardConfig, HwConfig, boardOf } from '../../hw/config.js';
import { simulateNetwork } from '../../sim/simulate.js';
import { planPrecisions, parsePrecision } from '../../sim/precision.js';
import { NetworkSimResult } from '../../sim/types.js';
import { FitParam, FitProblem, FitResult, ParamStatus, fitBounded, leaveOneOut } from './fit.js';
import { Measurement, OWN_PRECISIONS } from './measurements.js';

interface BoardParam {
  /** The config field it sets. */
  path: string;
  /** Config value -> the fitted coordinate and back; `slope` is d(value)/d(coordinate), for the uncertainty. */
  toFit: (v: number) => number;
  fromFit: (x: number) => number;
  slope: (x: number) => number;
  lower: number;
  upper: number;
  step: number;
}

const reciprocal = { toFit: (v: number) => 1 / v, fromFit: (x: number) => 1 / x, slope: (x: number) => -1 / (x * x) };
const identity = { toFit: (v: number) => v, fromFit: (x: number) => x, slope: () => 1 };

/**
 * In the order a tie is broken (with one measurement every parameter explains it alike): a board slower than the
 * model by a factor is first of all an array that sustains less than its peak.
 */
export const BOARD_PARAMS: BoardParam[] = [
  { path: 'board.computeEfficiency', ...reciprocal, lower: 1, upper: 100, step: 0.1 },
  { path: 'dram.efficiency', ...reciprocal, lower: 1, upper: 100, step: 0.1 },
  { path: 'board.layerOverheadCycles', ...identity, lower: 0, upper: 1e9, step: 1000 },
  { path: 'board.tileOverheadCycles', ...identity, lower: 0, upper: 1e9, step: 64 },
  { path: 'board.dramLatencyCycles', ...identity, lower: 0, upper: 1e9, step: 64 },
];

function valuesOf(cfg: HwConfig): number[] {
  const b = boardOf(cfg);
  return [b.computeEfficiency, cfg.dram.efficiency, b.layerOverheadCycles, b.tileOverheadCycles, b.dramLatencyCycles];
}

/** The config with the board parameters at these (config-unit) values. */
export function withBoard(base: HwConfig, v: readonly number[]): HwConfig {
  const board: BoardConfig = { computeEfficiency: v[0], layerOverheadCycles: v[2], tileOverheadCycles: v[3], dramLatencyCycles: v[4] };
  return { ...base, dram: { ...base.dram, efficiency: v[1] }, board };
}

/** Simulates one run's network with the cycle model: the precision as `hwq sim` reads it. */
export function simulateRun(m: Pick<Measurement, 'net' | 'precision' | 'batch'>, cfg: HwConfig): NetworkSimResult {
  const uniform = m.precision === OWN_PRECISIONS ? undefined : parsePrecision(m.precision);
  const plan = planPrecisions(m.net, { uniform });
  return simulateNetwork(m.net, cfg, { batch: m.batch, precisionOf: (l, i) => plan.of(l, i), precisionLabel: plan.label });
}

/** The model's latency of one run, ms: the whole network or its layer. */
export function runLatencyMs(m: Measurement, r: NetworkSimResult, cfg: HwConfig): number {
  if (m.layer === undefined) return r.latencyMs;
  const l = r.layers.find((x) => x.name === m.layer)!;
  return l.totalCycles / (cfg.clockMHz * 1e3);
}

export interface ParamReport {
  path: string;
  start: number;
  value: number;
  /** One standard deviation, config units; absent when not fitted or with no degrees of freedom. */
  sigma?: number;
  status: ParamStatus;
}

export interface RunReport {
  measurement: Measurement;
  before: number;
  after: number;
  /** after / measured - 1. */
  residual: number;
  /** Predicted by a fit to the other runs, / measured - 1. */
  leaveOneOut?: number;
}

export interface Calibration {
  base: HwConfig;
  config: HwConfig;
  params: ParamReport[];
  runs: RunReport[];
  dof: number;
  /** Simulations of the whole set of runs (or of the runs a leave-one-out fit uses) the fit took. */
  evaluations: number;
}

/** The fit problem: relative error of every run against the board parameters in fit coordinates. */
function boardProblem(base: HwConfig, runs: Measurement[]): FitProblem & { config(x: readonly number[]): HwConfig } {
  const groupKey = (m: Measurement) => JSON.stringify([m.network, m.precision, m.batch]);
  const memo = new Map<string, NetworkSimResult>();
  const start = valuesOf(base);
  const config = (x: readonly number[]) => withBoard(base, x.map((v, j) => BOARD_PARAMS[j].fromFit(v)));
  return {
    params: BOARD_PARAMS.map((p, j): FitParam => ({ name: p.path, start: p.toFit(start[j]), lower: p.lower, upper: p.upper, step: p.step })),
    rows: runs.length,
    config,
    residuals(x, rows) {
      const cfg = config(x);
      return rows.map((i) => {
        const m = runs[i];
        const key = `${x.join(',')}|${groupKey(m)}`;
        let r = memo.get(key);
        if (!r) memo.set(key, (r = simulateRun(m, cfg)));
        return runLatencyMs(m, r, cfg) / m.latencyMs - 1;
      });
    },
  };
}

function reportParams(base: HwConfig, fit: FitResult): ParamReport[] {
  const start = valuesOf(base);
  return BOARD_PARAMS.map((p, j) => {
    // a reciprocal coordinate's lower bound is the value's upper one
    const st: ParamStatus = fit.status[j].kind === 'bound' && p.slope(1) < 0
      ? { kind: 'bound', side: (fit.status[j] as { side: string }).side === 'lower' ? 'upper' : 'lower' }
      : fit.status[j];
    const sigma = st.kind === 'fitted' && st.sigma !== undefined ? Math.abs(p.slope(fit.x[j])) * st.sigma : undefined;
    return { path: p.path, start: start[j], value: p.fromFit(fit.x[j]), sigma, status: st };
  });
}

/** Fits the board parameters of `base` to the runs; `looOf` false skips the leave-one-out refits. */
export function calibrate(base: HwConfig, runs: Measurement[], looOf = true): Calibration {
  const problem = boardProblem(base, runs);
  const fit = fitBounded(problem);
  const loo = looOf ? leaveOneOut(problem, fit) : { predicted: runs.map(() => undefined), evaluations: 0 };
  const before = problem.residuals(problem.params.map((q) => q.start), runs.map((_, i) => i));
  const config = problem.config(fit.x);
  return {
    base,
    config,
    params: reportParams(base, fit),
    runs: runs.map((m, i) => ({
      measurement: m,
      before: (before[i] + 1) * m.latencyMs,
      after: (fit.residuals[i] + 1) * m.latencyMs,
      residual: fit.residuals[i],
      leaveOneOut: loo.predicted[i],
    })),
    dof: fit.dof,
    evaluations: fit.evaluations + loo.evaluations,
  };
}

/** Root mean square of relative errors. */
export function rms(errors: readonly number[]): number {
  return Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / Math.max(1, errors.length));
}

/** Significant digits for a fitted value in board.json: enough to reproduce the fit's latencies. */
const round = (v: number) => Number(v.toPrecision(6));

/**
 * board.json: a config `hwq sim --config` takes. From a preset: {"base": preset, the fitted fields}; from a file
 * (`resolved` the whole validated config): every field resolved, with the fitted ones replaced.
 */
export function boardConfigFile(c: Calibration, presetName: string | undefined): Record<string, unknown> {
  const board = Object.fromEntries(
    c.params.filter((p) => p.path.startsWith('board.')).map((p) => [p.path.slice('board.'.length), round(p.value)]),
  );
  const dramEff = round(c.params.find((p) => p.path === 'dram.efficiency')!.value);
  if (presetName !== undefined) {
    return { base: presetName, ...(dramEff !== c.base.dram.efficiency ? { dram: { efficiency: dramEff } } : {}), board };
  }
  const { note, ...dram } = c.base.dram;
  return { ...c.base, dram: { ...dram, efficiency: dramEff, ...(note === undefined ? {} : { note }) }, board };
}
