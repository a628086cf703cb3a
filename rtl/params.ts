// What the generator derives from a HwConfig: array size, buffer bank depths and address widths, and the
// partial-sum and accumulator widths. One pure function, so the CLI's params JSON, the Verilog and the tile
// compiler all read the same numbers.
import { HwConfig, unreadSettings } from '../hw/config.js';
import { UserError } from '../src/errors.js';
import { FU_MAX_ABS_SUM, FU_SUM_BITS, WORD_BITS } from './pack.js';
import { clog2 } from './verilog.js';

export interface BufferParams {
  /** Number of banks (one read port each). */
  banks: number;
  /** Bits per word. */
  wordBits: number;
  /** Words per bank, both halves together; a power of two. */
  depth: number;
  /** Address bits of a bank (includes the half-select bit when double-buffered). */
  addrBits: number;
  doubleBuffered: boolean;
  /** Words per bank usable by one tile (half the bank when double-buffered). */
  tileDepth: number;
  /** Bits of a base address / offset inside one half. */
  offsetBits: number;
}

export interface RtlParams {
  configName: string;
  rows: number;
  cols: number;
  wordBits: number;
  fuSumBits: number;
  /** Partial-sum width down a column: the unit's sum plus clog2(rows) bits of growth. */
  psumBits: number;
  accBits: number;
  /** Width of the M and S counters in the descriptor. */
  countBits: number;
  ibuf: BufferParams;
  wbuf: BufferParams;
  obuf: BufferParams;
  clockMHz: number;
  /** Largest reduction steps S a tile may have: IBUF tile depth, and no accumulator overflow. */
  maxSteps: number;
  output: OutputParams;
}

/** Sizes of the output unit (rtl/modules/output-unit.ts). */
export interface OutputParams {
  /** Channels the per-channel tables hold (bias, M0, shift): every column tile of a full OBUF half. */
  channels: number;
  chAddrBits: number;
  /** Width of a channel count (0 .. channels). */
  chCountBits: number;
  /** Words of the residual buffer: one output pass's words at one element per word. */
  resDepth: number;
  resAddrBits: number;
  /** Bits of an output word address (the next layer's activation words as the host collects them). */
  outAddrBits: number;
}

/** Output word addresses: 2^20 words, more than any one layer's output the buffers can take. */
const OUT_ADDR_BITS = 20;

function outputParams(cols: number, obuf: BufferParams): OutputParams {
  let channels = 1;
  while (channels < cols * obuf.tileDepth) channels *= 2;
  return {
    channels, chAddrBits: Math.max(1, clog2(channels)), chCountBits: clog2(channels + 1),
    resDepth: channels, resAddrBits: Math.max(1, clog2(channels)), outAddrBits: OUT_ADDR_BITS,
  };
}

function bufferParams(what: string, bytes: number, banks: number, wordBits: number, doubleBuffered: boolean): BufferParams {
  const words = Math.floor(bytes / (banks * (wordBits / 8)));
  // Round down to a power of two so the half-select is one address bit and every address is legal.
  let depth = 1;
  while (depth * 2 <= words) depth *= 2;
  const minDepth = doubleBuffered ? 4 : 2;
  if (words < minDepth) {
    throw new UserError(`${what}: ${bytes} bytes over ${banks} banks of ${wordBits}-bit words leaves ${words} words per bank; at least ${minDepth} are needed`);
  }
  const addrBits = clog2(depth);
  const tileDepth = doubleBuffered ? depth / 2 : depth;
  return { banks, wordBits, depth, addrBits, doubleBuffered, tileDepth, offsetBits: clog2(tileDepth) };
}

/** Checks that the generator supports `cfg` and derives every RTL number from it. */
export function rtlParams(cfg: HwConfig): RtlParams {
  const unread = unreadSettings(cfg, 'rtl');
  if (unread.length) throw new UserError(`config '${cfg.name}': ${unread.join(', ')}: a measured board's timing, not something the RTL is built from`);
  if (cfg.maxBits !== 8) throw new UserError(`config '${cfg.name}': the RTL generator builds the 8-bit Fusion Unit only (maxBits 8), got maxBits ${cfg.maxBits}`);
  // Partial sums grow by clog2(rows) bits down a column; with one row there is nothing to add.
  if (cfg.rows < 2) throw new UserError(`config '${cfg.name}': the RTL array needs at least 2 rows (got ${cfg.rows})`);
  if (cfg.rows > 256 || cfg.cols > 256) throw new UserError(`config '${cfg.name}': rows and cols must be at most 256 for the RTL (got ${cfg.rows}x${cfg.cols})`);
  const rows = cfg.rows;
  const cols = cfg.cols;
  const psumBits = FU_SUM_BITS + clog2(rows);
  const accBits = cfg.accumulatorBits;
  const ibuf = bufferParams('ibuf', cfg.ibuf.bytes, rows, WORD_BITS, cfg.ibuf.doubleBuffered);
  const wbuf = bufferParams('wbuf', cfg.wbuf.bytes, rows * cols, WORD_BITS, cfg.wbuf.doubleBuffered);
  const obuf = bufferParams('obuf', cfg.obuf.bytes, cols, accBits, cfg.obuf.doubleBuffered);
  // A tile streams M*S <= ibuf.tileDepth words and its S weights per unit must fit the WBUF half.
  const stepsByBuffers = Math.min(ibuf.tileDepth, wbuf.tileDepth);
  // One output sums S*rows unit sums of at most FU_MAX_ABS_SUM each; keep it inside the signed accumulator.
  const stepsByAcc = Math.floor((2 ** (accBits - 1) - 1) / (rows * FU_MAX_ABS_SUM));
  if (stepsByAcc < 1) throw new UserError(`config '${cfg.name}': accumulatorBits ${accBits} cannot hold one step of ${rows} rows (needs ${clog2(rows * FU_MAX_ABS_SUM + 1) + 1} bits)`);
  if (accBits <= psumBits) throw new UserError(`config '${cfg.name}': accumulatorBits ${accBits} must exceed the ${psumBits}-bit column partial sum`);
  const countBits = Math.max(clog2(ibuf.tileDepth + 1), 1);
  return {
    configName: cfg.name,
    rows,
    cols,
    wordBits: WORD_BITS,
    fuSumBits: FU_SUM_BITS,
    psumBits,
    accBits,
    countBits,
    ibuf,
    wbuf,
    obuf,
    clockMHz: cfg.clockMHz,
    maxSteps: Math.min(stepsByBuffers, stepsByAcc),
    output: outputParams(cols, obuf),
  };
}

/** A one-line summary for file headers. */
export function summary(p: RtlParams): string {
  return `${p.rows}x${p.cols} Fusion Units, ${p.clockMHz} MHz, IBUF ${p.ibuf.banks}x${p.ibuf.depth}, WBUF ${p.wbuf.banks}x${p.wbuf.depth}, OBUF ${p.obuf.banks}x${p.obuf.depth} words`;
}

