// What a Bit Fusion accelerator is: the one configuration type that the simulator, the RTL generator and
// the CLI share, with validation that names the bad field and the valid range.

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

export interface HwConfig {
  name: string;
  description: string;
  /** Systolic array: rows span the reduction dimension, columns the output channels. */
  rows: number;
  cols: number;
  /** BitBricks per Fusion Unit; 16 for the 8-bit design (maxBits^2 / 4). */
  bitBricksPerUnit: number;
  /** Widest operand in bits (8 in Bit Fusion); supported widths are the powers of two from 2 up to it. */
  maxBits: number;
  clockMHz: number;
  ibuf: BufferConfig;
  wbuf: BufferConfig;
  obuf: BufferConfig;
  dram: DramConfig;
  /** Partial-sum width kept in OBUF and DRAM between reduction tiles. */
  accumulatorBits: number;
  energy: EnergyConfig;
  /** Process / target, free text ('45 nm ASIC', 'xc7vx690tffg1761-2'). */
  technology: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Operand widths the Fusion Unit fuses to: 2, 4, ..., maxBits. */
export function supportedWidths(cfg: Pick<HwConfig, 'maxBits'>): number[] {
  const out: number[] = [];
  for (let b = 2; b <= cfg.maxBits; b *= 2) out.push(b);
  return out;
}

function need(cond: boolean, src: string, field: string, msg: string): void {
  if (!cond) throw new ConfigError(`${src}: ${field} ${msg}`);
}

function posInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

function nonNeg(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/**
 * Checks a parsed object field by field and returns it typed. `src` names where it came from (a preset or
 * a file) so the message points the user at the right input.
 */
export function validateConfig(raw: unknown, src: string): HwConfig {
  need(typeof raw === 'object' && raw !== null && !Array.isArray(raw), src, 'config', 'must be a JSON object');
  const c = raw as Record<string, any>;
  need(typeof c.name === 'string' && c.name.length > 0, src, 'name', 'must be a non-empty string');
  need(posInt(c.rows) && c.rows <= 4096, src, 'rows', `must be an integer in 1..4096 (got ${JSON.stringify(c.rows)})`);
  need(posInt(c.cols) && c.cols <= 4096, src, 'cols', `must be an integer in 1..4096 (got ${JSON.stringify(c.cols)})`);
  need(c.maxBits === 8 || c.maxBits === 4 || c.maxBits === 16, src, 'maxBits', `must be 4, 8 or 16 (got ${JSON.stringify(c.maxBits)})`);
  const bricks = (c.maxBits * c.maxBits) / 4;
  need(c.bitBricksPerUnit === bricks, src, 'bitBricksPerUnit', `must be maxBits^2/4 = ${bricks} (got ${JSON.stringify(c.bitBricksPerUnit)})`);
  need(typeof c.clockMHz === 'number' && c.clockMHz > 0 && c.clockMHz <= 5000, src, 'clockMHz', `must be a number in (0, 5000] (got ${JSON.stringify(c.clockMHz)})`);
  for (const b of ['ibuf', 'wbuf', 'obuf'] as const) {
    need(typeof c[b] === 'object' && c[b] !== null, src, b, 'must be an object {bytes, doubleBuffered}');
    need(posInt(c[b].bytes), src, `${b}.bytes`, `must be a positive integer (got ${JSON.stringify(c[b].bytes)})`);
    need(typeof c[b].doubleBuffered === 'boolean', src, `${b}.doubleBuffered`, 'must be true or false');
  }
  need(typeof c.dram === 'object' && c.dram !== null, src, 'dram', 'must be an object {bitsPerCycle, efficiency}');
  need(posInt(c.dram.bitsPerCycle), src, 'dram.bitsPerCycle', `must be a positive integer (got ${JSON.stringify(c.dram.bitsPerCycle)})`);
  need(typeof c.dram.efficiency === 'number' && c.dram.efficiency > 0 && c.dram.efficiency <= 1, src, 'dram.efficiency', `must be in (0, 1] (got ${JSON.stringify(c.dram.efficiency)})`);
  need(c.accumulatorBits === 32 || c.accumulatorBits === 16 || c.accumulatorBits === 24 || c.accumulatorBits === 48, src, 'accumulatorBits', `must be 16, 24, 32 or 48 (got ${JSON.stringify(c.accumulatorBits)})`);
  need(typeof c.energy === 'object' && c.energy !== null, src, 'energy', 'must be an object of per-access energies in pJ');
  for (const k of ['bitBrickPJ', 'ibufPJPerByte', 'wbufPJPerByte', 'obufPJPerByte', 'dramPJPerByte', 'staticPJPerCycle'] as const) {
    need(nonNeg(c.energy[k]), src, `energy.${k}`, `must be a number >= 0 (got ${JSON.stringify(c.energy[k])})`);
  }
  return {
    name: c.name,
    description: typeof c.description === 'string' ? c.description : '',
    rows: c.rows,
    cols: c.cols,
    bitBricksPerUnit: c.bitBricksPerUnit,
    maxBits: c.maxBits,
    clockMHz: c.clockMHz,
    ibuf: { bytes: c.ibuf.bytes, doubleBuffered: c.ibuf.doubleBuffered },
    wbuf: { bytes: c.wbuf.bytes, doubleBuffered: c.wbuf.doubleBuffered },
    obuf: { bytes: c.obuf.bytes, doubleBuffered: c.obuf.doubleBuffered },
    dram: { bitsPerCycle: c.dram.bitsPerCycle, efficiency: c.dram.efficiency, note: typeof c.dram.note === 'string' ? c.dram.note : undefined },
    accumulatorBits: c.accumulatorBits,
    energy: { ...c.energy },
    technology: typeof c.technology === 'string' ? c.technology : '',
  };
}

/** Bytes of a buffer usable by one tile: half when double-buffered (the other half is being filled). */
export function tileCapacity(b: BufferConfig): number {
  return b.doubleBuffered ? Math.floor(b.bytes / 2) : b.bytes;
}

/** Sustained DRAM bits per accelerator cycle. */
export function dramBitsPerCycle(cfg: HwConfig): number {
  return cfg.dram.bitsPerCycle * cfg.dram.efficiency;
}
