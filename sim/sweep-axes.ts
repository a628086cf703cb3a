// Sweep axes over config fields (`--vary rows=8,16,32 --vary cols=2*rows --vary "wbuf.bytes=64 KiB,256 KiB"`):
// an axis that lists values is independent and the independent axes form a product; an axis given as one
// expression over other axes is dependent and is computed at every point of that product. Values are read by
// the units module's safe evaluator, with the other axes' names as its only variables.
import { CONFIG_FIELDS, ConfigError, ConfigField, HwConfig, validateConfig } from '../hw/config.js';
import { COMMON_UNITS, Evaluated, Expression, UnitError, Value, compactValue, evaluateExpression, parseExpression } from '../hw/units.js';
import { nearestName } from '../src/nearest.js';

type AxisValue = Value | boolean;

interface Item {
  /** As written, for messages. */
  text: string;
  /** For the label: as written without spaces (64KiB), or the computed value. */
  label: string;
  value: AxisValue;
}

export interface VaryAxis {
  field: string;
  /** The --vary text as typed, for messages. */
  text: string;
  /** Independent: the values listed. */
  items?: Item[];
  /** Dependent: one expression over other axes, and the axes it reads. */
  expr?: Expression;
  reads: string[];
}

/** The axes to vary, dependents in an order where each follows the axes it reads. */
export interface VaryPlan {
  /** Every varied field in the order given. */
  order: string[];
  independent: VaryAxis[];
  dependent: VaryAxis[];
}

/** One point: every varied field's value and the text the label shows for it, in --vary order. */
export type VaryPoint = Array<{ field: string } & Item>;

function refuse(axis: string, msg: string): never {
  throw new ConfigError(`--vary '${axis}': ${msg}`);
}

const VARIABLE = CONFIG_FIELDS.filter((f) => f.type !== 'string');

function fieldOf(name: string, text: string): ConfigField {
  const f = CONFIG_FIELDS.find((x) => x.path === name);
  if (f?.type === 'string') refuse(text, `${name} is text, not a design parameter; vary a number or switch (${VARIABLE.map((x) => x.path).join(', ')})`);
  if (f) return f;
  const near = nearestName(name, VARIABLE.map((x) => x.path));
  refuse(text, `unknown field '${name}' (${near ? `did you mean '${near}'?` : `valid fields: ${VARIABLE.map((x) => x.path).join(', ')}`})`);
}

/** "a=1,2" -> field and the raw value list. */
function split(text: string): { field: string; rhs: string } {
  const at = text.indexOf('=');
  if (at < 0) refuse(text, 'write <field>=<values>, e.g. rows=8,16,32 or cols=2*rows');
  const field = text.slice(0, at).trim();
  const rhs = text.slice(at + 1).trim();
  if (field === '') refuse(text, 'no field before the = (e.g. rows=8,16,32)');
  if (rhs === '') refuse(text, `no values after ${field}= (e.g. ${field}=8,16 or an expression over other axes)`);
  return { field, rhs };
}

function parse(text: string, item: string): Expression {
  try {
    return parseExpression(item);
  } catch (e) {
    if (e instanceof UnitError) refuse(text, e.message);
    throw e;
  }
}

function evaluateIn(text: string, e: Expression, vars?: ReadonlyMap<string, Value>): Value {
  try {
    return evaluateExpression(e, vars);
  } catch (err) {
    if (err instanceof UnitError) refuse(text, err.message);
    throw err;
  }
}

/** A field that measures nothing (rows, dram.efficiency) takes a plain number, not a quantity with units. */
function checkKind(text: string, f: ConfigField, v: Value, shown: string): void {
  if (typeof v !== 'number' && !f.unit) refuse(text, `${f.path} is a plain number, not '${shown}'`);
}

/**
 * Reads the --vary texts: field names checked (nearest name for a typo), an axis named twice, repeated values,
 * names a dependent reads that are not axes, and cycles between dependents are refused.
 */
