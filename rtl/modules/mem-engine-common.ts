// Verilog both memory engines (mem_loader, mem_storer) carry, written once: the command fields' offsets from the
// instruction set's layout (rtl/isa.ts instrLayout, so the payload the sequencer fetches is passed unchanged) and
// the request side, which walks a command's runs of memory words and splits them into INCR bursts. The cycle
// model's Requests class (rtl/mem-engine-model.ts) is the same logic.
import type { NetInstr } from '../net-program.js';
import { instrLayout } from '../isa.js';
import type { MemEngineParams } from '../mem-engine-model.js';
import { Port, VerilogParam, table } from '../verilog.js';

/** Localparams `<PREFIX>_<FIELD>_LSB/_W` of an op's payload and 32-bit wires `<prefix>_<field>` reading them from `f`. */
export function fieldDecls(op: NetInstr['op'], prefix: string): { params: string; wires: string } {
  const layout = instrLayout(op);
  const up = prefix.toUpperCase();
  const params = table(layout.map((f) => [`localparam ${up}_${f.name.toUpperCase()}_LSB`, `= ${f.lsb},`, `${up}_${f.name.toUpperCase()}_W`, `= ${f.bits};`]));
  // Flags stay one bit; every other field reads as 32 bits, zero-extended, so the address arithmetic runs at one width.
  const wires = table(layout.map((f) => {
    const at = `${up}_${f.name.toUpperCase()}`;
    if (f.bits === 1) return ['wire', `${prefix}_${f.name}`, `= f[${at}_LSB +: ${at}_W];`];
    return ['wire [31:0]', `${prefix}_${f.name}`, f.bits === 32 ? `= f[${at}_LSB +: ${at}_W];` : `= {${32 - f.bits}'d0, f[${at}_LSB +: ${at}_W]};`];
  }));
  return { params: `  // ${op}: payload fields (rtl/isa.ts instrLayout)\n${params}`, wires };
}

/** The parameters both engines take. */
export function commonParams(e: MemEngineParams, fieldsW: number): VerilogParam[] {
  return [
    { name: 'DATA_W', value: e.dataBits, comment: 'AXI data width: 32, 64 or 128 (DATA_W/32 memory words a beat)' },
    { name: 'ADDR_W', value: e.addrBits, comment: 'AXI byte address (memory word address * 4)' },
    { name: 'MAX_OUT', value: e.maxOutstanding, comment: 'bursts in flight, at most' },
    { name: 'FIELDS_W', value: fieldsW, comment: 'cmd_fields: the widest payload of the engine\'s ops' },
  ];
}

/** Localparams of the beat geometry. */
export const BEAT_PARAMS = `  localparam K      = DATA_W / 32;            // memory words a beat
  localparam LK     = $clog2(K);
  localparam LK_W   = LK > 0 ? LK : 1;
  localparam BYTES  = DATA_W / 8;
  localparam SZ     = $clog2(BYTES);
  localparam PG_W   = 10 - LK;                // beat index inside a 4 KiB page
  localparam WB_W   = 9 + LK;                 // words of one burst (at most 256 beats)
  localparam OUT_W  = $clog2(MAX_OUT + 1);
  localparam RP_W   = $clog2(MAX_OUT);
  localparam RF_D   = 1 << RP_W;              // burst records: one per burst in flight
  localparam [OUT_W-1:0] OUT_MAX    = MAX_OUT;
  localparam [10:0]      PAGE_BEATS = 11'd1 << PG_W;
  localparam [2:0]       SIZE       = SZ[2:0];
`;

/**
 * The request side: loaded with a 2-D walk of runs (q_base, q_nr rows of q_nc runs of q_len words, runs q_cs and
 * rows q_rs words apart) in the cycle `rq_load` is high, it offers one burst a cycle while `run` is high and fewer
 * than MAX_OUT are in flight. A burst is whole beats from the one holding its first word: a_lo words of that beat
 * precede the run, a_words of it belong to the run. On `a_fire` the burst's record {a_lo, a_words} enters the
 * record FIFO the data side follows.
 */
