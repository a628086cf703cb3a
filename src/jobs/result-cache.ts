// Job results on disk, one file per key under <dir>/<kind>/<key>.json, written atomically (a crash leaves the
// old entry or none). An entry's age is the time since it was last written or read (to the hour), so pruning keeps what sweeps
// still use. Files directly in <dir> belong to caches outside the job model (the co-design tables) and are
// listed and pruned as kind 'other'.
//
// Bytes in a result (Binary, job.ts) are kept as files of raw bytes beside the entry, <key>.<n>.bin, written
// before the JSON that names them with their hash: an entry whose JSON is there has its files, and a file that
// went missing or changed makes the entry a miss (computed again), never a wrong result. Listing and pruning count
// an entry's files with it.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { registerTemp } from '../cleanup.js';
import { tempSibling, writeFileAtomic } from '../fsutil.js';
import { readCached } from '../codesign/cache.js';
import { UserError } from '../errors.js';
import { CODE_VERSION, Job, isBinary, toBinary } from './job.js';

export { cacheDir } from '../codesign/cache.js';

export const OTHER_KIND = 'other';

interface Entry {
  kind: string;
  key: string;
  version: string;
  result: unknown;
}

/** A read marks the entry used, at most this often (a write per read would cost more than the read). */
const TOUCH_AFTER_MS = 3600e3;

/** Where a Binary of a result went: a file beside the entry and the hash of its bytes. */
interface StoredBinary {
  binaryFile: string;
  sha256: string;
}

const isStoredBinary = (v: unknown): v is StoredBinary => v !== null && typeof v === 'object' && typeof (v as StoredBinary).binaryFile === 'string'
  && typeof (v as StoredBinary).sha256 === 'string' && Object.keys(v).length === 2;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The result with each Binary replaced by the file it is written to, and those files' bytes. */
function splitBinaries(key: string, result: unknown): { json: unknown; files: Array<[string, Buffer]> } {
  const files: Array<[string, Buffer]> = [];
  const walk = (v: unknown): unknown => {
    if (isBinary(v)) {
      const bytes = Buffer.from(v.base64, 'base64');
      const name = `${key}.${files.length}.bin`;
      files.push([name, bytes]);
      return { binaryFile: name, sha256: sha256(bytes) } satisfies StoredBinary;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { json: walk(result), files };
}

class MissingBinary extends Error {}

/** The stored result with its files read back, or undefined when one is missing or not the bytes it was. */
function joinBinaries(dir: string, json: unknown): unknown {
  const walk = (v: unknown): unknown => {
    if (isStoredBinary(v)) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(dir, v.binaryFile));
      } catch {
        throw new MissingBinary();
      }
      if (sha256(bytes) !== v.sha256) throw new MissingBinary();
      return toBinary(bytes);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const stored = (v: unknown): boolean => isStoredBinary(v) || (v !== null && typeof v === 'object' && Object.values(v).some(stored));
  // most results hold no bytes: returned as parsed, not copied
  if (!stored(json)) return json;
  try {
    return walk(json);
  } catch (e) {
    if (e instanceof MissingBinary) return undefined;
    throw e;
  }
}

export function readResult(dir: string, job: Job): { result: unknown } | undefined {
  const path = join(dir, job.kind, `${job.key}.json`);
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return undefined;
  const e = readCached<Entry>(join(dir, job.kind), job.key);
  if (!e || e.key !== job.key || e.kind !== job.kind || !('result' in e)) return undefined;
  const result = joinBinaries(join(dir, job.kind), e.result);
  if (result === undefined) return undefined;
  if (Date.now() - st.mtimeMs > TOUCH_AFTER_MS) {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // a read-only cache still serves hits; only pruning by age loses precision
    }
  }
  return { result };
}

const entry = (job: Job, result: unknown): Entry => ({ kind: job.kind, key: job.key, version: CODE_VERSION, result });

export function writeResult(dir: string, job: Job, result: unknown): void {
  const { json, files } = splitBinaries(job.key, result);
  for (const [name, bytes] of files) writeFileAtomic(join(dir, job.kind, name), bytes);
  writeFileAtomic(join(dir, job.kind, `${job.key}.json`), JSON.stringify(entry(job, json)));
}

/**
 * The same write (the text writeCached would write, to a temporary name renamed into place) without blocking:
 * creating a small file can take milliseconds, longer than a sweep point, and a thread pool or a queue waits on
 * this thread while it writes.
 */
/** Folders this process has made: a sweep writes thousands of entries into one, and a mkdir each costs a call. */
const made = new Set<string>();

