// Engineering units in hardware configs: a value such as "64 KiB", "200 MHz" or "1866 MT/s * 64 bit" is read
// with mathjs's unit system and converted to the number a config field holds in its base unit. Only numbers,
// units, + - * / ^ and parentheses are read (the tree is walked here, never handed to mathjs's evaluate), plus
// the names a caller allows (a sweep's other axes).
import { createRequire } from 'node:module';
import type { MathJsInstance, MathNode, Unit } from 'mathjs';
import { nearestName } from '../src/nearest.js';

/** What a config field measures; a plain number is taken in `base`. */
export interface FieldUnit {
  quantity: 'size' | 'frequency' | 'energy';
  base: 'B' | 'bit' | 'MHz' | 'pJ';
  /**
   * 'cycle': counted per accelerator cycle, so the same quantity per second is also taken and divided by the
   * config's clock (a DRAM bandwidth, a static power). 'byte': counted per byte moved, so the quantity per any
   * size is also taken ('20 pJ/bit').
   */
  per?: 'cycle' | 'byte';
}

/** The result of an expression: a plain number or a quantity with units. */
export type Value = number | Unit;

/** A bad value; the caller prefixes where it came from (the config and field, or the sweep axis). */
export class UnitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnitError';
  }
}

let instance: MathJsInstance | undefined;

/**
 * A mathjs instance of its own, so the units defined here never leak into another user of mathjs. Loaded on the
 * first value with units: the single-file build loads in a tenth of the time of the ES module entry's hundreds of
 * files, and configs of plain numbers (every preset) never pay for it.
 */
function math(): MathJsInstance {
  if (instance) return instance;
  const { create, all } = createRequire(import.meta.url)('mathjs/lib/browser/math.js') as typeof import('mathjs');
  const m = create(all);
  // A DDR transfer is a count, so 1866 MT/s is a rate and 1866 MT/s * 64 bit a bandwidth. Out of the box T is
  // the tesla and MT a megatesla.
  m.createUnit('transfer', { definition: '1', aliases: ['transfers'], prefixes: 'long' });
  m.createUnit('T', { definition: '1 transfer', prefixes: 'short' }, { override: true });
  // mathjs knows Gb and kilobit but not Gbit, Kibit or Gbps.
  m.createUnit('bit', { definition: '1 b', prefixes: 'binary_short' }, { override: true });
  m.createUnit('bps', { definition: '1 bit/s', prefixes: 'binary_short' });
  instance = m;
  return m;
}

/** Units the "did you mean" hint picks from: the ones configs use, not all of mathjs's. */
export const COMMON_UNITS = [
  'B', 'kB', 'MB', 'GB', 'KiB', 'MiB', 'GiB', 'bit', 'kbit', 'Mbit', 'Gbit', 'Kibit', 'Mibit', 'b', 'kb', 'Mb', 'Gb',
  'Hz', 'kHz', 'MHz', 'GHz', 's', 'ms', 'us', 'ns', 'T', 'kT', 'MT', 'GT', 'bps', 'kbps', 'Mbps', 'Gbps',
  'J', 'mJ', 'uJ', 'nJ', 'pJ', 'fJ', 'W', 'mW', 'uW',
];

/** An expression read and checked, not yet evaluated. */
export interface Expression {
  text: string;
  node: MathNode;
  /** Symbols that are no unit, with dotted names whole ('wbuf.bytes'): what the expression needs to be given. */
  names: string[];
}

const OPERATORS: Record<string, (m: MathJsInstance, a: Value[]) => Value> = {
  add: (m, [a, b]) => m.add(a as number, b as number),
  subtract: (m, [a, b]) => m.subtract(a as number, b as number),
  multiply: (m, [a, b]) => m.multiply(a as number, b as number) as Value,
  divide: (m, [a, b]) => m.divide(a as number, b as number) as Value,
  pow: (m, [a, b]) => m.pow(a as number, b as number) as Value,
  unaryMinus: (m, [a]) => m.unaryMinus(a as number),
  unaryPlus: (_m, [a]) => a,
};

const ALLOWED = 'write numbers, units (64 KiB, 200 MHz, 1866 MT/s), + - * / ^ and parentheses';

