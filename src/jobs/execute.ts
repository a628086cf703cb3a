// Runs a list of jobs and returns their results in list order: cached results first, then the rest on this
// machine's threads or through a Redis queue. Every result computed is stored before the next is awaited, so an
// interrupted run keeps what it finished. Jobs with equal keys run once.
//
// Jobs of a batchable kind (milliseconds each) travel in batches: a few are timed here first, and the rest are
// grouped into 'batch' jobs of about BATCH_MS of work, small enough that every thread (or queue worker) still
// gets several, so none sits idle at the end. Each member is cached under its own key, so a rerun, a resumed run
// or another sweep sharing points finds each one; only the missing ones are batched.
import { contentKey } from '../codesign/cache.js';
import { CODE_VERSION, Job, Outcome, isBatchable, outcomeError, runJobOutcome } from './job.js';
import { readResult, writeQueue, writeResultAsync } from './result-cache.js';
import { runLocal, runsHere } from './pool.js';
import { BATCH, BatchSpec } from './kinds/batch.js';
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
  /** Jobs sent to threads or the queue (a batch counts once). */
  dispatched: number;
}

/** Work per batch: far above a thread message (~0.1 ms) or a Redis round trip (~1.4 ms of CPU), far below a lock. */
export const BATCH_MS = 150;
/** Jobs timed in this thread to size the batches: until this much time has passed (the first job loads the network). */
const PROBE_MS = 40;
/** At least this many batches per thread, so the last ones end close together. */
const BATCHES_PER_LANE = 4;
/** Queue workers are not known to the submitter: batches are cut for this many of them. */
const QUEUE_LANES = 16;

/** A unit of dispatch: one job, or a batch of jobs of one kind; `members` index the unique jobs it covers. */
interface Unit {
  job: Job;
  members: number[];
}

/** The batch job of `members` (of one kind): keyed by its members' keys, so a resubmitted batch is the same job. */
export function batchOf(kind: string, members: Job[]): Job<BatchSpec> {
  return { kind: BATCH, spec: { kind, specs: members.map((m) => m.spec) }, key: contentKey('job batch', [CODE_VERSION, kind, members.map((m) => m.key)]) };
}

/** How many jobs per batch, from the time a job took here and how many lanes share the rest. */
export function batchSize(perJobMs: number, rest: number, lanes: number): number {
  const byTime = Math.floor(BATCH_MS / Math.max(perJobMs, 1e-3));
  const byBalance = Math.ceil(rest / (lanes * BATCHES_PER_LANE));
  return Math.max(1, Math.min(byTime, byBalance));
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
  const stats: ExecStats = { hits: done, computed: 0, dispatched: 0 };
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
    const lanes = o.queue !== undefined ? QUEUE_LANES : o.threads;
    const pending = unique.map((_, u) => u);
    const units: Unit[] = [];
    // one thread of its own needs no batches: nothing is sent anywhere
    if (o.queue !== undefined || o.threads > 1) {
      for (const kind of new Set(unique.map((j) => j.kind))) {
        if (!isBatchable(kind)) continue;
        const ofKind = pending.filter((u) => unique[u].kind === kind);
        // too few to give every lane several batches of two: not worth timing any here
        if (batchSize(0, ofKind.length, lanes) < 2) continue;
        const timed = await probe(ofKind, unique, finish);
        for (const u of timed.ran) pending[u] = -1;
        const ran = new Set(timed.ran);
        const rest = ofKind.filter((u) => !ran.has(u));
        const size = batchSize(timed.perJobMs, rest.length, lanes);
        if (size < 2) continue;
        for (let at = 0; at < rest.length; at += size) {
          const members = rest.slice(at, at + size);
          units.push({ job: members.length === 1 ? unique[members[0]] : batchOf(kind, members.map((u) => unique[u])), members });
        }
        for (const u of rest) pending[u] = -1;
      }
    }
    for (const u of pending) if (u >= 0) units.push({ job: unique[u], members: [u] });
    units.sort((a, b) => a.members[0] - b.members[0]);
    const settle = (k: number, out: Outcome) => {
      const unit = units[k];
      if (unit.job.kind !== BATCH || unit.members.length === 1) return finish(unit.members[0], out);
      // the batch itself failing (a crash outside its members) is the first member's failure to name
      if (!out.ok) return finish(unit.members[0], out);
      (out.result as Outcome[]).forEach((m, j) => finish(unit.members[j], m));
    };
    stats.dispatched = o.queue === undefined && runsHere(o.threads, units.length) ? 0 : units.length;
    if (units.length > 0) {
      const sent = units.map((u) => u.job);
      if (o.queue !== undefined) await runOnQueue(o.queue, sent, settle);
      else await runLocal(sent, o.threads, settle);
    }
  } finally {
    // what finished is kept even when a later job failed
    await writes.drain();
  }
  return { results, stats };
}

/** Positions 0..n-1 spread over the whole list, each once: n x the van der Corput sequence, repeats skipped. */
export function* spread(n: number): Generator<number> {
  const seen = new Set<number>();
  for (let k = 0; seen.size < n; k++) {
    let x = 0;
    for (let b = 0.5, m = k; m > 0; b /= 2, m >>= 1) if (m & 1) x += b;
    const at = Math.floor(x * n);
    if (!seen.has(at)) {
      seen.add(at);
      yield at;
    }
  }
}

/**
 * Runs jobs of `ofKind` here, taken across the whole list (a sweep's first points are often its smallest
 * network), until PROBE_MS have passed and at least two have run, and gives the time per job without the first
 * (which loads what later ones reuse). Jobs as long as a batch stop it after two.
 */
async function probe(ofKind: number[], unique: Job[], finish: (u: number, o: Outcome) => void): Promise<{ ran: number[]; perJobMs: number }> {
  const t0 = performance.now();
  let afterFirst = t0;
  const ran: number[] = [];
  for (const at of spread(ofKind.length)) {
    if (ran.length >= 2 && performance.now() - t0 >= PROBE_MS) break;
    const u = ofKind[at];
    finish(u, await runJobOutcome(unique[u].kind, unique[u].spec));
    ran.push(u);
    if (ran.length === 1) afterFirst = performance.now();
  }
  return { ran, perJobMs: ran.length === 1 ? afterFirst - t0 : (performance.now() - afterFirst) / (ran.length - 1) };
}
