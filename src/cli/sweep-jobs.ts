// A sweep as jobs: the simulations sweepSteps (sim/sweep.ts) asks for are collected in a first pass, run as
// 'sim-point' jobs (cache, local threads or a Redis queue), and fed back in the same order in a second pass, so
// the points, their order and the speedups are exactly those of a sweep run in one loop, whatever axes the
// enumeration grows.
import { resolve } from 'node:path';
import { HwConfig } from '../../hw/config.js';
import { SweepPoint, SweepSpec, runSweep } from '../../sim/sweep.js';
import { PrecisionOptions, precisionLabel } from '../../sim/precision.js';
import { NetworkSimResult } from '../../sim/types.js';
import { Network } from '../model/ir.js';
import { zooNames } from '../model/zoo.js';
import { ExecOptions, ExecStats, executeJobs } from '../jobs/execute.js';
import { fileRef, makeJob } from '../jobs/job.js';
import { NetworkSource, SIM_POINT, SimPointResult, SimPointSpec } from '../jobs/kinds/sim-point.js';

/** The job input for a network argument loadNetwork (network-source.ts) has accepted. */
export function networkSource(arg: string, inputShape?: number[]): NetworkSource {
  if (zooNames().includes(arg) && !/\.(onnx|hwq)$/i.test(arg)) return { zoo: arg };
  return { file: fileRef(resolve(arg)), ...(inputShape ? { inputShape } : {}) };
}

interface Call { net: Network; cfg: HwConfig; popts: PrecisionOptions }

// Only the first pass sees it: its points are dropped.
const NOTHING_YET = { totalCycles: 1, computeCycles: 1, stallCycles: 0, latencyMs: 1, energyUJ: 1, macs: 0, opsPerSecond: 1 } as NetworkSimResult;

export function sweepJobs(s: SweepSpec, sources: Map<Network, NetworkSource>, model: string) {
  const calls: Call[] = [];
  runSweep(s, (net, cfg, popts) => {
    calls.push({ net, cfg, popts });
    return NOTHING_YET;
  });
  const memo = new Map<object, string>();
  return calls.map((c) => ({
    call: c,
    job: makeJob<SimPointSpec>(SIM_POINT, { network: sources.get(c.net)!, config: c.cfg, precision: c.popts, batch: s.batch, model }, memo),
  }));
}

export async function runSweepJobs(
  s: SweepSpec,
  sources: Map<Network, NetworkSource>,
  model: string,
  exec: Omit<ExecOptions, 'label'>,
): Promise<{ points: SweepPoint[]; stats: ExecStats }> {
  const planned = sweepJobs(s, sources, model);
  const label = (i: number) => {
    const { net, cfg, popts } = planned[i].call;
    const precision = popts.uniform ? precisionLabel(popts.uniform) : 'as given';
    return `sweep point ${net.name} on ${cfg.name} ${cfg.rows}x${cfg.cols} at ${precision}`;
  };
  const { results, stats } = await executeJobs(planned.map((p) => p.job), { ...exec, label });
  let i = 0;
  const points = runSweep(s, (net, cfg) => ({ ...(results[i++] as SimPointResult), model: net.name, config: cfg.name, layers: [] }));
  return { points, stats };
}
