// What a Bit Fusion accelerator is: the one configuration type that the simulator, the RTL generator and
// the CLI share, with validation that names the bad field and the valid range.
import { UNIT_WIDTHS, UnitWidth, bricksPerUnit } from './fusion-unit.js';
import { nearestName } from '../src/nearest.js';
import { Evaluated, FieldUnit, UnitError, resolveFieldValue, unitSymbol } from './units.js';

export interface BufferConfig {
  /** Capacity in bytes (both halves together when double-buffered). */
  bytes: number;
  doubleBuffered: boolean;
}

export interface DramConfig {
  /** Interface width in bits transferred per accelerator clock cycle at full efficiency. */
  bitsPerCycle: number;
  /** Fraction of the peak the memory system sustains (row misses, refresh, controller overhead): 0 < e <= 1. */
  efficiency: number;
  /** Where the peak comes from, for the report (free text). */
  note?: string;
}

/** Energy per event in picojoules. */
export interface EnergyConfig {
  /** One 2-bit x 2-bit BitBrick product (all 16 in a unit fire every busy cycle). */
  bitBrickPJ: number;
  /** Reading or writing one byte of each on-chip buffer. */
  ibufPJPerByte: number;
  wbufPJPerByte: number;
  obufPJPerByte: number;
  /** One byte moved to or from DRAM. */
  dramPJPerByte: number;
  /** Leakage and clock tree of the whole chip per cycle (0 to leave out). */
  staticPJPerCycle: number;
}

/**
 * What a measured board adds to the cycle model (sim/schedule.ts, sim/dram.ts), fitted by `hwq calibrate`. The
 * defaults (BOARD_DEFAULTS) are the ideal array: a config without the group runs exactly as before.
 */
export interface BoardConfig {
  /** Fraction of its peak rate of products the array sustains (0 < e <= 1): a tile's array cycles are divided by it. */
  computeEfficiency: number;
  /** Fixed cycles per compute layer (instruction fetch, configuration, draining the pipeline between layers). */
  layerOverheadCycles: number;
  /** Fixed cycles per tile of the schedule (the controller's handshake before the array starts a tile). */
  tileOverheadCycles: number;
  /** Fixed cycles per DRAM transfer (one tile's load or one output tile's store, sim/dram.ts) before data moves. */
  dramLatencyCycles: number;
}

export const BOARD_DEFAULTS: Readonly<BoardConfig> = Object.freeze({
  computeEfficiency: 1,
  layerOverheadCycles: 0,
  tileOverheadCycles: 0,
  dramLatencyCycles: 0,
});

