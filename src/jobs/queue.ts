// Jobs through Redis (BullMQ): `hwq sweep --queue` enqueues, `hwq worker` processes, anywhere that reaches the
// server. A job's BullMQ id is its content key, so resubmitting the same work attaches to the jobs (and finished
// results) already there instead of adding copies. A worker that dies holding jobs stops renewing their locks;
// another worker's stalled check puts them back in the queue. A job that fails for its own reason (bad input)
// fails once, unretried, and the submitter reports its message; a crash is retried a few times.
import { UserError } from '../errors.js';
import { CODE_VERSION, Job, JobSpec, Outcome } from './job.js';
import { jobPool } from './pool.js';

export const QUEUE_NAME = 'hwq-jobs';
export const PREFIX = 'hwq';
/** Marks a failure as the job's own (bad input) in BullMQ's failedReason, the one text a failure carries. */
const USER_FAULT = 'hwq user fault: ';
const ATTEMPTS = 3;
const KEEP_S = 7 * 86400;
const ADD_CHUNK = 500;
/** With no event this long, the submitter asks for each pending job's state (events can be trimmed or missed). */
const QUIET_RECHECK_MS = 5000;
export const DEFAULT_LOCK_MS = 10_000;

interface JobData {
  kind: string;
  spec: JobSpec;
  /** The submitter's CODE_VERSION: a worker running other code would compute other results under the same key. */
  version: string;
}

// Loaded on first use: BullMQ and its Redis client take most of a second to import, which every other command
// would pay. 'eager' keeps them in the ncc bundle's one file (still run only when first imported).
const bullmq = () => import(/* webpackMode: "eager" */ 'bullmq');

export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
}

/** redis://[user:password@]host[:port][/db] */
export function parseQueueUrl(text: string): RedisTarget {
  const bad = () => new UserError(`--queue '${text}' is not a Redis URL: write redis://host:port (e.g. redis://localhost:6379)`);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw bad();
  }
  if (u.protocol !== 'redis:' || u.hostname === '' || u.search || u.hash) throw bad();
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw bad();
  const port = u.port === '' ? 6379 : Number(u.port);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
  };
}

/**
 * A Redis client for BullMQ (which under ES modules takes a client, not connection options). `giveUp`: stop
 * reconnecting after a few tries, for the first contact, so an unreachable server is one clear line, not a hang.
 */
export async function redisClient(t: RedisTarget, giveUp: boolean) {
  // the CommonJS module object (a bundle's strict import has only that), whose Redis property is the client class
  const { Redis } = (await import(/* webpackMode: "eager" */ 'ioredis')).default;
  return new Redis({ ...t, maxRetriesPerRequest: null, ...(giveUp ? { retryStrategy: (n: number) => (n > 3 ? null : 200 * n) } : {}) });
}

/** The job's BullMQ id: its key, with the kind in front so ids are never all digits (BullMQ reads those as counters). */
export function queueId(job: Job): string {
  return `${job.kind}-${job.key}`;
}