export function parseVary(texts: readonly string[]): VaryPlan {
  const heads = texts.map((t) => ({ text: t, ...split(t) }));
  const seen = new Map<string, string>();
  for (const h of heads) {
    fieldOf(h.field, h.text);
    const before = seen.get(h.field);
    if (before !== undefined) refuse(h.text, `${h.field} is varied twice (also --vary '${before}'): list its values in one --vary`);
    seen.set(h.field, h.text);
  }
  const axes: VaryAxis[] = heads.map(({ text, field, rhs }) => {
    const f = fieldOf(field, text);
    const parts = rhs.split(',').map((s) => s.trim());
    if (parts.some((p) => p === '')) refuse(text, 'an empty value in the list');
    if (f.type === 'boolean') {
      const bad = parts.find((p) => p !== 'true' && p !== 'false');
      if (bad !== undefined) refuse(text, `${field} is true or false, not '${bad}'`);
      return { field, text, items: parts.map((p) => ({ text: p, label: p, value: p === 'true' })), reads: [] };
    }
    const exprs = parts.map((p) => parse(text, p));
    const reads = [...new Set(exprs.flatMap((e) => e.names))];
    for (const n of reads) {
      if (seen.has(n)) continue;
      if (CONFIG_FIELDS.some((x) => x.path === n)) refuse(text, `'${n}' is not varied: an expression reads only other --vary axes (add --vary ${n}=...)`);
      const near = nearestName(n, [...seen.keys(), ...COMMON_UNITS]);
      refuse(text, `unknown unit or axis '${n}'${near ? ` (did you mean '${near}'?)` : ''}`);
    }
    if (reads.length === 0) {
      const items = parts.map((p, i) => {
        const value = evaluateIn(text, exprs[i]);
        checkKind(text, f, value, p);
        return { text: p, label: p.replace(/\s+/g, ''), value };
      });
      const dup = items.find((x, i) => items.findIndex((y) => y.label === x.label) !== i);
      if (dup) refuse(text, `${dup.label} is listed twice`);
      return { field, text, items, reads };
    }
    if (parts.length > 1) refuse(text, `a value that reads other axes (${reads.join(', ')}) is one expression, not a list`);
    const bool = reads.find((n) => CONFIG_FIELDS.find((x) => x.path === n)?.type === 'boolean');
    if (bool !== undefined) refuse(text, `${bool} is true or false, not a number to compute with`);
    return { field, text, expr: exprs[0], reads };
  });
  return { order: axes.map((a) => a.field), independent: axes.filter((a) => a.items), dependent: orderDependents(axes) };
}

/** The dependents, each after the dependents it reads; a cycle is refused with its path. */
function orderDependents(axes: VaryAxis[]): VaryAxis[] {
  const byField = new Map(axes.map((a) => [a.field, a]));
  const done = new Set<string>();
  const out: VaryAxis[] = [];
  const visit = (a: VaryAxis, path: string[]): void => {
    if (a.items || done.has(a.field)) return;
    if (path.includes(a.field)) {
      const loop = [...path.slice(path.indexOf(a.field)), a.field];
      const texts = [...new Set(loop)].map((f) => `'${byField.get(f)!.text}'`);
      const how = texts.length === 1 ? 'reads itself' : `and ${texts.slice(1).join(' and ')} read each other`;
      throw new ConfigError(`--vary ${texts[0]} ${how} (${loop.join(' -> ')}): give one of them as a list`);
    }
    for (const r of a.reads) visit(byField.get(r)!, [...path, a.field]);
    done.add(a.field);
    out.push(a);
  };
  for (const a of axes) visit(a, []);
  return out;
}

/** Every point: the product of the independent axes (the first given outermost), then each dependent computed. */
export function varyPoints(plan: VaryPlan): VaryPoint[] {
  let combos: Array<Map<string, Item>> = [new Map()];
  for (const a of plan.independent) combos = combos.flatMap((m) => a.items!.map((it) => new Map(m).set(a.field, it)));
  return combos.map((m) => {
    for (const d of plan.dependent) {
      const vars = new Map<string, Value>(d.reads.map((r) => [r, m.get(r)!.value as Value]));
      const value = evaluateIn(d.text, d.expr!, vars);
      checkKind(d.text, CONFIG_FIELDS.find((f) => f.path === d.field)!, value, compactValue(value));
      m.set(d.field, { text: `${d.expr!.text} = ${compactValue(value)}`, label: compactValue(value), value });
    }
    return plan.order.map((field) => ({ field, ...m.get(field)! }));
  });
}

/** `vc709 rows=16 cols=32 wbuf.bytes=64KiB`. */
export function pointLabel(name: string, p: VaryPoint): string {
  return [name, ...p.map((x) => `${x.field}=${x.label}`)].join(' ');
}

/**
 * The config of one point: the fields set (values with units resolved with the point's own clock) and the
 * whole design checked, so a bad value is refused naming the field and the point.
 */
export function applyPoint(cfg: HwConfig, p: VaryPoint, label: string): HwConfig {
  const raw: Record<string, any> = structuredClone(cfg);
  raw.name = label;
  for (const { field, value, text } of p) {
    const [head, tail] = field.split('.');
    const v = typeof value === 'number' || typeof value === 'boolean' ? value : new Evaluated(text, value);
    if (tail === undefined) raw[head] = v;
    else raw[head][tail] = v;
  }
  return validateConfig(raw, `--vary point '${label}'`);
}
