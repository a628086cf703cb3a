// Numeric command-line options. yargs turns text it cannot read as a number into NaN, and a message built
// from that value would echo "NaN"; these options are declared without a type and read here from the text
// the user typed, so every message quotes it verbatim.
import { UserError } from '../errors.js';

export interface NumberRange {
  min?: number;
  max?: number;
  /** min itself is not allowed (a strength in (0, 1]). */
  minExclusive?: boolean;
  integer?: boolean;
}

function rangeText(r: NumberRange): string {
  const kind = r.integer ? 'an integer' : 'a number';
  if (r.min !== undefined && r.max !== undefined) return `${kind} in ${r.minExclusive ? '(' : '['}${r.min}, ${r.max}]`;
  if (r.min !== undefined) return `${kind} ${r.minExclusive ? '>' : '>='} ${r.min}`;
  if (r.max !== undefined) return `${kind} <= ${r.max}`;
  return kind;
}

function quoted(raw: unknown): string {
  return Array.isArray(raw) ? raw.map((x) => `'${String(x)}'`).join(' ') : `'${String(raw)}'`;
}

/** The value of `--name` as a number in range; `raw` is what yargs holds (the typed text, or a default). */
export function parseNumberArg(name: string, raw: unknown, r: NumberRange): number {
  if (Array.isArray(raw)) throw new UserError(`--${name} is given more than once (${quoted(raw)}): give it once`);
  const text = typeof raw === 'string' ? raw.trim() : raw;
  const n = typeof text === 'number' ? text : typeof text === 'string' && text !== '' ? Number(text) : NaN;
  const bad = !Number.isFinite(n) || (r.integer && !Number.isInteger(n)) || (r.min !== undefined && (r.minExclusive ? n <= r.min : n < r.min)) || (r.max !== undefined && n > r.max);
  if (bad) throw new UserError(`--${name} ${quoted(raw)} must be ${rangeText(r)}`);
  return n;
}

export const parseIntArg = (name: string, raw: unknown, min: number, max?: number): number => parseNumberArg(name, raw, { integer: true, min, max });

interface NumberOptionSpec extends NumberRange {
  describe: string;
  default?: number;
  /** Shown in --help instead of the default value. */
  defaultDescription?: string;
}

/**
 * A yargs option read by parseNumberArg at parse time: a bad value fails before any work starts. Declared
 * without a yargs type so the typed text reaches the check (help text names the range instead).
 */
export function numberOption(name: string, spec: NumberOptionSpec) {
  const { describe, default: def, defaultDescription, ...range } = spec;
  return {
    describe: `${describe} (${rangeText(range)})`,
    requiresArg: true,
    ...(def === undefined ? {} : { default: def }),
    ...(defaultDescription === undefined ? {} : { defaultDescription }),
    coerce: (raw: unknown) => (raw === undefined ? undefined : parseNumberArg(name, raw, range)),
  } as const;
}

export const intOption = (name: string, spec: Omit<NumberOptionSpec, 'integer'>) => numberOption(name, { ...spec, integer: true });

/** A list of numbers (`--mean 0.485 0.456 0.406`), each checked like a single number option. */
export function numberListOption(name: string, describe: string) {
  return {
    type: 'array',
    describe,
    coerce: (raw: unknown) => (raw === undefined ? undefined : (Array.isArray(raw) ? raw : [raw]).map((x) => parseNumberArg(name, x, {}))),
  } as const;
}
