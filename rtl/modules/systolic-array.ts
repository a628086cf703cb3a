// systolic_array.v: rows x cols Fusion Units with skewed activation inputs, one-column-per-cycle activation
// hops, registered partial-sum adders down each column and a column accumulator. The timing is the contract
// of hw/array-timing.ts (see the header comment of the emitted file).
import { RtlParams } from '../params.js';
import { FU_SUM_BITS } from '../pack.js';
import { Port, Provenance, VerilogModule, VerilogParam, header, moduleHead, table } from '../verilog.js';

export function arrayPorts(p: RtlParams): Port[] {
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high: clears the control pipeline' },
    { name: 'a_bits', dir: 'input', width: 2, comment: 'mode, held for the whole tile (see fusion_unit)' },
    { name: 'w_bits', dir: 'input', width: 2 },
    { name: 'a_signed', dir: 'input', width: 1 },
    { name: 'w_signed', dir: 'input', width: 1 },
    { name: 'in_valid', dir: 'input', width: 1, comment: 'act_in carries word t this cycle' },
    { name: 'in_first', dir: 'input', width: 1, comment: 'word t is reduction step s = 0 of its output' },
    { name: 'in_last', dir: 'input', width: 1, comment: 'word t is step s = S-1: the output completes' },
    { name: 'act_in', dir: 'input', width: p.rows * p.wordBits, widthExpr: 'ROWS*WORD_W', comment: 'row r word at [r*WORD_W +: WORD_W], all rows the same cycle' },
    { name: 'wgt_in', dir: 'input', width: p.rows * p.cols * p.wordBits, widthExpr: 'ROWS*COLS*WORD_W', comment: 'unit (r,c) weight at [(r*COLS+c)*WORD_W +: WORD_W]' },
    { name: 'acc_mode', dir: 'input', width: 1, comment: 'continuation tile, held like the mode: step 0 adds to init_data' },
    { name: 'init_data', dir: 'input', width: p.cols * p.accBits, widthExpr: 'COLS*ACC_W', comment: 'column c partial sum, the cycle after init_rd[c]' },
    { name: 'out_valid', dir: 'output', width: p.cols, widthExpr: 'COLS', comment: 'column c holds a finished output this cycle' },
    { name: 'out_data', dir: 'output', width: p.cols * p.accBits, widthExpr: 'COLS*ACC_W', comment: 'column c at [c*ACC_W +: ACC_W], two\'s complement' },
    { name: 'init_rd', dir: 'output', width: p.cols, widthExpr: 'COLS', comment: 'column c reads its next partial sum (continuation tiles)' },
  ];
}

export function arrayParams(p: RtlParams): VerilogParam[] {
  return [
    { name: 'ROWS', value: p.rows, comment: 'units per column: the reduction dimension (at least 2)' },
    { name: 'COLS', value: p.cols, comment: 'units per row: output channels' },
    { name: 'WORD_W', value: p.wordBits, comment: 'Fusion Unit operand port (fixed at 32)' },
    { name: 'ACC_W', value: p.accBits, comment: 'column accumulator and OBUF word' },
  ];
}

