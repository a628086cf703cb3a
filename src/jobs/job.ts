// The job model every scaled-out computation shares: a job is a kind plus a JSON spec of its resolved inputs
// (files and data sets by content hash), and its result is JSON. The key is a content hash of the kind, the spec and
// the code version, so equal work run anywhere (this process, a worker thread, another machine) has one key and
// one cached result. A kind is one registered function; the pool worker and `hwq worker` import every kind from
// kinds/index.ts.
//
// Binary values (a quantized model's bytes) travel in specs and results as `{ base64 }` objects (Binary): JSON
// through a thread's message, a Redis job and the cache alike. The result cache keeps each one as a file of raw
// bytes beside the entry's JSON (result-cache.ts), and a spec's Binary is keyed by the hash of its bytes, the
// same as a FileRef to a file holding them, so a model evaluated from a file or from bytes has one key.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentKey, type KeyPart } from '../codesign/cache.js';
import { UserError } from '../errors.js';

/** Bumped when a job kind's spec or result changes meaning, so results of older code are not reused. */
export const JOB_FORMAT = 1;

/**
 * hwq's package version, from the package.json above this file; a single-file bundle run outside the package
 * has none, and the bundle's own bytes stand in for the version.
 */
function packageVersion(): string {
  const here = fileURLToPath(import.meta.url);
  for (let dir = dirname(here); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hwq' && pkg.version) return pkg.version;
    } catch {
      // no package.json at this level (or an unreadable one): keep climbing
    }
    if (dirname(dir) === dir) return `build-${createHash('sha256').update(readFileSync(here)).digest('hex').slice(0, 16)}`;
  }
}

export const CODE_VERSION = `${packageVersion()}+jobs${JOB_FORMAT}`;

/** A file input: read from `path`, identified by `sha256` (the key ignores the path, so a moved file still hits). */
export interface FileRef {
  path: string;
  sha256: string;
}

/**
 * A data set input: the samples openDataSet(path, open) gives, the slice [from, to) of them, identified by
 * samplesHash (src/data/samples-hash.ts) of that slice: each sample's bytes and label in order. The key holds the
 * hash alone, so the same images found at another path (or on another machine) are the same input.
 */
export interface DataRef {
  dataset: string;
  open: { labels?: string; limit?: number; seed?: number; stratify?: boolean; sampleDims?: number[] };
  from?: number;
  to?: number;
  sha256: string;
}

/** Bytes inside a JSON spec or result. */
export interface Binary {
  base64: string;
}

export const toBinary = (bytes: Uint8Array): Binary => ({ base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') });
export const fromBinary = (b: Binary): Uint8Array => new Uint8Array(Buffer.from(b.base64, 'base64'));

/** Any JSON value (HwConfig and other interfaces are JSON without an index signature, hence not KeyPart). */
export type JobSpec = unknown;

export interface JobKind<S extends JobSpec = JobSpec, R = unknown> {
  kind: string;
  run(spec: S): R | Promise<R>;
  /**
   * Jobs of this kind are often too small (milliseconds) to be worth a thread message or a Redis round trip each:
   * executeJobs may run several in one 'batch' job, still cached one by one.
   */
  batchable?: boolean;
  /** False for a kind whose results are never cached (a batch: its members are). */
  cached?: boolean;
}

export interface Job<S extends JobSpec = JobSpec> {
  kind: string;
  spec: S;
  key: string;
}

const kinds = new Map<string, JobKind>();

export function registerJob<S extends JobSpec, R>(k: JobKind<S, R>): JobKind<S, R> {
  if (kinds.has(k.kind)) throw new Error(`job kind '${k.kind}' registered twice`);
  kinds.set(k.kind, k as unknown as JobKind);
  return k;
}

export function jobKinds(): string[] {
  return [...kinds.keys()].sort();
}

export const isBatchable = (kind: string): boolean => kinds.get(kind)?.batchable === true;

/** The kinds whose results the cache keeps. */
export const cachedKinds = (): string[] => jobKinds().filter((k) => kinds.get(k)?.cached !== false);

export function fileRef(path: string): FileRef {
  return { path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
}

function hasKeys(v: unknown, want: string[]): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) return false;
  const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
  return keys.length === want.length && keys.every((k, i) => k === want[i]);
}

const isFileRef = (v: unknown): v is FileRef => hasKeys(v, ['path', 'sha256']);
export const isBinary = (v: unknown): v is Binary => hasKeys(v, ['base64']) && typeof (v as Binary).base64 === 'string';
const isDataRef = (v: unknown): v is DataRef => v !== null && typeof v === 'object' && typeof (v as DataRef).dataset === 'string'
  && typeof (v as DataRef).sha256 === 'string';

/** The spec as the key sees it: files, bytes and data sets by their content hash alone. */
function keyView(v: JobSpec): KeyPart {
  if (isFileRef(v)) return { file: v.sha256 };
  if (isBinary(v)) return { file: createHash('sha256').update(Buffer.from(v.base64, 'base64')).digest('hex') };
  if (isDataRef(v)) return { data: v.sha256 };
  if (Array.isArray(v)) return v.map(keyView);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const out: Record<string, KeyPart> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = keyView(x);
    return out;
  }
  return v as KeyPart;
}

