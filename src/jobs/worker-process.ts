// An `hwq worker` as a child process of this one (the benchmarks and the queue tests start local workers this way),
// with a promise that settles once it serves the queue or exits.
import { type ChildProcess, spawn } from 'node:child_process';

export interface WorkerProcess {
  child: ChildProcess;
  /** What the worker wrote to stderr so far. */
  stderr: () => string;
  /** Resolves when the worker says it is serving; rejects if it exits first. */
  ready: Promise<void>;
}

/** Starts `node <hwq> worker --queue <url>` with one job at a time, `lockMs` locks and its own result cache. */
export function startWorkerProcess(hwq: string, url: string, cache: string, lockMs: number): WorkerProcess {
  const child = spawn(process.execPath, [hwq, 'worker', '--queue', url, '--concurrency', '1', '--lock-ms', String(lockMs)], {
    env: { ...process.env, HWQ_CACHE: cache }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('serving')) resolve();
    });
    child.on('close', (code) => reject(new Error(`hwq worker exited (${code}): ${err}`)));
  });
  ready.catch(() => undefined);
  return { child, stderr: () => err, ready };
}
