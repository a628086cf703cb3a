// Which precision each compute layer runs at: a uniform setting (--a4w4), the first/last-layer rule
// (--first-last 8), per-layer overrides from a JSON file, or the precisions a network or quantized model
// carries. One function decides, so the simulator, sweeps and reports agree.
import { readFileSync } from 'node:fs';
import { ComputeLayer, Network, Precision, computeLayers } from '../src/model/ir.js';
import { UserError } from '../src/errors.js';
import { UNIT_WIDTHS } from '../hw/fusion-unit.js';

export const DEFAULT_PRECISION: Precision = { a: 8, w: 8 };

/**
 * The bit widths a layer may be given, on the command line and in files: up to the widest Fusion Unit there is
 * (16 bits). What a given design or the quantizer cannot run is refused there, saying why.
 */
export const MIN_BITS = 1;
export const MAX_BITS: number = Math.max(...UNIT_WIDTHS);
const RANGE = `${MIN_BITS}..${MAX_BITS}`;

function checkWidth(v: number, which: string, what: string, text: string): void {
  if (v < MIN_BITS || v > MAX_BITS) throw new UserError(`${what} '${text}': ${which} width ${v} is outside ${RANGE}`);
}

/**
 * The one parser of bit-width settings: 'a4w4' -> {a: 4, w: 4}; with `weightOnly`, also 'w4' -> {a: null, w: 4}
 * (float activations, which only the quantizer produces). Widths MIN_BITS..MAX_BITS.
 */
export function parseBits(text: string, what: string, weightOnly: boolean): { a: number | null; w: number } {
  const m = (weightOnly ? /^(?:a(\d+))?w(\d+)$/i : /^a(\d+)w(\d+)$/i).exec(text.trim());
  if (!m) throw new UserError(`${what} '${text}' is not of the form a<A>w<W>${weightOnly ? ' or w<W> (weights only)' : ''} (e.g. a8w8, a8w4, a4w4, a2w2${weightOnly ? ', w4' : ''})`);
  const a = m[1] === undefined ? null : Number(m[1]);
  const w = Number(m[2]);
  if (a !== null) checkWidth(a, 'activation', what, text);
  checkWidth(w, 'weight', what, text);
  return { a, w };
}

/** 'a4w4', 'A8W4', 'a8w8' -> {a, w}; widths MIN_BITS..MAX_BITS. */
export function parsePrecision(text: string, what = 'precision'): Precision {
  return parseBits(text, what, false) as Precision;
}

/** --first-last: a bit width for the first and last compute layer, or 'none' to treat them like the rest. */
export function parseFirstLast(raw: unknown): number | null {
  const text = String(raw).trim();
  if (raw === null || /^(none|off)$/i.test(text)) return null;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (Array.isArray(raw) || !(n >= MIN_BITS && n <= MAX_BITS)) throw new UserError(`--first-last '${Array.isArray(raw) ? raw.join(' ') : text}' must be a bit width ${RANGE} or 'none'`);
  return n;
}

export function precisionLabel(p: Precision): string {
  return `a${p.a}w${p.w}`;
}

export interface PrecisionOptions {
  /** Every compute layer at this precision (overrides what the network carries). */
  uniform?: Precision;
  /** First and last compute layer at this many bits (activations and weights). */
  firstLast?: number;
  /** Layer name -> precision, applied last. */
  overrides?: Record<string, Precision>;
}

export interface PrecisionPlan {
  /** 'a4w4' when every compute layer agrees, else 'mixed'. */
  label: string;
  of: (layer: ComputeLayer, index: number) => Precision;
  /** Per compute layer, in order. */
  list: Precision[];
}

export function planPrecisions(net: Network, opts: PrecisionOptions): PrecisionPlan {
  const layers = computeLayers(net);
  if (opts.overrides) {
    const names = new Set(layers.map((l) => l.name));
    for (const name of Object.keys(opts.overrides)) {
      if (!names.has(name)) {
        const some = layers.slice(0, 6).map((l) => l.name).join(', ');
        throw new UserError(`precision override names layer '${name}', which is not a compute layer of ${net.name} (its compute layers: ${some}${layers.length > 6 ? ', ...' : ''})`);
      }
    }
  }
  if (opts.firstLast !== undefined && (!Number.isInteger(opts.firstLast) || opts.firstLast < MIN_BITS || opts.firstLast > MAX_BITS)) {
    throw new UserError(`--first-last ${opts.firstLast} is outside ${RANGE}`);
  }
  const list = layers.map((l, i) => {
    let p = opts.uniform ?? l.precision ?? DEFAULT_PRECISION;
    if (opts.firstLast !== undefined && (i === 0 || i === layers.length - 1)) p = { a: opts.firstLast, w: opts.firstLast };
    return { ...(opts.overrides?.[l.name] ?? p) };
  });
  const index = new Map(layers.map((l, i) => [l, i]));
  const same = list.every((p) => p.a === list[0].a && p.w === list[0].w);
  return {
    label: list.length && same ? precisionLabel(list[0]) : 'mixed',
    list,
    of: (layer) => {
      const i = index.get(layer);
      if (i === undefined) throw new Error(`internal: layer ${layer.name} is not in the plan`);
      return list[i];
    },
  };
}

/** Reads {"layer": "a4w4" | {"a": 4, "w": 4}, ...}. */
export function readOverrides(path: string): Record<string, Precision> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UserError(`cannot read precision file '${path}': ${err.code ?? err.message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserError(`precision file '${path}' must hold an object {"layer name": "a4w4" | {"a": 4, "w": 4}}`);
  }
  const out: Record<string, Precision> = {};
  for (const [name, v] of Object.entries(raw)) {
    if (typeof v === 'string') out[name] = parsePrecision(v, `${path}: layer '${name}'`);
    else if (v && typeof v === 'object' && Number.isInteger((v as any).a) && Number.isInteger((v as any).w)) {
      out[name] = parsePrecision(`a${(v as any).a}w${(v as any).w}`, `${path}: layer '${name}'`);
    } else throw new UserError(`${path}: layer '${name}' must map to "a<A>w<W>" or {"a": A, "w": W}`);
  }
  return out;
}