async function checkReachable(url: string, t: RedisTarget): Promise<void> {
  const client = await redisClient(t, true);
  let first: Error | undefined;
  client.on('error', (e: Error) => (first ??= e));
  try {
    await client.ping();
  } catch (e) {
    const err = first ?? (e as Error);
    throw new UserError(`cannot reach Redis at ${url}: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
  } finally {
    client.disconnect();
  }
}

function failedOutcome(reason: string, stack?: string): Outcome {
  if (reason.startsWith(USER_FAULT)) return { ok: false, user: true, message: reason.slice(USER_FAULT.length) };
  return { ok: false, user: false, message: `failed on a worker after ${ATTEMPTS} attempts: ${reason}`, stack };
}

/**
 * Enqueues `jobs` (those already queued or finished are not added again) and calls `finish(i, outcome)` once per
 * job as results arrive, in any order. Resolves when every job has finished; rejects with what `finish` throws.
 */
export async function runOnQueue(url: string, jobs: Job[], finish: (i: number, o: Outcome) => void): Promise<void> {
  const target = parseQueueUrl(url);
  await checkReachable(url, target);
  const { Job: BullJob, Queue, QueueEvents } = await bullmq();
  const clients = [await redisClient(target, false), await redisClient(target, false)];
  const queue = new Queue<JobData>(QUEUE_NAME, { connection: clients[0], prefix: PREFIX, streams: { events: { maxLen: 100_000 } } });
  const events = new QueueEvents(QUEUE_NAME, { connection: clients[1], prefix: PREFIX });
  const index = new Map(jobs.map((j, i) => [queueId(j), i]));
  const pending = new Set(index.keys());
  let quietTimer: NodeJS.Timeout | undefined;
  let over = false;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (e: unknown) => {
        failed = true;
        reject(e);
      };
      const settle = (id: string, o: Outcome) => {
        if (failed || !pending.delete(id)) return;
        try {
          finish(index.get(id)!, o);
        } catch (e) {
          return fail(e);
        }
        if (pending.size === 0) resolve();
      };
      const recheck = async (first: boolean, only?: string[]) => {
        const ids = (only ?? [...pending]).filter((id) => pending.has(id));
        for (let at = 0; at < ids.length && !failed; at += ADD_CHUNK) {
          await Promise.all(ids.slice(at, at + ADD_CHUNK).map(async (id) => {
            // the state first: a job read before it finished would carry no result even once the state says completed
            const state = await queue.getJobState(id);
            if (state !== 'completed' && state !== 'failed') return;
            const job = await BullJob.fromId<JobData>(queue, id);
            if (!job?.finishedOn) return;
            if (state === 'completed') settle(id, { ok: true, result: job.returnvalue });
            else {
              const o = failedOutcome(job.failedReason, job.stacktrace?.at(-1));
              // a crash that used up its attempts in an earlier run gets a fresh start when the work is submitted again
              if (first && !('user' in o && o.user)) await job.retry('failed');
              else settle(id, o);
            }
          }));
        }
      };
      const quiet = () => {
        clearTimeout(quietTimer);
        if (over || failed || pending.size === 0) return;
        quietTimer = setTimeout(() => recheck(false).then(quiet, fail), QUIET_RECHECK_MS);
      };
      events.on('completed', ({ jobId, returnvalue }) => {
        settle(jobId, { ok: true, result: returnvalue });
        quiet();
      });
      events.on('failed', ({ jobId, failedReason }) => {
        if (!pending.has(jobId)) return;
        BullJob.fromId<JobData>(queue, jobId).then((job) => settle(jobId, failedOutcome(failedReason, job?.stacktrace?.at(-1))), fail);
      });
      const lost = (e: Error) => fail(new UserError(`lost the Redis connection to ${url}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      queue.on('error', lost);
      events.on('error', lost);
      (async () => {
        await events.waitUntilReady();
        // Jobs queued by an earlier submission may be finished already (no event will come): found with one
        // pipelined EXISTS per chunk, so a fresh sweep does not pay a state query per job.
        const known: string[] = [];
        for (let at = 0; at < jobs.length && !failed; at += ADD_CHUNK) {
          const ids = jobs.slice(at, at + ADD_CHUNK).map(queueId);
          const pipe = clients[0].pipeline();
          for (const id of ids) pipe.exists(`${PREFIX}:${QUEUE_NAME}:${id}`);
          const found = (await pipe.exec()) ?? [];
          ids.forEach((id, k) => found[k]?.[1] === 1 && known.push(id));
        }
        for (let at = 0; at < jobs.length && !failed; at += ADD_CHUNK) {
          await queue.addBulk(jobs.slice(at, at + ADD_CHUNK).map((j) => ({
            name: j.kind,
            data: { kind: j.kind, spec: j.spec, version: CODE_VERSION },
            opts: {
              jobId: queueId(j), attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: { age: KEEP_S }, removeOnFail: { age: KEEP_S },
            },
          })));
        }
        await recheck(true, known);
        quiet();
      })().catch(fail);
    });
  } finally {
    over = true;
    clearTimeout(quietTimer);
    await Promise.allSettled([events.close(), queue.close()]);
    for (const c of clients) c.disconnect();
  }
}

export interface WorkerOptions {
  threads: number;
  lockMs: number;
  log(line: string): void;
}

/** Serves jobs from the queue until the process is stopped. */
export async function serveQueue(url: string, o: WorkerOptions): Promise<void> {
  const target = parseQueueUrl(url);
  await checkReachable(url, target);
  const { UnrecoverableError, Worker } = await bullmq();
  const pool = jobPool(o.threads);
  const client = await redisClient(target, false);
  let done = 0;
  let lastError = '';
  const worker = new Worker<JobData>(QUEUE_NAME, async (job) => {
    if (job.data.version !== CODE_VERSION) {
      const why = `the job was made by hwq ${job.data.version} and this worker runs ${CODE_VERSION}: run workers of the submitter's version`;
      throw new UnrecoverableError(USER_FAULT + why);
    }
    const out = await pool.run(job.data.kind, job.data.spec);
    if (out.ok) {
      done++;
      return out.result;
    }
    if (out.user) throw new UnrecoverableError(USER_FAULT + out.message);
    const e = new Error(out.message);
    if (out.stack) e.stack = out.stack;
    throw e;
  }, {
    connection: client,
    prefix: PREFIX,
    // twice the threads: the next job is already claimed while one finishes, so threads do not wait on Redis
    concurrency: 2 * o.threads,
    lockDuration: o.lockMs,
    stalledInterval: Math.max(500, Math.round(o.lockMs / 2)),
    maxStalledCount: ATTEMPTS,
  });
  worker.on('error', (e) => {
    const line = `Redis: ${(e as NodeJS.ErrnoException).code ?? e.message}`;
    if (line !== lastError) o.log(line);
    lastError = line;
  });
  worker.on('failed', (job, e) => {
    if (job && e instanceof UnrecoverableError) o.log(`job ${job.id} refused: ${e.message.slice(USER_FAULT.length)}`);
    else if (job) o.log(`job ${job.id} failed (attempt ${job.attemptsMade}): ${e.message}`);
  });
  await worker.waitUntilReady();
  o.log(`serving ${url} (queue ${QUEUE_NAME}) with ${o.threads} threads`);
  await new Promise<void>((resolve) => worker.on('closed', resolve));
  await pool.close();
  client.disconnect();
  o.log(`stopped after ${done} jobs`);
}