export const REQUEST_SIDE = `  // ---- requests: the walk of runs and their split into bursts
  reg  [31:0]       a_addr;         // word address of the next burst
  reg  [31:0]       a_left;         // words of the current run not yet requested (0: none left)
  reg  [31:0]       a_run;          // first word of the current run
  reg  [31:0]       a_row;          // first word of the current row
  reg  [15:0]       a_rows;         // rows left, the current one included
  reg  [15:0]       a_cols;         // runs left in the row, the current one included
  reg  [15:0]       a_nc;
  reg  [31:0]       a_len;
  reg  [31:0]       a_rs;
  reg  [31:0]       a_cs;
  reg  [OUT_W-1:0]  in_flight;

  wire [LK_W-1:0]   a_lo      = K == 1 ? {LK_W{1'b0}} : a_addr[LK_W-1:0];
  wire [10:0]       a_room_pg = PAGE_BEATS - {{(11-PG_W){1'b0}}, a_addr[9:LK]};
  wire [10:0]       a_room    = a_room_pg > 11'd256 ? 11'd256 : a_room_pg;
  wire [32:0]       a_need    = ({1'b0, a_left} + {{(33-LK_W){1'b0}}, a_lo} + K - 1) >> LK;
  wire [10:0]       a_beats   = a_need < {22'd0, a_room} ? a_need[10:0] : a_room;
  wire [31:0]       a_span    = ({21'd0, a_beats} << LK) - {{(32-LK_W){1'b0}}, a_lo};
  wire [31:0]       a_words   = a_left < a_span ? a_left : a_span;
  wire [31:0]       a_first   = a_addr - {{(32-LK_W){1'b0}}, a_lo};
  wire [ADDR_W-1:0] a_byte    = {a_first[ADDR_W-3:0], 2'b00};
  wire [10:0]       a_lenm1   = a_beats - 11'd1;
  wire              a_valid   = run && a_left != 0 && in_flight != OUT_MAX;
  wire              a_unused  = &{1'b0, a_first[31:ADDR_W-2]};  // word addresses above the AXI address

  always @(posedge clk) begin
    if (rst) begin
      a_left <= 32'd0;
    end else if (rq_load) begin
      a_addr <= q_base;
      a_run  <= q_base;
      a_row  <= q_base;
      a_rows <= q_nr;
      a_cols <= q_nc;
      a_nc   <= q_nc;
      a_len  <= q_len;
      a_rs   <= q_rs;
      a_cs   <= q_cs;
      a_left <= (q_nr != 16'd0 && q_nc != 16'd0) ? q_len : 32'd0;
    end else if (a_fire) begin
      if (a_words != a_left) begin
        a_addr <= a_addr + a_words;
        a_left <= a_left - a_words;
      end else if (a_cols > 16'd1) begin
        a_cols <= a_cols - 16'd1;
        a_run  <= a_run + a_cs;
        a_addr <= a_run + a_cs;
        a_left <= a_len;
      end else if (a_rows > 16'd1) begin
        a_rows <= a_rows - 16'd1;
        a_cols <= a_nc;
        a_row  <= a_row + a_rs;
        a_run  <= a_row + a_rs;
        a_addr <= a_row + a_rs;
        a_left <= a_len;
      end else begin
        a_left <= 32'd0;
      end
    end
  end

  // ---- burst records, in request order: where the burst's words sit in its beats
  reg  [LK_W-1:0]   rf_lo    [0:RF_D-1];
  reg  [WB_W-1:0]   rf_words [0:RF_D-1];
  reg  [RP_W-1:0]   rf_wr;
  reg  [RP_W-1:0]   rf_rd;

  always @(posedge clk) begin
    if (a_fire) begin
      rf_lo[rf_wr]    <= a_lo;
      rf_words[rf_wr] <= a_words[WB_W-1:0];
    end
  end
`;

/** Case items giving `<name>` the ROWS-bit mask of the banks r with r % d == 0 for every divisor d of ROWS. */
export function divisorMasks(rows: number, sel: string, name: string): string {
  const items: string[][] = [];
  for (let d = 1; d <= rows; d++) {
    if (rows % d !== 0) continue;
    let m = 0n;
    for (let r = 0; r < rows; r += d) m |= 1n << BigInt(r);
    items.push([`${d}:`, `${name} = ${rows}'h${m.toString(16)};`]);
  }
  items.push(['default:', `${name} = {ROWS{1'b0}};`]);
  return `    case (${sel})\n${table(items, '      ')}    endcase\n`;
}

/** The divisors of ROWS as a Verilog condition on `sel`. */
export function divisorTest(rows: number, sel: string): string {
  const ds: number[] = [];
  for (let d = 1; d <= rows; d++) if (rows % d === 0) ds.push(d);
  return ds.map((d) => `${sel} == 32'd${d}`).join(' || ');
}

/** A Verilog function: true for a field width the engine can split memory words by, a power of two up to 32. */
export const FIELD_WIDTH_FN = `  function is_width(input [31:0] b);
    is_width = b == 32'd1 || b == 32'd2 || b == 32'd4 || b == 32'd8 || b == 32'd16 || b == 32'd32;
  endfunction

  // log2 of such a width: products with it are shifts.
  function [2:0] width_log2(input [5:1] b);
    width_log2 = b[5] ? 3'd5 : b[4] ? 3'd4 : b[3] ? 3'd3 : b[2] ? 3'd2 : b[1] ? 3'd1 : 3'd0;
  endfunction
`;

/** The ports both engines start with: clock, reset and the command handshake; `done` and `err` say when they pulse. */
export function commandPorts(fieldsW: number, done: string, err: string): Port[] {
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    { name: 'cmd_valid', dir: 'input', width: 1 },
    { name: 'cmd_ready', dir: 'output', width: 1, comment: 'idle: a command is accepted in a cycle with cmd_valid high' },
    { name: 'cmd_op', dir: 'input', width: 8, comment: 'rtl/isa.ts OPCODES' },
    { name: 'cmd_fields', dir: 'input', width: fieldsW, widthExpr: 'FIELDS_W', comment: 'the instruction\'s payload words as encodeProgram packs them' },
    { name: 'done', dir: 'output', width: 1, reg: true, comment: done },
    { name: 'err', dir: 'output', width: 1, reg: true, comment: err },
  ];
}
