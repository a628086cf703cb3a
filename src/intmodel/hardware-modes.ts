// Which Fusion Unit mode an integer layer runs in. A layer's precision is any width 1..unit per operand; the units
// fuse only to 2, 4, ..., unit bits, so each width is raised to the next of those (hw/fusion-unit.ts says what
// the unit runs; this module says how a precision of the integer model lands on it). The simulator, the
// published-model reference and the RTL weight images all ask here, so they agree on every layer's mode.
import { type HwConfig, supportedWidths, unitWidth } from '../../hw/config.js';
import { type FuMode, type UnitWidth, modeFor } from '../../hw/fusion-unit.js';
import { UserError } from '../errors.js';

/** Activation and weight widths of a layer. */
export interface OperandBits {
  a: number;
  w: number;
}

/** An operand a config's units cannot run: not a whole number of bits in 1..unit. */
export interface OperandMisfit {
  operand: 'activations' | 'weights';
  bits: number;
  unit: UnitWidth;
  /** The widths the units fuse to, narrowest first. */
  widths: number[];
  /** The width is a valid bit count, only wider than the unit. */
  tooWide: boolean;
}

type UnitConfig = Pick<HwConfig, 'maxBits' | 'name'>;

/** The first operand of `p` (activations, then weights) that `cfg`'s units cannot run, or undefined. */
export function operandMisfit(p: OperandBits, cfg: Pick<HwConfig, 'maxBits'>): OperandMisfit | undefined {
  const unit = unitWidth(cfg);
  for (const [operand, bits] of [['activations', p.a], ['weights', p.w]] as const) {
    if (!Number.isInteger(bits) || bits < 1 || bits > unit) {
      return { operand, bits, unit, widths: supportedWidths(cfg), tooWide: Number.isInteger(bits) && bits > unit };
    }
  }
  return undefined;
}

function defaultRefusal(p: OperandBits, cfg: UnitConfig, m: OperandMisfit): Error {
  const label = `a${p.a}w${p.w}`;
  if (m.tooWide) return new UserError(`precision ${label} needs ${Math.max(p.a, p.w)}-bit operands; ${cfg.name} has ${m.unit}-bit Fusion Units`);
  return new UserError(`precision ${label}: ${m.operand} of ${m.bits} bits are not a whole number of bits in 1..${m.unit}`);
}

/**
 * The mode `cfg`'s Fusion Units run precision `p` in, each width raised to the next one they fuse to. A precision
 * they cannot run throws `refuse(misfit)` (by default a UserError naming the precision and the unit width).
 */
export function hardwareMode(p: OperandBits, cfg: UnitConfig, refuse?: (m: OperandMisfit) => Error): FuMode {
  const misfit = operandMisfit(p, cfg);
  if (misfit) throw refuse ? refuse(misfit) : defaultRefusal(p, cfg, misfit);
  return modeFor(p.a, p.w, unitWidth(cfg));
}
