// Results that take minutes (the sensitivity table) kept under a content hash of everything they depend on: the
// model's bytes, the data's bytes, the recipe, the seed, the candidates and the code's format version. A second
// run with another budget or config finds them at once; a changed input gives another key, never a stale result.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../fsutil.js';

/** Bumped whenever a cached result's meaning or layout changes, so older entries are not read. */
export const CACHE_FORMAT = 1;

/** A key part: text, bytes, or any JSON value (serialized with sorted keys, so equal values give equal keys). */
export type KeyPart = string | Uint8Array | number | boolean | null | readonly KeyPart[] | { readonly [k: string]: KeyPart | undefined };

function canonical(v: KeyPart | undefined): string {
  if (v === undefined) return 'u';
  if (v instanceof Uint8Array) return `b${createHash('sha256').update(v).digest('hex')}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, KeyPart>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The sha256 of the parts, each length-prefixed so that no two different lists give the same text. */
export function contentKey(kind: string, parts: KeyPart[]): string {
  const h = createHash('sha256').update(`hwq ${kind} v${CACHE_FORMAT}\n`);
  for (const p of parts) {
    const c = canonical(p);
    h.update(`${c.length}:${c}\n`);
  }
  return h.digest('hex');
}

/** $HWQ_CACHE, else the user's cache folder (XDG), as the Verilator model cache. */
export function cacheDir(): string {
  if (process.env.HWQ_CACHE) return process.env.HWQ_CACHE;
  const base = process.env.XDG_CACHE_HOME || (homedir() ? join(homedir(), '.cache') : tmpdir());
  return join(base, 'hwq', 'results');
}

export function readCached<T>(dir: string, key: string): T | undefined {
  const p = join(dir, `${key}.json`);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch {
    // A damaged entry is as good as none: the caller measures again and overwrites it.
    return undefined;
  }
}

export function writeCached(dir: string, key: string, value: unknown): void {
  writeFileAtomic(join(dir, `${key}.json`), JSON.stringify(value));
}

/** The cached value under `key`, or `compute()`'s, stored for next time; `dir` null: no cache (always computed). */
export async function cached<T>(dir: string | null, key: string, compute: () => Promise<T>): Promise<{ value: T; hit: boolean }> {
  const hit = dir === null ? undefined : readCached<T>(dir, key);
  if (hit !== undefined) return { value: hit, hit: true };
  const value = await compute();
  if (dir !== null) writeCached(dir, key, value);
  return { value, hit: false };
}

/** The byte results under `key` when every named file is there (a set with a file missing counts as none). */
export function readCachedFiles(dir: string, key: string, names: readonly string[]): Record<string, Uint8Array> | undefined {
  const path = (name: string) => join(dir, `${key}.${name}`);
  if (!names.every((n) => existsSync(path(n)))) return undefined;
  return Object.fromEntries(names.map((n) => [n, new Uint8Array(readFileSync(path(n)))]));
}

export function writeCachedFiles(dir: string, key: string, value: Record<string, Uint8Array>): void {
  for (const [n, bytes] of Object.entries(value)) writeFileAtomic(join(dir, `${key}.${n}`), bytes);
}

/**
 * Byte results (model files) under `key`, one file per name: all of them found, or `compute()`'s, stored for next
 * time. A set with a file missing counts as none, so a half-written entry is measured again.
 */
export async function cachedFiles(
  dir: string | null, key: string, names: readonly string[], compute: () => Promise<Record<string, Uint8Array>>,
): Promise<{ value: Record<string, Uint8Array>; hit: boolean }> {
  const hit = dir === null ? undefined : readCachedFiles(dir, key, names);
  if (hit) return { value: hit, hit: true };
  const value = await compute();
  if (dir !== null) writeCachedFiles(dir, key, value);
  return { value, hit: false };
}
