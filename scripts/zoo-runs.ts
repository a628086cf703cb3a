// The whole-network simulations of reports/simulator/zoo.* (scripts/make-reports.ts): every torchvision zoo
// network x preset x precision, and the bf-* benchmarks at their own precisions and at A8W8, on the cycle model,
// batch 1. They are independent, so they run as 'sim-point' jobs (threads, a Redis queue, the result cache),
// and come back in the order a loop over them would give.
import type { HwConfig } from '../hw/config.js';
import type { Precision } from '../src/model/ir.js';
import { executeJobs } from '../src/jobs/execute.js';
import { makeJob } from '../src/jobs/job.js';
import { SIM_POINT, type SimPointResult, type SimPointSpec } from '../src/jobs/kinds/sim-point.js';
import { precisionLabel } from '../sim/precision.js';
import type { ScriptExec } from './job-flags.js';

export interface ZooRun {
  net: string;
  cfg: HwConfig;
  /** undefined: the network's own per-layer precisions. */
  precision: Precision | undefined;
}

/** Each run's whole-network figures, in the order of `runs`. */
export async function zooRuns(runs: ZooRun[], exec: ScriptExec): Promise<SimPointResult[]> {
  const memo = new Map<object, string>();
  const jobs = runs.map((r) => makeJob<SimPointSpec>(SIM_POINT, {
    network: { zoo: r.net }, config: r.cfg, precision: { uniform: r.precision }, batch: 1, model: 'cycle',
  }, memo));
  const label = (i: number) => `${runs[i].net} on ${runs[i].cfg.name} at ${runs[i].precision ? precisionLabel(runs[i].precision!) : 'its own precisions'}`;
  return (await executeJobs(jobs, { ...exec, label })).results as SimPointResult[];
}