/** 'wbuf.bytes' for the accessor node mathjs reads it as; undefined for any other indexing. */
function dottedName(n: MathNode): string | undefined {
  const a = n as unknown as { type: string; name?: string; object?: MathNode; index?: { dotNotation?: boolean; dimensions?: MathNode[] } };
  if (a.type === 'SymbolNode') return a.name;
  if (a.type !== 'AccessorNode' || !a.index?.dotNotation || a.index.dimensions?.length !== 1) return undefined;
  const head = dottedName(a.object!);
  const prop = (a.index.dimensions[0] as unknown as { value?: unknown }).value;
  return head === undefined || typeof prop !== 'string' ? undefined : `${head}.${prop}`;
}

/** Why a node is outside the subset, in words. */
function refusal(n: MathNode): string {
  const a = n as unknown as { type: string; fn?: unknown; op?: string; name?: string; value?: unknown };
  switch (a.type) {
    case 'FunctionNode': return `calls a function (${(a.fn as { name?: string })?.name ?? n.toString()})`;
    case 'AssignmentNode':
    case 'FunctionAssignmentNode': return 'assigns a value';
    case 'BlockNode': return 'holds several statements';
    case 'ArrayNode': return 'holds a list';
    case 'ObjectNode': return 'holds an object';
    case 'ConditionalNode': return 'holds a condition';
    case 'RangeNode': return 'holds a range';
    case 'RelationalNode': return 'compares values';
    case 'AccessorNode':
    case 'IndexNode': return 'indexes a value';
    case 'OperatorNode': return `uses the operator '${a.op}'`;
    case 'ConstantNode': return `holds ${JSON.stringify(a.value) ?? 'nothing'}, not a number`;
    default: return `holds a ${a.type}`;
  }
}

/** Reads `text` and refuses anything outside numbers, units, names, + - * / ^ and parentheses. */
export function parseExpression(text: string): Expression {
  const m = math();
  if (text.trim() === '') throw new UnitError("'' is empty");
  let node: MathNode;
  try {
    node = m.parse(text);
  } catch (e) {
    throw new UnitError(`'${text}' cannot be read (${(e as Error).message}): ${ALLOWED}`);
  }
  const names = new Set<string>();
  const walk = (n: MathNode): void => {
    const a = n as unknown as { type: string; fn?: string; args?: MathNode[]; content?: MathNode; value?: unknown; name?: string };
    if (a.type === 'ConstantNode' && typeof a.value === 'number') return;
    if (a.type === 'ParenthesisNode') return walk(a.content!);
    if (a.type === 'OperatorNode' && typeof a.fn === 'string' && a.fn in OPERATORS) return a.args!.forEach(walk);
    const name = dottedName(n);
    if (name !== undefined) {
      if (!(a.type === 'SymbolNode' && m.Unit.isValuelessUnit(name))) names.add(name);
      return;
    }
    throw new UnitError(`'${text}' ${refusal(n)}, which a value may not: ${ALLOWED}`);
  };
  walk(node);
  return { text, node, names: [...names] };
}

/** The value of a parsed expression; `vars` gives the names it may read (they win over units of the same name). */
export function evaluateExpression(e: Expression, vars: ReadonlyMap<string, Value> = new Map()): Value {
  const m = math();
  const unknown = e.names.find((n) => !vars.has(n));
  if (unknown !== undefined) {
    const near = nearestName(unknown, [...vars.keys(), ...COMMON_UNITS]);
    const what = vars.size ? 'unit or name' : 'unit';
    throw new UnitError(`'${e.text}': unknown ${what} '${unknown}'${near ? ` (did you mean '${near}'?)` : ''}`);
  }
  const ev = (n: MathNode): Value => {
    const a = n as unknown as { type: string; fn?: string; args?: MathNode[]; content?: MathNode; value?: number };
    if (a.type === 'ConstantNode') return a.value!;
    if (a.type === 'ParenthesisNode') return ev(a.content!);
    if (a.type === 'OperatorNode') return OPERATORS[a.fn!](m, a.args!.map(ev));
    const name = dottedName(n)!;
    return vars.get(name) ?? m.unit(1, name);
  };
  let v: Value;
  try {
    v = ev(e.node);
  } catch (err) {
    // mathjs's own words: adding a size to a frequency, a unit as an exponent
    throw new UnitError(`'${e.text}' cannot be evaluated: ${(err as Error).message}`);
  }
  const n = typeof v === 'number' ? v : v.value;
  if (!Number.isFinite(n)) throw new UnitError(`'${e.text}' is not a finite number`);
  return v;
}

/** Parses and evaluates one value that may read no names. */
export function evaluate(text: string): Value {
  return evaluateExpression(parseExpression(text));
}

/** A value already evaluated elsewhere (a sweep point), with the text it came from for messages. */
export class Evaluated {
  constructor(readonly text: string, readonly value: Value) {}
}

