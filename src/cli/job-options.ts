// How a command's jobs run (src/jobs): local threads, the result cache, a Redis queue. One definition for every
// command that runs jobs, so the flags mean the same everywhere.
import type { Argv } from 'yargs';
import { cacheDir } from '../jobs/result-cache.js';
import { defaultThreads } from '../jobs/pool.js';
import { parseQueueUrl } from '../jobs/queue.js';
import { UserError } from '../errors.js';
import { intOption } from './numbers.js';

export interface JobArgs {
  jobs?: number;
  cache?: string | boolean;
  queue?: string;
}

export function jobOptions<T>(y: Argv<T>) {
  return y
    .option('jobs', intOption('jobs', {
      min: 1, defaultDescription: 'one per core', describe: 'Worker threads on this machine (1: one job at a time in this process)',
    }))
    .option('cache', {
      type: 'string',
      defaultDescription: '$HWQ_CACHE or ~/.cache/hwq/results',
      describe: 'Folder of results kept by content hash: a job done before is read, not run; --no-cache runs everything and keeps nothing',
    })
    .option('queue', { type: 'string', requiresArg: true, describe: 'redis://host:port: run the jobs on `hwq worker` processes through this Redis server' })
    .conflicts('queue', 'jobs');
}

/** The cache folder the flags choose, or undefined for --no-cache. */
export function chosenCache(a: { cache?: string | boolean }): string | undefined {
  if (a.cache === false) return undefined;
  if (a.cache === undefined || a.cache === true) return cacheDir();
  if (Array.isArray(a.cache)) throw new UserError('--cache is given more than once: give it once');
  if (a.cache.trim() === '') throw new UserError('--cache needs a folder (or write --no-cache to run without one)');
  return a.cache;
}

export function execOptions(a: JobArgs) {
  if (a.queue !== undefined) parseQueueUrl(a.queue);
  return { cacheDir: chosenCache(a), threads: a.jobs ?? defaultThreads(), queue: a.queue };
}
