// output_unit.v: turns the finished accumulators of an OBUF half into the next layer's packed activation
// words (see rtl/output-path.ts for the arithmetic, the word layout and the descriptor).
import { OUTPUT_LATENCY, PER_WORD_BITS, ZP_BITS, outputDescriptorBits, outputDescriptorLayout } from '../output-path.js';
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead, table } from '../verilog.js';

/** Bits of a per-channel shift: -31 .. 30 (src/intmodel/requant.ts quantizeMultiplier). */
export const SHIFT_BITS = 6;

export function outputUnitParams(p: RtlParams): VerilogParam[] {
  const o = p.output;
  return [
    { name: 'COLS', value: p.cols },
    { name: 'ACC_W', value: p.accBits, comment: 'OBUF word' },
    { name: 'CNT_W', value: p.countBits, comment: 'pixel count' },
    { name: 'OB_AW', value: p.obuf.addrBits },
    { name: 'OB_OW', value: p.obuf.offsetBits },
    { name: 'CH_DEPTH', value: o.channels, comment: 'per-channel table entries' },
    { name: 'CH_AW', value: o.chAddrBits },
    { name: 'CH_W', value: o.chCountBits, comment: 'channel count' },
    { name: 'RB_DEPTH', value: o.resDepth, comment: 'residual buffer words' },
    { name: 'RB_AW', value: o.resAddrBits },
    { name: 'OUT_AW', value: o.outAddrBits, comment: 'output word address' },
    { name: 'OP_DESC_W', value: outputDescriptorBits(p) },
  ];
}

export function outputUnitPorts(p: RtlParams): Port[] {
  const o = p.output;
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    { name: 'start', dir: 'input', width: 1, comment: 'accepted when idle: desc is latched, the first OBUF read is the next cycle' },
    { name: 'desc', dir: 'input', width: outputDescriptorBits(p), widthExpr: 'OP_DESC_W', comment: 'pass descriptor (rtl/output-path.ts)' },
    { name: 'busy', dir: 'output', width: 1 },
    { name: 'done', dir: 'output', width: 1, reg: true, comment: 'one-cycle pulse, the cycle after the last word write' },
    { name: 'ob_rd_bank', dir: 'output', width: clog2(p.cols), widthExpr: '$clog2(COLS)', comment: 'OBUF read of one accumulator per cycle while busy' },
    { name: 'ob_rd_addr', dir: 'output', width: p.obuf.addrBits, widthExpr: 'OB_AW' },
    { name: 'ob_rd_data', dir: 'input', width: p.accBits, widthExpr: 'ACC_W', comment: 'one cycle after the address' },
    { name: 'pt_wr_en', dir: 'input', width: 1, comment: 'host: per-channel table write' },
    { name: 'pt_wr_sel', dir: 'input', width: 2, comment: '0 bias (int32), 1 M0 (Q31), 2 shift (signed, > 0 left)' },
    { name: 'pt_wr_addr', dir: 'input', width: o.chAddrBits, widthExpr: 'CH_AW', comment: 'output channel' },
    { name: 'pt_wr_data', dir: 'input', width: 32 },
    { name: 'rb_wr_en', dir: 'input', width: 1, comment: 'host: residual buffer word write' },
    { name: 'rb_wr_addr', dir: 'input', width: o.resAddrBits, widthExpr: 'RB_AW' },
    { name: 'rb_wr_data', dir: 'input', width: 32, comment: 'packed residual codes, the output word layout' },
    { name: 'act_wr_en', dir: 'output', width: 1, reg: true, comment: 'a finished output word' },
    { name: 'act_wr_addr', dir: 'output', width: o.outAddrBits, widthExpr: 'OUT_AW', reg: true },
    { name: 'act_wr_data', dir: 'output', width: 32, reg: true },
  ];
}

/** `x[hi:0]` of a `from`-bit signal as a `to`-bit value: a slice, the signal itself or zero extended. */
function fit(x: string, from: number, to: string, toBits: number): string {
  if (from === toBits) return x;
  return from > toBits ? `${x}[${to}-1:0]` : `{{(${to}-${from}){1'b0}}, ${x}}`;
}