export function systolicArrayModule(p: RtlParams, prov: Provenance): VerilogModule {
  const ports = arrayPorts(p);
  const params = arrayParams(p);
  const text =
    header('systolic_array', [
      'Systolic array of ROWS x COLS Fusion Units. Rows span the reduction dimension, columns the outputs.',
      '',
      'Timing (hw/array-timing.ts): the word t presented on act_in in cycle k (one cycle after its IBUF read)',
      'reaches row r after r skew registers and column c after c hop registers, so unit (r,c) multiplies it in',
      'cycle k + r + c and registers its partial sum (the sum from the unit above plus its own product) at the',
      'end of that cycle. Unit (r,c) must see word t\'s weight on wgt_in in that same cycle k + r + c: each',
      'unit reads a private weight bank, and the caller skews the bank addresses. The bottom partial sum of',
      'column c enters its accumulator in cycle k + ROWS + c; the accumulator restarts when the word is step 0',
      '(from zero, or with acc_mode from init_data, which init_rd[c] requested one cycle earlier) and',
      'out_valid[c] is high in cycle k + ROWS + c + 1 (when the OBUF write happens) after the last step. The',
      'flags travel down a control pipeline of ROWS + COLS - 1 registers.',
      '',
      `Widths: unit sums are ${FU_SUM_BITS} bits signed; partial sums grow by clog2(ROWS) bits down a column`,
      '(PSUM_W); the accumulator is ACC_W bits. The tile compiler limits the reduction steps so no legal tile',
      'overflows ACC_W.',
    ], prov) +
    '`default_nettype none\n\n' +
    moduleHead('systolic_array', params, ports) +
    `
${table([
    ['localparam SUM_W ', `= ${FU_SUM_BITS};`, '// fusion_unit sum'],
    ['localparam PSUM_W', '= SUM_W + $clog2(ROWS);', '// partial sum after ROWS additions'],
    ['localparam CTL_D ', '= ROWS + COLS - 1;', '// control pipeline depth: column c taps stage ROWS + c - 1'],
  ])}
  // Flags of the word that entered d + 1 cycles ago sit in bit d.
  reg [CTL_D-1:0] valid_pipe;
  reg [CTL_D-1:0] first_pipe;
  reg [CTL_D-1:0] last_pipe;

  always @(posedge clk) begin
    if (rst) valid_pipe <= {CTL_D{1'b0}};
    else     valid_pipe <= {valid_pipe[CTL_D-2:0], in_valid};
    first_pipe <= {first_pipe[CTL_D-2:0], in_first};
    last_pipe  <= {last_pipe[CTL_D-2:0], in_last};
  end

  // Unit (r,c) operand and partial-sum buses, unit index u = r*COLS + c.
  wire [ROWS*COLS*WORD_W-1:0] unit_act;
  wire [ROWS*COLS*PSUM_W-1:0] unit_psum;

  genvar r, c;
  generate
    for (r = 0; r < ROWS; r = r + 1) begin : g_row
      // Row r enters r cycles after row 0.
      if (r == 0) begin : g_noskew
        assign unit_act[0 +: WORD_W] = act_in[0 +: WORD_W];
      end else begin : g_skew
        reg [WORD_W-1:0] stage [0:r-1];
        integer k;
        always @(posedge clk) begin
          stage[0] <= act_in[r*WORD_W +: WORD_W];
          for (k = 1; k < r; k = k + 1) stage[k] <= stage[k-1];
        end
        assign unit_act[r*COLS*WORD_W +: WORD_W] = stage[r-1];
      end

      for (c = 0; c < COLS; c = c + 1) begin : g_col
        localparam U = r*COLS + c;
        wire signed [SUM_W-1:0]  fu_sum;
        wire        [PSUM_W-1:0] fu_ext = {{(PSUM_W-SUM_W){fu_sum[SUM_W-1]}}, fu_sum};
        reg         [PSUM_W-1:0] psum_q;

        fusion_unit u_fu (
          .a_bits   (a_bits),
          .w_bits   (w_bits),
          .a_signed (a_signed),
          .w_signed (w_signed),
          .act      (unit_act[U*WORD_W +: WORD_W]),
          .wgt      (wgt_in[U*WORD_W +: WORD_W]),
          .sum      (fu_sum)
        );

        if (r == 0) begin : g_top
          always @(posedge clk) psum_q <= fu_ext;
        end else begin : g_add
          always @(posedge clk) psum_q <= unit_psum[(U-COLS)*PSUM_W +: PSUM_W] + fu_ext;
        end
        assign unit_psum[U*PSUM_W +: PSUM_W] = psum_q;

        // The activation hops one column right per cycle.
        if (c < COLS - 1) begin : g_hop
          reg [WORD_W-1:0] act_q;
          always @(posedge clk) act_q <= unit_act[U*WORD_W +: WORD_W];
          assign unit_act[(U+1)*WORD_W +: WORD_W] = act_q;
        end
      end
    end

    for (c = 0; c < COLS; c = c + 1) begin : g_acc
      localparam D = ROWS + c - 1;
      wire [PSUM_W-1:0] bottom = unit_psum[((ROWS-1)*COLS + c)*PSUM_W +: PSUM_W];
      wire [ACC_W-1:0]  start_val = acc_mode ? init_data[c*ACC_W +: ACC_W] : {ACC_W{1'b0}};
      reg  [ACC_W-1:0]  acc_q;
      reg               done_q;

      always @(posedge clk) begin
        if (valid_pipe[D])
          acc_q <= (first_pipe[D] ? start_val : acc_q) + {{(ACC_W-PSUM_W){bottom[PSUM_W-1]}}, bottom};
        done_q <= !rst && valid_pipe[D] && last_pipe[D];
      end

      // The partial sum is requested the cycle before step 0 reaches the accumulator (stage D-1 >= 0).
      assign init_rd[c]                 = acc_mode && valid_pipe[D-1] && first_pipe[D-1];
      assign out_valid[c]               = done_q;
      assign out_data[c*ACC_W +: ACC_W] = acc_q;
    end
  endgenerate

endmodule

\`default_nettype wire
`;
  return { name: 'systolic_array', text, ports, params };
}
