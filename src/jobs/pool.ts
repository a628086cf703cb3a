// The local executor: a pool of worker threads (piscina) running jobs, or this thread alone for one job at a
// time. Callers get each outcome as it finishes and put it in place by index, so the order of completion never
// shows in what they print.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { Job, JobSpec, Outcome, runJobOutcome } from './job.js';
import './kinds/index.js';

/** Every core, where worker threads can start. */
export const defaultThreads = (): number => (hasWorkerFile() ? availableParallelism() : 1);

/**
 * A module beside this one. Through a parameter, not a literal: ncc copies a literally named file next to the
 * bundle unbundled, where its imports do not resolve. The bundle has no worker file and runs jobs in its thread.
 */
function besideThis(name: string): URL {
  return new URL(`./${name}`, import.meta.url);
}

const WORKER_FILE = besideThis('pool-worker.js');
const hasWorkerFile = (): boolean => existsSync(fileURLToPath(WORKER_FILE));
const YIELD_EVERY_MS = 50;

interface Task { kind: string; spec: JobSpec }

/** Whether runLocal runs `n` jobs in this thread rather than on worker threads. */
export const runsHere = (threads: number, n: number): boolean => threads <= 1 || n <= 1 || !hasWorkerFile();

/** Runs `jobs` on `threads` threads (1: here, giving the event loop a turn every few tens of ms for Ctrl-C). */
export async function runLocal(jobs: Job[], threads: number, onOutcome: (i: number, o: Outcome) => void): Promise<void> {
  if (runsHere(threads, jobs.length)) {
    let turn = Date.now();
    for (let i = 0; i < jobs.length; i++) {
      onOutcome(i, await runJobOutcome(jobs[i].kind, jobs[i].spec));
      if (Date.now() - turn >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        turn = Date.now();
      }
    }
    return;
  }
  const n = Math.min(threads, jobs.length);
  // two tasks per thread: the next one is already there when a thread finishes, not a message round trip away
  const pool = new Piscina<Task, Outcome>({ filename: WORKER_FILE.href, minThreads: n, maxThreads: n, idleTimeout: 1000, concurrentTasksPerWorker: 2 });
  try {
    await Promise.all(jobs.map((job, i) => pool.run({ kind: job.kind, spec: job.spec }).then((o) => onOutcome(i, o))));
  } finally {
    await pool.destroy();
  }
}

/** A pool for a long-running consumer (`hwq worker`): one thread per concurrent job. */
export function jobPool(threads: number): { run(kind: string, spec: JobSpec): Promise<Outcome>; close(): Promise<void> } {
  if (!hasWorkerFile()) return { run: runJobOutcome, close: async () => undefined };
  const pool = new Piscina<Task, Outcome>({ filename: WORKER_FILE.href, minThreads: threads, maxThreads: threads, idleTimeout: Infinity });
  return { run: (kind, spec) => pool.run({ kind, spec }), close: () => pool.destroy() };
}
