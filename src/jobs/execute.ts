// Runs a list of jobs and returns their results in list order: cached results first, then the rest on this
// machine's threads or through a Redis queue. Every result computed is stored before the next is awaited, so an
// interrupted run keeps what it finished. Jobs with equal keys run once.
import { Job, Outcome, outcomeError } from './job.js';
import { readResult, writeQueue, writeResultAsync } from './result-cache.js';
import { runLocal } from './pool.js';
// static: a dynamic import would become a separate chunk of the ncc bundle
import { runOnQueue } from './queue.js';

export interface ExecOptions {
  /** Where results are kept; undefined: no cache (--no-cache). */
  cacheDir?: string;
  /** Local threads (1: this thread). */
  threads: number;
  /** redis://host:port: run on `hwq worker` processes instead of local threads. */
  queue?: string;
  /** How a failed job is named in the error (e.g. the sweep point). */
  label(i: number): string;
  onProgress?(done: number, total: number): void;
}

export interface ExecStats {
  hits: number;
  computed: number;
}

export async function executeJobs(jobs: Job[], o: ExecOptions): Promise<{ results: unknown[]; stats: ExecStats }> {
  const results: unknown[] = new Array(jobs.length);
  let done = 0;
  // the positions of each job the cache does not hold, by key (equal jobs run once)
  const missing = new Map<string, number[]>();
  for (let i = 0; i < jobs.length; i++) {
    const hit = o.cacheDir === undefined ? undefined : readResult(o.cacheDir, jobs[i]);
    if (hit) {
      results[i] = hit.result;
      done++;
    } else missing.set(jobs[i].key, [...(missing.get(jobs[i].key) ?? []), i]);
  }
  const stats = { hits: done, computed: 0 };
  o.onProgress?.(done, jobs.length);
  const unique = [...missing.values()].map((at) => jobs[at[0]]);
  const writes = writeQueue();
  const finish = (u: number, out: Outcome) => {
    const at = missing.get(unique[u].key)!;
    if (!out.ok) throw outcomeError(out, o.label(at[0]));
    const dir = o.cacheDir;
    if (dir !== undefined) writes.add(() => writeResultAsync(dir, unique[u], out.result));
    for (const i of at) results[i] = out.result;
    done += at.length;
    stats.computed++;
    o.onProgress?.(done, jobs.length);
  };
  try {
    if (unique.length > 0) {
      if (o.queue !== undefined) await runOnQueue(o.queue, unique, finish);
      else await runLocal(unique, o.threads, finish);
    }
  } finally {
    // what finished is kept even when a later job failed
    await writes.drain();
  }
  return { results, stats };
}