/** A field's digest: what the key holds for it, so a config shared by many jobs is canonicalized once. */
function fieldDigest(v: JobSpec, memo?: Map<object, string>): string {
  const shared = memo !== undefined && v !== null && typeof v === 'object';
  const hit = shared ? memo.get(v as object) : undefined;
  if (hit !== undefined) return hit;
  const d = contentKey('job field', [keyView(v)]);
  if (shared) memo.set(v as object, d);
  return d;
}

/**
 * The content key of a job: the kind, the code version and, for an object spec, each field's digest by name.
 * `memo` (for one batch of jobs made together, whose specs are not changed meanwhile) reuses the digest of a
 * field object shared by several specs.
 */
export function jobKey(kind: string, spec: JobSpec, memo?: Map<object, string>): string {
  const whole = spec === null || typeof spec !== 'object' || Array.isArray(spec) || isFileRef(spec) || isBinary(spec) || isDataRef(spec);
  if (whole) return contentKey(`job ${kind}`, [CODE_VERSION, keyView(spec)]);
  const fields = Object.entries(spec as Record<string, JobSpec>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return contentKey(`job ${kind}`, [CODE_VERSION, fields.map(([k, v]) => [k, fieldDigest(v, memo)])]);
}

export function makeJob<S extends JobSpec>(kind: string, spec: S, memo?: Map<object, string>): Job<S> {
  return { kind, spec, key: jobKey(kind, spec, memo) };
}

/** Runs one job here; the answer is JSON-round-tripped so every executor returns exactly the same value. */
export async function runJob(kind: string, spec: JobSpec): Promise<unknown> {
  const k = kinds.get(kind);
  if (!k) throw new UserError(`unknown job kind '${kind}': valid kinds are ${jobKinds().join(', ')}`);
  return JSON.parse(JSON.stringify(await k.run(spec)));
}

/**
 * How a job ended, as plain data: a thread or a queue passes errors on without their class, and the caller must
 * still tell the job's own fault (bad input: report once, never retry) from a crash (retry, or a bug to show).
 */
export type Outcome = { ok: true; result: unknown } | { ok: false; user: boolean; message: string; stack?: string };

export async function runJobOutcome(kind: string, spec: JobSpec): Promise<Outcome> {
  try {
    return { ok: true, result: await runJob(kind, spec) };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { ok: false, user: isUserFault(err), message: err.message, stack: err.stack };
  }
}

/** UserError and ConfigError (hw/config.ts) by name, so this module needs no import of every error class. */
export function isUserFault(e: Error): boolean {
  return e.name === 'UserError' || e.name === 'ConfigError';
}

/** A failed job as the error its caller throws: the job's own fault as a UserError (one line), a crash with its stack. */
export function outcomeError(o: Extract<Outcome, { ok: false }>, label: string): Error {
  if (o.user) return new UserError(`${label}: ${o.message}`);
  const e = new Error(`${label}: ${o.message}`);
  if (o.stack) e.stack = `Error: ${label}: ${o.stack}`;
  return e;
}

/** Reads a file input, refusing one whose bytes are not the ones the job was keyed on. */
export function readFileRef(ref: FileRef): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(ref.path);
  } catch (e) {
    throw new UserError(`job input '${ref.path}' cannot be read here: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== ref.sha256) {
    throw new UserError(`job input '${ref.path}' has changed since the job was made (sha256 ${sha.slice(0, 12)}, expected ${ref.sha256.slice(0, 12)})`);
  }
  return bytes;
}
