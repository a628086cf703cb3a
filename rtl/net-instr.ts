// The network program's instructions as the compiler emits them (rtl/net-program.ts; the binary form is rtl/isa.ts):
// their own module so that what reads them (the executor, the dependences) need not import the compiler.
import type { FuMode } from '../hw/fusion-unit.js';
import type { OutputPass, ResidualLane } from './output-path.js';
import type { InputTile, RowStart, WindowSteps } from './walk.js';
import type { PackedTensor, WindowGeometry } from './window.js';

/**
 * How a layer reads its residual operand: the output unit's residual lane (rtl/output-path.ts ResidualLane) on
 * a source tensor in memory, whose output pixel (oy, ox) is source pixel (oy * strideY, ox * strideX).
 */
export interface ResidualRead extends Omit<ResidualLane, 'src' | 'wordLo' | 'words'> {
  src: PackedTensor;
  strideY: number;
  strideX: number;
}

/** A block of output pixels: rows oy0 .. oy0+rows-1, columns ox0 .. ox0+cols-1 of an output `width` wide. */
export interface PixelBlock {
  oy0: number;
  ox0: number;
  rows: number;
  cols: number;
}

/** What one array tile runs: operand modes, the block's pixels and steps, the rows' walk over the IBUF tile, and the halves it uses. */
export interface WindowTile {
  mode: FuMode;
  aSigned: boolean;
  wSigned: boolean;
  /** Output pixels (block rows x cols, row-major) and reduction steps. */
  M: number;
  S: number;
  walk: WindowSteps;
  ibHalf: 0 | 1;
  wbHalf: 0 | 1;
  obHalf: 0 | 1;
  /** OBUF word of the tile's pixel 0 (in the half). */
  obufBase: number;
  /** Add to the partial sums in OBUF (a channel slice after the first). */
  accumulate: boolean;
}

export type NetInstr =
  | { op: 'tables'; layer: string; addr: number; channels: number }
  | {
    op: 'load-input'; src: PackedTensor; block: PixelBlock; window: WindowGeometry; g0: number; input: InputTile;
    /** Bits of one IBUF word (P codes): 32 / actBits of them a memory word. */
    actBits: number; half: 0 | 1; pad: number;
  }
  | { op: 'weights'; addr: number; words: number; wordBits: number; half: 0 | 1 }
  | { op: 'rows'; starts: RowStart[] }
  | { op: 'tile'; tile: WindowTile }
  | { op: 'residual'; read: ResidualRead; block: PixelBlock; wordLo: number; words: number }
  | { op: 'output'; pass: OutputPass }
  | { op: 'store'; dst: PackedTensor; block: PixelBlock; wordLo: number; words: number }
  | { op: 'store-acc'; addr: number; half: 0 | 1; M: number; N: number; stride: number }
  | { op: 'host'; step: number }
  | { op: 'end' };