const NOUNS: Array<[string, string]> = [
  ['bit', 'a size'], ['Hz', 'a frequency'], ['s', 'a time'], ['J', 'an energy'], ['W', 'a power'],
  ['bit/s', 'a bandwidth'], ['J/bit', 'an energy per size'], ['m', 'a length'], ['kg', 'a mass'],
];

/** "a frequency", or the units themselves when they name no common quantity. */
function describe(u: Unit): string {
  const m = math();
  const hit = NOUNS.find(([probe]) => u.equalBase(m.unit(1, probe)));
  return hit ? hit[1] : `in ${u.formatUnits()}`;
}

const EXAMPLES: Record<FieldUnit['base'], string> = { B: '64 KiB', bit: '32 bit', MHz: '200 MHz', pJ: '1.5 pJ' };
const QUANTITY_NOUNS: Record<FieldUnit['quantity'], string> = { size: 'a size', frequency: 'a frequency', energy: 'an energy' };

/** What a field takes, for messages: "a size such as '64 KiB' or a number of bytes". */
export function expectedText(u: FieldUnit): string {
  const plain = u.base === 'B' ? 'a number of bytes' : u.base === 'bit' ? 'a number of bits' : `a number in ${u.base}`;
  const noun = QUANTITY_NOUNS[u.quantity];
  if (u.per === 'cycle') {
    const rate = u.quantity === 'size' ? "a bandwidth such as '1866 MT/s * 64 bit'" : "a power such as '50 mW'";
    return `${noun} per cycle such as '${u.quantity === 'size' ? '128 bit' : '5 pJ'}', ${rate} (divided by clockMHz), or ${plain}`;
  }
  if (u.per === 'byte') return `${noun} per byte such as '1.2 pJ' or '20 pJ/bit', or ${plain}`;
  return `${noun} such as '${EXAMPLES[u.base]}' or ${plain}`;
}

/** The unit a field's number is in, as `config show` prints it: 'B', 'bit/cycle', 'pJ/B'. */
export function unitSymbol(u: FieldUnit): string {
  return u.base + (u.per === 'cycle' ? '/cycle' : u.per === 'byte' ? '/B' : '');
}

/** Float noise of a unit conversion (0.03 pJ -> 0.030000000000000002) is not a value anyone wrote. */
function clean(n: number): number {
  return Number(n.toPrecision(15));
}

export interface FieldContext {
  /** Integer fields refuse a fraction, except a per-cycle rate, which is rounded down (no partial bits per cycle). */
  integer: boolean;
  /** The config's clock, for per-cycle fields given per second. */
  clockMHz?: number;
}

/** A value with or without units -> the field's number in its base unit, or a UnitError saying what is wrong. */
export function toFieldNumber(v: Value, text: string, u: FieldUnit, ctx: FieldContext): number {
  const m = math();
  let n: number;
  let perSecond = false;
  if (typeof v === 'number') n = v;
  else if (v.equalBase(m.unit(1, u.base))) n = v.toNumber(u.base);
  else if (u.per === 'cycle' && v.equalBase(m.unit(1, `${u.base}/s`))) {
    if (ctx.clockMHz === undefined) throw new UnitError(`'${text}' is per second, and the config has no clockMHz to divide by`);
    n = v.toNumber(`${u.base}/s`) / (ctx.clockMHz * 1e6);
    perSecond = true;
  } else if (u.per === 'byte' && v.equalBase(m.unit(1, `${u.base}/B`))) n = v.toNumber(`${u.base}/B`);
  else throw new UnitError(`'${text}' is ${describe(v)}, expected ${expectedText(u)}`);
  n = clean(n);
  if (ctx.integer && !Number.isInteger(n)) {
    if (perSecond) return Math.floor(n);
    throw new UnitError(`'${text}' is ${n} ${unitSymbol(u)}, expected a whole number`);
  }
  return n;
}

/** A field's value as a config file gives it (text) or a sweep computed it -> its number in the base unit. */
export function resolveFieldValue(given: string | Evaluated, u: FieldUnit, ctx: FieldContext): number {
  if (given instanceof Evaluated) return toFieldNumber(given.value, given.text, u, ctx);
  return toFieldNumber(evaluate(given), given, u, ctx);
}

/** A value as a label shows it, without spaces: 32KiB, 597.12. */
export function compactValue(v: Value): string {
  if (typeof v === 'number') return String(clean(v));
  return math().format(v, { precision: 12 }).replace(/\s+/g, '');
}