export interface HwConfig {
  name: string;
  description: string;
  /** Systolic array: rows span the reduction dimension, columns the output channels. */
  rows: number;
  cols: number;
  /** BitBricks per Fusion Unit: (maxBits/2)^2, 16 for the Bit Fusion paper's 8-bit unit. */
  bitBricksPerUnit: number;
  /** Fusion Unit width: the widest operand in bits (4, 8 or 16; 8 in Bit Fusion); it runs 2, 4, ..., maxBits. */
  maxBits: number;
  clockMHz: number;
  ibuf: BufferConfig;
  wbuf: BufferConfig;
  obuf: BufferConfig;
  dram: DramConfig;
  /** Partial-sum width: OBUF entries, partial sums spilled to DRAM between reduction tiles, RTL accumulators. */
  accumulatorBits: number;
  energy: EnergyConfig;
  /** Process / target, free text ('45 nm ASIC', 'xc7vx690tffg1761-2'). */
  technology: string;
  /** A measured board's timing (absent: the ideal array, BOARD_DEFAULTS). */
  board?: BoardConfig;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Operand widths the Fusion Unit fuses to: 2, 4, ..., maxBits. */
export function supportedWidths(cfg: Pick<HwConfig, 'maxBits'>): number[] {
  const out: number[] = [];
  for (let b = 2; b <= cfg.maxBits; b *= 2) out.push(b);
  return out;
}

/** The Fusion Unit width of a (validated) config. */
export function unitWidth(cfg: Pick<HwConfig, 'maxBits'>): UnitWidth {
  return cfg.maxBits as UnitWidth;
}

/** The models that read a config field: a field no model reads would be silently ignored. */
export type ConfigReader = 'cycle' | 'ref' | 'rtl';

export interface ConfigField {
  /** Dotted path: 'rows', 'ibuf.bytes'. */
  path: string;
  type: 'integer' | 'number' | 'boolean' | 'string';
  /** Optional fields are the free-text ones. */
  required: boolean;
  /** True when v (already of `type`) is valid in the whole config c. */
  ok?: (v: any, c: any) => boolean;
  /** What a valid value is, for the error message ("an integer in 1..4096"). */
  expect: string | ((c: any) => string);
  /**
   * Which models read it. Free text (names, notes) is read by none and says so with `text`; everything else
   * moves the result of every reader listed, or is refused by it.
   */
  readBy: ConfigReader[];
  text?: boolean;
  /**
   * What the number measures and its base unit. Such a field also takes text with units and arithmetic
   * ("64 KiB", "1866 MT/s * 64 bit"), converted to the base unit (hw/units.ts).
   */
  unit?: FieldUnit;
  /**
   * The value an optional numeric field has when it is left out. A reader not in `readBy` refuses a config that
   * sets it to anything else (unreadSettings): running it would silently run the default instead.
   */
  default?: number;
}

const ALL: ConfigReader[] = ['cycle', 'ref', 'rtl'];
/** Memory-system and energy figures: the generated array has no DRAM controller and no energy model. */
const SIMULATORS: ConfigReader[] = ['cycle', 'ref'];
const posInt = (v: number) => Number.isInteger(v) && v > 0;
const nonNeg = (v: number) => Number.isFinite(v) && v >= 0;

const BYTES: FieldUnit = { quantity: 'size', base: 'B' };
const BITS: FieldUnit = { quantity: 'size', base: 'bit' };
const PJ: FieldUnit = { quantity: 'energy', base: 'pJ' };

function bufferFields(b: 'ibuf' | 'wbuf' | 'obuf'): ConfigField[] {
  return [
    { path: `${b}.bytes`, type: 'integer', required: true, ok: posInt, expect: 'must be a positive integer', readBy: ALL, unit: BYTES },
    { path: `${b}.doubleBuffered`, type: 'boolean', required: true, expect: 'must be true or false', readBy: ALL },
  ];
}

/** Every field of a HwConfig file, in the order the docs list them. */
export const CONFIG_FIELDS: ConfigField[] = [
  { path: 'name', type: 'string', required: true, ok: (v) => v.length > 0, expect: 'must be a non-empty string', readBy: ALL },
  { path: 'description', type: 'string', required: false, expect: 'must be a string', readBy: [], text: true },
  { path: 'rows', type: 'integer', required: true, ok: (v) => v >= 1 && v <= 4096, expect: 'must be an integer in 1..4096', readBy: ALL },
  { path: 'cols', type: 'integer', required: true, ok: (v) => v >= 1 && v <= 4096, expect: 'must be an integer in 1..4096', readBy: ALL },
  {
    path: 'bitBricksPerUnit', type: 'integer', required: true, ok: (v, c) => v === bricksPerUnit(c.maxBits),
    expect: (c) => `must be maxBits^2/4 = ${bricksPerUnit(c.maxBits)} (the quad tree of a ${c.maxBits}-bit unit)`, readBy: ALL,
  },
  {
    path: 'maxBits', type: 'integer', required: true, ok: (v) => (UNIT_WIDTHS as readonly number[]).includes(v),
    expect: `must be ${UNIT_WIDTHS.slice(0, -1).join(', ')} or ${UNIT_WIDTHS.at(-1)} (the Fusion Unit width)`, readBy: ALL, unit: BITS,
  },
  {
    path: 'clockMHz', type: 'number', required: true, ok: (v) => v > 0 && v <= 5000, expect: 'must be a number in (0, 5000]', readBy: ALL,
    unit: { quantity: 'frequency', base: 'MHz' },
  },
  ...bufferFields('ibuf'),
  ...bufferFields('wbuf'),
  ...bufferFields('obuf'),
  {
    path: 'dram.bitsPerCycle', type: 'integer', required: true, ok: posInt, expect: 'must be a positive integer', readBy: SIMULATORS,
    unit: { ...BITS, per: 'cycle' },
  },
  { path: 'dram.efficiency', type: 'number', required: true, ok: (v) => v > 0 && v <= 1, expect: 'must be in (0, 1]', readBy: SIMULATORS },
  { path: 'dram.note', type: 'string', required: false, expect: 'must be a string', readBy: [], text: true },
  {
    path: 'accumulatorBits', type: 'integer', required: true, ok: (v) => [16, 24, 32, 48].includes(v), expect: 'must be 16, 24, 32 or 48', readBy: ALL,
    unit: BITS,
  },
  ...(['bitBrickPJ', 'ibufPJPerByte', 'wbufPJPerByte', 'obufPJPerByte', 'dramPJPerByte', 'staticPJPerCycle'] as const).map(
    (k): ConfigField => ({
      path: `energy.${k}`, type: 'number', required: true, ok: nonNeg, expect: 'must be a number >= 0', readBy: SIMULATORS,
      unit: k.endsWith('PerByte') ? { ...PJ, per: 'byte' } : k.endsWith('PerCycle') ? { ...PJ, per: 'cycle' } : PJ,
    }),
  ),
  { path: 'technology', type: 'string', required: false, expect: 'must be a string', readBy: [], text: true },
  {
    path: 'board.computeEfficiency', type: 'number', required: false, ok: (v) => v > 0 && v <= 1, expect: 'must be in (0, 1]',
    readBy: ['cycle'], default: BOARD_DEFAULTS.computeEfficiency,
  },
  ...(['layerOverheadCycles', 'tileOverheadCycles', 'dramLatencyCycles'] as const).map(
    (k): ConfigField => ({
      path: `board.${k}`, type: 'number', required: false, ok: (v) => v >= 0 && v <= 1e9, expect: 'must be a number of cycles in 0..1e9',
      readBy: ['cycle'], default: BOARD_DEFAULTS[k],
    }),
  ),
];

/** The value at a field's dotted path ('wbuf.bytes'). */
export function fieldValue(cfg: HwConfig, path: string): unknown {
  const [head, tail] = path.split('.');
  const v = (cfg as unknown as Record<string, unknown>)[head];
  return tail === undefined ? v : (v as Record<string, unknown> | undefined)?.[tail];
}

/** Groups a config may leave out (their fields then take their defaults). */
const OPTIONAL_GROUPS = new Set(['board']);

/** The object-valued fields and what the message says they hold. */
const GROUPS: Record<string, string> = {
  ibuf: '{bytes, doubleBuffered}',
  wbuf: '{bytes, doubleBuffered}',
  obuf: '{bytes, doubleBuffered}',
  dram: '{bitsPerCycle, efficiency}',
  energy: 'of per-access energies in pJ',
  board: '{computeEfficiency, layerOverheadCycles, tileOverheadCycles, dramLatencyCycles}',
};

function fail(src: string, field: string, msg: string): never {
  throw new ConfigError(`${src}: ${field} ${msg}`);
}

function textOf(given: unknown): string {
  return given instanceof Evaluated ? given.text : String(given);
}

/** A unit field's text ("64 KiB") or sweep value as the number in its base unit; anything else as given. */
function withUnits(f: ConfigField, given: unknown, c: Record<string, unknown>, src: string): unknown {
  if (!f.unit || !(typeof given === 'string' || given instanceof Evaluated)) return given;
  try {
    const clockMHz = typeof c.clockMHz === 'number' ? c.clockMHz : undefined;
    return resolveFieldValue(given, f.unit, { integer: f.type === 'integer', clockMHz });
  } catch (e) {
    if (e instanceof UnitError) throw new ConfigError(`${src}: ${f.path}: ${e.message}`);
    throw e;
  }
}

function typeOk(v: unknown, t: ConfigField['type']): boolean {
  if (t === 'integer') return typeof v === 'number' && Number.isInteger(v);
  if (t === 'number') return typeof v === 'number' && Number.isFinite(v);
  return typeof v === t;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Refuses any key the schema does not know, suggesting the nearest valid one. */
function refuseUnknown(c: Record<string, unknown>, src: string): void {
  const known = CONFIG_FIELDS.map((f) => f.path);
  const refuse = (key: string, suggestions: string[], valid: string[]): never => {
    const hint = suggestions.length ? `did you mean ${orList(suggestions.map((x) => `'${x}'`))}?` : `valid fields: ${valid.join(', ')}`;
    throw new ConfigError(`unknown field '${key}' in ${src} (${hint})`);
  };
  const topLevel = [...new Set(known.map((p) => p.split('.')[0]))];
  const leaves = [...new Set(known.filter((p) => p.includes('.')).map((p) => p.split('.')[1]))];
  for (const k of Object.keys(c)) {
    if (!topLevel.includes(k)) {
      // a nested field written at the top ("doubleBufferd") points at every group that has it
      const near = nearestName(k, [...topLevel, ...leaves]);
      refuse(k, near === undefined ? [] : topLevel.includes(near) ? [near] : known.filter((p) => p.endsWith(`.${near}`)), topLevel);
    }
    if (k in GROUPS && isObject(c[k])) {
      const inGroup = known.filter((p) => p.startsWith(`${k}.`)).map((p) => p.slice(k.length + 1));
      for (const sub of Object.keys(c[k] as object)) {
        if (inGroup.includes(sub)) continue;
        const near = nearestName(sub, inGroup);
        refuse(`${k}.${sub}`, near === undefined ? [] : [`${k}.${near}`], inGroup.map((x) => `${k}.${x}`));
      }
    }
  }
}

/** "a", "a or b", "a, b or c". */
function orList(xs: string[]): string {
  return xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}`;
}

/**
 * Checks a parsed object field by field and returns it typed. `src` names where it came from (a preset or
 * a file) so the message points the user at the right input. Unknown fields are refused: a misspelled field
 * would otherwise leave the preset's value in force without a word.
 */
export function validateConfig(raw: unknown, src: string): HwConfig {
  if (!isObject(raw)) fail(src, 'config', 'must be a JSON object');
  refuseUnknown(raw, src);
  for (const [g, holds] of Object.entries(GROUPS)) {
    if (!isObject(raw[g]) && !(OPTIONAL_GROUPS.has(g) && raw[g] === undefined)) fail(src, g, `must be an object ${holds}`);
  }
  // a copy to hold the numbers that values with units resolve to; the caller's object stays as given
  const c: Record<string, unknown> = { ...raw };
  for (const g of Object.keys(GROUPS)) if (isObject(raw[g])) c[g] = { ...raw[g] };
  // maxBits before the fields whose valid range depends on it (clockMHz precedes the per-cycle fields anyway)
  const ordered = [...CONFIG_FIELDS].sort((a, b) => Number(b.path === 'maxBits') - Number(a.path === 'maxBits'));
  for (const f of ordered) {
    const [head, tail] = f.path.split('.');
    const holder = (tail === undefined ? c : c[head]) as Record<string, unknown> | undefined;
    // an optional group left out: its fields take their defaults
    if (holder === undefined) continue;
    const key = tail ?? head;
    const given = holder[key];
    if (given === undefined && !f.required) continue;
    const v = (holder[key] = withUnits(f, given, c, src));
    if (!typeOk(v, f.type) || (f.ok && !f.ok(v, c))) {
      const got = v === given ? JSON.stringify(given) ?? 'nothing' : `'${textOf(given)}' = ${v} ${unitSymbol(f.unit!)}`;
      fail(src, f.path, `${typeof f.expect === 'function' ? f.expect(c) : f.expect} (got ${got})`);
    }
  }
  const e = c.energy as Record<string, number>;
  const buf = (b: unknown): BufferConfig => ({ bytes: (b as BufferConfig).bytes, doubleBuffered: (b as BufferConfig).doubleBuffered });
  const dram = c.dram as DramConfig;
  return {
    name: c.name as string,
    description: (c.description as string | undefined) ?? '',
    rows: c.rows as number,
    cols: c.cols as number,
    bitBricksPerUnit: c.bitBricksPerUnit as number,
    maxBits: c.maxBits as number,
    clockMHz: c.clockMHz as number,
    ibuf: buf(c.ibuf),
    wbuf: buf(c.wbuf),
    obuf: buf(c.obuf),
    dram: { bitsPerCycle: dram.bitsPerCycle, efficiency: dram.efficiency, note: dram.note },
    accumulatorBits: c.accumulatorBits as number,
    energy: {
      bitBrickPJ: e.bitBrickPJ, ibufPJPerByte: e.ibufPJPerByte, wbufPJPerByte: e.wbufPJPerByte,
      obufPJPerByte: e.obufPJPerByte, dramPJPerByte: e.dramPJPerByte, staticPJPerCycle: e.staticPJPerCycle,
    },
    technology: (c.technology as string | undefined) ?? '',
    ...(c.board === undefined ? {} : { board: { ...BOARD_DEFAULTS, ...(c.board as Partial<BoardConfig>) } }),
  };
}

/** The board timing a config runs with: its own, or the ideal array's. */
export function boardOf(cfg: Pick<HwConfig, 'board'>): BoardConfig {
  return cfg.board ?? BOARD_DEFAULTS;
}

/**
 * The fields with a default that `reader` does not read but `cfg` sets to another value, as 'path value'. A reader
 * refuses such a config rather than run it as if the field were at its default.
 */
export function unreadSettings(cfg: HwConfig, reader: ConfigReader): string[] {
  const out: string[] = [];
  for (const f of CONFIG_FIELDS) {
    if (f.default === undefined || f.readBy.includes(reader)) continue;
    const [head, tail] = f.path.split('.');
    const v = tail === undefined ? (cfg as any)[head] : (cfg as any)[head]?.[tail];
    if (v !== undefined && v !== f.default) out.push(`${f.path} ${v}`);
  }
  return out;
}

/** Bytes of a buffer usable by one tile: half when double-buffered (the other half is being filled). */
export function tileCapacity(b: BufferConfig): number {
  return b.doubleBuffered ? Math.floor(b.bytes / 2) : b.bytes;
}

/** Sustained DRAM bits per accelerator cycle. */
export function dramBitsPerCycle(cfg: HwConfig): number {
  return cfg.dram.bitsPerCycle * cfg.dram.efficiency;
}