export function outputUnitModule(p: RtlParams, prov: Provenance): VerilogModule {
  const params = outputUnitParams(p);
  const ports = outputUnitPorts(p);
  const layout = outputDescriptorLayout(p);
  const o = p.output;
  if (o.resAddrBits > o.outAddrBits) throw new Error('internal: residual addresses wider than output addresses');
  const fieldRows = layout.filter((f) => f.name !== 'ob_half' || p.obuf.doubleBuffered)
    .map((f) => [`localparam F_${f.name.toUpperCase()}`, `= ${f.lsb};`, `// ${f.bits} bit${f.bits > 1 ? 's' : ''}`]);
  const widthOf: Record<string, string> = {
    m: 'CNT_W', n: 'CH_W', m_stride: 'OB_OW', ob_half: '1', obuf_base: 'OB_OW', e_bits: '2', per_word: 'PW_W', o_signed: '1',
    zero_point: 'ZP_W', min: 'ZP_W', max: 'ZP_W', residual: '1', out_base: 'OUT_AW', res_base: 'RB_AW',
  };
  const signedField = new Set(['zero_point', 'min', 'max']);
  // The output base is consumed at start (the write pointer loads it).
  const held = layout.filter((f) => f.name !== 'out_base' && (f.name !== 'ob_half' || p.obuf.doubleBuffered));
  const regs = held.map((f) => {
    const w = widthOf[f.name];
    return [signedField.has(f.name) ? 'reg signed' : 'reg', w === '1' ? '' : `[${w === '2' ? '1' : w + '-1'}:0]`, `d_${f.name};`];
  });
  const latch = held.map((f) => {
    const w = widthOf[f.name];
    return [`d_${f.name}`, `<= ${w === '1' ? `desc[F_${f.name.toUpperCase()}]` : `desc[F_${f.name.toUpperCase()} +: ${w}]`};`];
  });
  const mOff = fit('m_cnt', p.countBits, 'OB_OW', p.obuf.offsetBits);
  const obOff = 'd_obuf_base + j_off + ' + mOff;
  const accIn = p.accBits >= 32 ? 'ob_rd_data[31:0]' : `{{(32-ACC_W){ob_rd_data[ACC_W-1]}}, ob_rd_data}`;
  const text = header('output_unit', [
    'Output unit: after `start` (when idle) it latches a pass descriptor and reads one accumulator per cycle',
    'from OBUF, pixel by pixel, channel n of pixel m at bank n % COLS, word base + floor(n / COLS) * m_stride',
    '+ m. Each element goes down a pipeline that computes the .hwq integer model\'s output code',
    '(rtl/output-path.ts outputCode, src/intmodel/requant.ts requantize):',
    '  1  x = acc + bias[n] (int32, wrapping); x << shift[n] saturated to int32 when shift > 0',
    '  2  the 64-bit product x * M0[n]',
    '  3  SaturatingRoundingDoublingHighMul: (product + nudge) / 2^31 toward zero',
    '  4  RoundingDivideByPOT by -shift[n] when shift < 0 (ties away from zero)',
    '  5  + zero point (or the residual code), clamp to [min, max], pack into the output word',
    `Element i of a pass is read in pass cycle i; the word it completes is written in cycle i + ${OUTPUT_LATENCY}, and done`,
    'pulses the cycle after the last write. The per-channel tables and the residual buffer are host-written',
    'block RAMs.',
    '',
    'Descriptor fields (least significant first), as packed by packOutputDescriptor() in rtl/output-path.ts:',
    ...layout.map((f) => `  [${f.bits > 1 ? `${f.lsb + f.bits - 1}:` : ''}${f.lsb}] ${f.name}`),
  ], prov) + '`default_nettype none\n\n' + moduleHead('output_unit', params, ports) + `
${table(fieldRows)}
${table([
    ['localparam ZP_W  ', `= ${ZP_BITS};`, '// zero point, min, max: every 8-bit code, signed or not'],
    ['localparam PW_W  ', `= ${PER_WORD_BITS};`, '// elements per word, 1 .. 16'],
    ['localparam SH_W  ', `= ${SHIFT_BITS};`, '// per-channel shift, -31 .. 30'],
    ['localparam BANK_W', '= $clog2(COLS);', ''],
    ['localparam STAGES', `= ${OUTPUT_LATENCY - 1};`, '// registered pipeline stages after the RAM reads'],
  ])}
  localparam [BANK_W-1:0] LAST_COL = ${clog2(p.cols)}'d${p.cols - 1};
  localparam signed [63:0] I32_MAX = 64'sh0000_0000_7fff_ffff;
  localparam signed [63:0] I32_MIN = 64'shffff_ffff_8000_0000;

  localparam [1:0] S_IDLE  = 2'd0;
  localparam [1:0] S_RUN   = 2'd1;
  localparam [1:0] S_DRAIN = 2'd2;

  reg [1:0] state;

  // Latched descriptor
${table(regs)}
  // Issue counters: the element whose reads go out this cycle
  reg [CNT_W-1:0]  m_cnt;    // pixel
  reg [CH_W-1:0]   n_cnt;    // channel
  reg [BANK_W-1:0] c_cnt;    // its OBUF bank, n % COLS
  reg [OB_OW-1:0]  j_off;    // floor(n / COLS) * m_stride
  reg [PW_W-1:0]   slot;     // its place in the output word
  reg [OUT_AW-1:0] w_idx;    // output word of the pass

  wire running   = (state == S_RUN);
  wire pix_last  = (n_cnt == d_n - 1'b1);
  wire word_last = pix_last || (slot == d_per_word - 1'b1);
  wire all_last  = pix_last && (m_cnt == d_m - 1'b1);

  // Flags of the element in stage k sit in bit k-1; its slot in slot_q[k-1].
  reg [STAGES-1:0] v_q;
  reg [STAGES-1:0] wlast_q;
  reg [STAGES-1:0] last_q;
  reg [PW_W-1:0]   slot_q [0:STAGES-1];
  reg              act_last;

  always @(posedge clk) begin
    if (rst) begin
      state <= S_IDLE;
      done  <= 1'b0;
    end else begin
      done <= 1'b0;
      case (state)
        S_IDLE:  if (start) state <= S_RUN;
        S_RUN:   if (all_last) state <= S_DRAIN;
        S_DRAIN: if (act_wr_en && act_last) begin
          state <= S_IDLE;
          done  <= 1'b1;
        end
        default: state <= S_IDLE;
      endcase
    end
  end

  always @(posedge clk) begin
    if (state == S_IDLE && start) begin
${latch.map(([a, b]) => `      ${a.padEnd(Math.max(...latch.map((x) => x[0].length)))} ${b}`).join('\n')}
      m_cnt <= {CNT_W{1'b0}};
      n_cnt <= {CH_W{1'b0}};
      c_cnt <= {BANK_W{1'b0}};
      j_off <= {OB_OW{1'b0}};
      slot  <= {PW_W{1'b0}};
      w_idx <= {OUT_AW{1'b0}};
    end else if (running) begin
      if (pix_last) begin
        m_cnt <= m_cnt + 1'b1;
        n_cnt <= {CH_W{1'b0}};
        c_cnt <= {BANK_W{1'b0}};
        j_off <= {OB_OW{1'b0}};
      end else begin
        n_cnt <= n_cnt + 1'b1;
        if (c_cnt == LAST_COL) begin
          c_cnt <= {BANK_W{1'b0}};
          j_off <= j_off + d_m_stride;
        end else begin
          c_cnt <= c_cnt + 1'b1;
        end
      end
      slot  <= word_last ? {PW_W{1'b0}} : slot + 1'b1;
      w_idx <= word_last ? w_idx + 1'b1 : w_idx;
    end
  end

  integer k;
  always @(posedge clk) begin
    v_q       <= rst ? {STAGES{1'b0}} : {v_q[STAGES-2:0], running};
    wlast_q   <= {wlast_q[STAGES-2:0], word_last};
    last_q    <= {last_q[STAGES-2:0], running && all_last};
    slot_q[0] <= slot;
    for (k = 1; k < STAGES; k = k + 1) slot_q[k] <= slot_q[k-1];
  end

  assign busy       = (state != S_IDLE);
  assign ob_rd_bank = c_cnt;
  assign ob_rd_addr = ${p.obuf.doubleBuffered ? `{d_ob_half, ${obOff}}` : obOff};

  // ---- per-channel tables and the residual buffer (read in the issue cycle, data in stage 1) ----
  wire [31:0]   bias_rd, m0_rd, rb_rd;
  wire [SH_W-1:0] shift_rd;
  wire [CH_AW-1:0] ch = n_cnt[CH_AW-1:0];

  sdp_ram #(.WIDTH(32), .DEPTH(CH_DEPTH), .AW(CH_AW)) u_bias (
    .clk   (clk),
    .we    (pt_wr_en && pt_wr_sel == 2'd0),
    .waddr (pt_wr_addr),
    .wdata (pt_wr_data),
    .re    (running),
    .raddr (ch),
    .rdata (bias_rd)
  );

  sdp_ram #(.WIDTH(32), .DEPTH(CH_DEPTH), .AW(CH_AW)) u_m0 (
    .clk   (clk),
    .we    (pt_wr_en && pt_wr_sel == 2'd1),
    .waddr (pt_wr_addr),
    .wdata (pt_wr_data),
    .re    (running),
    .raddr (ch),
    .rdata (m0_rd)
  );

  sdp_ram #(.WIDTH(SH_W), .DEPTH(CH_DEPTH), .AW(CH_AW)) u_shift (
    .clk   (clk),
    .we    (pt_wr_en && pt_wr_sel == 2'd2),
    .waddr (pt_wr_addr),
    .wdata (pt_wr_data[SH_W-1:0]),
    .re    (running),
    .raddr (ch),
    .rdata (shift_rd)
  );

  sdp_ram #(.WIDTH(32), .DEPTH(RB_DEPTH), .AW(RB_AW)) u_resid (
    .clk   (clk),
    .we    (rb_wr_en),
    .waddr (rb_wr_addr),
    .wdata (rb_wr_data),
    .re    (running),
    .raddr (d_res_base + w_idx[RB_AW-1:0]),
    .rdata (rb_rd)
  );

  // ---- stage 1: bias, left shift, residual code ----
  wire signed [31:0] x1     = $signed(${accIn}) + $signed(bias_rd);
  wire        [4:0]  left1  = shift_rd[SH_W-1] ? 5'd0 : shift_rd[4:0];
  wire        [4:0]  right1 = shift_rd[SH_W-1] ? 5'd0 - shift_rd[4:0] : 5'd0;
  wire signed [63:0] xl1    = {{32{x1[31]}}, x1} <<< left1;
  wire signed [31:0] sh1    = (xl1 > I32_MAX) ? 32'sh7fff_ffff : (xl1 < I32_MIN) ? 32'sh8000_0000 : xl1[31:0];

  wire [PW_W-1:0] slot1 = slot_q[0];
  // Only the low element bits of the shifted word are the residual code.
  /* verilator lint_off UNUSEDSIGNAL */
  reg  [31:0]     rsh1;
  /* verilator lint_on UNUSEDSIGNAL */
  reg  signed [ZP_W-1:0] res1;
  always @* begin
    case (d_e_bits)
      2'd0:    rsh1 = rb_rd >> {slot1, 1'b0};
      2'd1:    rsh1 = rb_rd >> {slot1, 2'b0};
      default: rsh1 = rb_rd >> {slot1, 3'b0};
    endcase
    case (d_e_bits)
      2'd0:    res1 = {{(ZP_W-2){d_o_signed & rsh1[1]}}, rsh1[1:0]};
      2'd1:    res1 = {{(ZP_W-4){d_o_signed & rsh1[3]}}, rsh1[3:0]};
      default: res1 = {{(ZP_W-8){d_o_signed & rsh1[7]}}, rsh1[7:0]};
    endcase
  end

  reg signed [31:0]     sh2, m02;
  reg        [4:0]      right2, right3, right4;
  reg signed [ZP_W-1:0] add2, add3, add4, add5;
  always @(posedge clk) begin
    sh2    <= sh1;
    m02    <= $signed(m0_rd);
    right2 <= right1;
    add2   <= d_residual ? res1 : d_zero_point;
  end

  // ---- stage 2: the product ----
  reg signed [63:0] prod3;
  reg               sat3;
  always @(posedge clk) begin
    prod3  <= {{32{sh2[31]}}, sh2} * {{32{m02[31]}}, m02};
    sat3   <= (sh2 == 32'sh8000_0000) && (m02 == 32'sh8000_0000);
    right3 <= right2;
    add3   <= add2;
  end

  // ---- stage 3: rounding doubling high multiply ----
  wire signed [63:0] nudge3 = prod3[63] ? 64'sd1 - 64'sd1073741824 : 64'sd1073741824;
  wire signed [63:0] sum3   = prod3 + nudge3;
  wire signed [31:0] high3  = sum3[62:31] + {31'd0, sum3[63] && (sum3[30:0] != 31'd0)};
  reg  signed [31:0] high4;
  always @(posedge clk) begin
    high4  <= sat3 ? 32'sh7fff_ffff : high3;
    right4 <= right3;
    add4   <= add3;
  end

  // ---- stage 4: rounding divide by 2^right ----
  wire        [31:0] mask4  = (32'd1 << right4) - 32'd1;
  wire        [31:0] rem4   = high4 & mask4;
  wire        [31:0] thr4   = (mask4 >> 1) + {31'd0, high4[31]};
  wire signed [31:0] q4     = high4 >>> right4;
  wire signed [31:0] v4     = q4 + $signed({31'd0, rem4 > thr4});
  reg  signed [31:0] v5;
  always @(posedge clk) begin
    v5   <= v4;
    add5 <= add4;
  end

  // ---- stage 5: zero point or residual, clamp, pack ----
  wire signed [32:0]     y5    = {v5[31], v5} + {{(33-ZP_W){add5[ZP_W-1]}}, add5};
  wire signed [32:0]     lo5   = {{(33-ZP_W){d_min[ZP_W-1]}}, d_min};
  wire signed [32:0]     hi5   = {{(33-ZP_W){d_max[ZP_W-1]}}, d_max};
  wire        [7:0]      code5 = (y5 < lo5) ? d_min[7:0] : (y5 > hi5) ? d_max[7:0] : y5[7:0];  // the element's bits
  wire        [PW_W-1:0] slot5 = slot_q[STAGES-1];
  reg         [31:0]     elem5;
  always @* begin
    case (d_e_bits)
      2'd0:    elem5 = {30'd0, code5[1:0]} << {slot5, 1'b0};
      2'd1:    elem5 = {28'd0, code5[3:0]} << {slot5, 2'b0};
      default: elem5 = {24'd0, code5[7:0]} << {slot5, 3'b0};
    endcase
  end

  reg  [31:0]       word_q;
  reg  [OUT_AW-1:0] out_ptr;
  wire [31:0]       packed5 = (slot5 == {PW_W{1'b0}} ? 32'd0 : word_q) | elem5;
  always @(posedge clk) begin
    if (state == S_IDLE && start) out_ptr <= desc[F_OUT_BASE +: OUT_AW];
    else if (v_q[STAGES-1] && wlast_q[STAGES-1]) out_ptr <= out_ptr + 1'b1;
    if (v_q[STAGES-1]) word_q <= packed5;
    act_wr_en   <= !rst && v_q[STAGES-1] && wlast_q[STAGES-1];
    act_last    <= last_q[STAGES-1];
    act_wr_addr <= out_ptr;
    act_wr_data <= packed5;
  end

endmodule

\`default_nettype wire
`;
  return { name: 'output_unit', text, ports, params };
}