export async function writeResultAsync(dir: string, job: Job, result: unknown): Promise<void> {
  const { json, files } = splitBinaries(job.key, result);
  const folder = join(dir, job.kind);
  if (!made.has(folder)) {
    await mkdir(folder, { recursive: true });
    made.add(folder);
  }
  for (const [name, bytes] of files) await writeAtomicAsync(join(dir, job.kind, name), bytes);
  await writeAtomicAsync(join(dir, job.kind, `${job.key}.json`), JSON.stringify(entry(job, json)));
}

async function writeAtomicAsync(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempSibling(path);
  const release = registerTemp(tmp);
  try {
    try {
      await writeFile(tmp, data, { flag: 'wx' });
    } catch (e) {
      // the folder was made earlier in this process and removed since
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(tmp, data, { flag: 'wx' });
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    release();
  }
}

/** At most `limit` writes at once; `drain()` waits for every write added and rethrows the first failure. */
export function writeQueue(limit = 16): { add(write: () => Promise<void>): void; drain(): Promise<void> } {
  const waiting: Array<() => Promise<void>> = [];
  const running = new Set<Promise<void>>();
  let failure: unknown;
  const pump = () => {
    while (running.size < limit && waiting.length) {
      const p: Promise<void> = waiting.shift()!().catch((e) => void (failure ??= e)).finally(() => {
        running.delete(p);
        pump();
      });
      running.add(p);
    }
  };
  return {
    add(write) {
      waiting.push(write);
      pump();
    },
    async drain() {
      while (running.size) await Promise.all(running);
      if (failure !== undefined) throw failure;
    },
  };
}

export interface CacheFile {
  kind: string;
  path: string;
  /** The entry's JSON and the files of its bytes. */
  bytes: number;
  /** Last written or read, ms since the epoch. */
  mtimeMs: number;
  /** The files of the entry's bytes. */
  binaries: string[];
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Every entry in the cache folder (a missing folder is an empty cache). */
export function cacheFiles(dir: string): CacheFile[] {
  const out: CacheFile[] = [];
  const add = (kind: string, path: string, binaries: string[] = []) => {
    const st = statSync(path);
    const extra = binaries.reduce((a, b) => a + (statSync(b, { throwIfNoEntry: false })?.size ?? 0), 0);
    out.push({ kind, path, bytes: st.size + extra, mtimeMs: st.mtimeMs, binaries });
  };
  for (const n of listDir(dir).filter((f) => f.endsWith('.json'))) add(OTHER_KIND, join(dir, n));
  let subdirs: string[] = [];
  try {
    subdirs = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  for (const kind of subdirs) {
    const names = listDir(join(dir, kind));
    const bins = new Map<string, string[]>();
    for (const n of names.filter((f) => f.endsWith('.bin'))) {
      const key = n.slice(0, n.indexOf('.'));
      bins.set(key, [...(bins.get(key) ?? []), join(dir, kind, n)]);
    }
    for (const n of names.filter((f) => f.endsWith('.json'))) add(kind, join(dir, kind, n), bins.get(n.slice(0, -'.json'.length)));
  }
  return out;
}

export interface KindSummary {
  kind: string;
  entries: number;
  bytes: number;
  oldestMs: number | null;
  newestMs: number | null;
}

export function summarize(files: CacheFile[]): KindSummary[] {
  const by = new Map<string, KindSummary>();
  for (const f of files) {
    const s = by.get(f.kind) ?? { kind: f.kind, entries: 0, bytes: 0, oldestMs: null, newestMs: null };
    s.entries++;
    s.bytes += f.bytes;
    s.oldestMs = Math.min(s.oldestMs ?? f.mtimeMs, f.mtimeMs);
    s.newestMs = Math.max(s.newestMs ?? f.mtimeMs, f.mtimeMs);
    by.set(f.kind, s);
  }
  return [...by.values()].sort((a, b) => a.kind.localeCompare(b.kind));
}

/** Entries of `kind` (all kinds when undefined) last used before `cutoffMs`; returns what was removed. */
export function prune(dir: string, opts: { cutoffMs?: number; kind?: string }): CacheFile[] {
  const doomed = cacheFiles(dir).filter((f) => (opts.kind === undefined || f.kind === opts.kind) && (opts.cutoffMs === undefined || f.mtimeMs < opts.cutoffMs));
  // the JSON first: an entry without its files is a miss, files without an entry are only space
  for (const f of doomed) for (const p of [f.path, ...f.binaries]) rmSync(p, { force: true });
  return doomed;
}

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** '7d', '12h', '30m', '90s', '2w' -> milliseconds. */
export function parseAge(text: string, flag = '--older-than'): number {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) throw new UserError(`${flag} '${text}' is not an age: give a number and a unit s, m, h, d or w (e.g. 7d, 12h)`);
  return Number(m[1]) * UNITS[m[2]];
}
