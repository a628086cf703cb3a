// 'batch': several jobs of one batchable kind run as one, so a job of a few milliseconds does not pay a thread
// message or a Redis round trip of its own. Its result is each member's outcome in order: a member that fails is
// reported by the submitter under that member's name, and the members that did not fail still count. A batch is
// never cached itself; executeJobs (execute.ts) caches each member under its own key.
import { UserError } from '../../errors.js';
import { JobSpec, Outcome, isBatchable, jobKinds, registerJob, runJobOutcome } from '../job.js';

export const BATCH = 'batch';

export interface BatchSpec {
  kind: string;
  specs: JobSpec[];
}

async function runBatch(s: BatchSpec): Promise<Outcome[]> {
  if (!isBatchable(s.kind)) {
    const can = jobKinds().filter(isBatchable);
    throw new UserError(`job kind '${s.kind}' cannot be batched: batchable kinds are ${can.join(', ')}`);
  }
  const out: Outcome[] = [];
  for (const spec of s.specs) out.push(await runJobOutcome(s.kind, spec));
  return out;
}

export const batchJob = registerJob<BatchSpec, Outcome[]>({ kind: BATCH, run: runBatch, cached: false });
