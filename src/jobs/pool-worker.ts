// A worker thread of the local pool (pool.ts): runs jobs of every registered kind, one at a time. Module state
// (the networks a kind has loaded, the simulator's mapping cache) lives as long as the thread, so it serves
// every job the thread runs.
import './kinds/index.js';
import { JobSpec, Outcome, runJobOutcome } from './job.js';

export default function runTask(task: { kind: string; spec: JobSpec }): Promise<Outcome> {
  return runJobOutcome(task.kind, task.spec);
}
