// output_unit.v: turns the finished accumulators of an OBUF half into the next layer's packed activation
// words (see rtl/output-path.ts for the arithmetic, the word layout and the descriptor).
import { OUTPUT_LATENCY, PER_WORD_BITS, SHIFT_BITS, ZP_BITS, outputDescriptorBits, outputDescriptorLayout } from '../output-path.js';
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead, table } from '../verilog.js';

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
    { name: 'ob_rd_addr', dir: 'output', width: p.obuf.addrBits, widthExpr: 'OB_AW', comment: 'OBUF read of one word in every bank per cycle while busy' },
    {
      name: 'ob_rd_data', dir: 'input', width: p.cols * p.accBits, widthExpr: 'COLS*ACC_W',
      comment: 'bank c at [c*ACC_W +: ACC_W], one cycle after the address',
    },
    { name: 'pt_wr_en', dir: 'input', width: 1, comment: 'host: per-channel table write' },
    { name: 'pt_wr_sel', dir: 'input', width: 2, comment: '0 bias (int32), 1 M0 (Q31), 2 shift (signed, > 0 left)' },
    { name: 'pt_wr_addr', dir: 'input', width: o.chAddrBits, widthExpr: 'CH_AW', comment: 'output channel' },
    { name: 'pt_wr_data', dir: 'input', width: 32 },
    { name: 'rb_wr_en', dir: 'input', width: 1, comment: 'host: residual buffer word write' },
    { name: 'rb_wr_addr', dir: 'input', width: o.resAddrBits, widthExpr: 'RB_AW' },
    { name: 'rb_wr_data', dir: 'input', width: 32, comment: 'a word of the residual source tensor, as it is in memory' },
    { name: 'act_wr_en', dir: 'output', width: 1, reg: true, comment: 'finished output words this cycle' },
    { name: 'act_wr_addr', dir: 'output', width: o.outAddrBits, widthExpr: 'OUT_AW', reg: true, comment: 'address of the first' },
    { name: 'act_wr_count', dir: 'output', width: clog2(p.cols + 1), widthExpr: '$clog2(COLS+1)', reg: true, comment: 'words, 1 .. COLS' },
    { name: 'act_wr_data', dir: 'output', width: p.cols * 32, widthExpr: 'COLS*32', reg: true, comment: 'word i at [i*32 +: 32], address act_wr_addr + i' },
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
  if (p.cols < 2) throw new Error('internal: the output unit has one lane per column and needs at least 2');
  if (2 ** o.resAddrBits < 2 * p.cols) throw new Error('internal: the residual buffer is smaller than two words per lane');
  const fieldRows = layout.filter((f) => f.name !== 'ob_half' || p.obuf.doubleBuffered)
    .map((f) => [`localparam F_${f.name.toUpperCase()}`, `= ${f.lsb};`, `// ${f.bits} bit${f.bits > 1 ? 's' : ''}`]);
  const widthOf: Record<string, string> = {
    m: 'CNT_W', n: 'CH_W', m_stride: 'OB_OW', ob_half: '1', obuf_base: 'OB_OW', e_bits: '2', per_word: 'PW_W',
    zero_point: 'ZP_W', min: 'ZP_W', max: 'ZP_W', residual: '1', out_base: 'OUT_AW', res_base: 'RB_AW', ch_base: 'CH_AW',
    res_bits: '2', res_per_word: 'PW_W', res_signed: '1', res_c0: 'RC_W', res_c: 'RC_W', res_zp: 'ZP_W', rescale: '1', res_m0: '32', res_shift: 'SH_W',
    res_out_zp: 'ZP_W', res_min: 'ZP_W', res_max: 'ZP_W', res_words: 'RB_AW', res_word0: 'RB_AW', res_slot0: 'PW_W',
  };
  const signedField = new Set(['zero_point', 'min', 'max', 'res_c0', 'res_zp', 'res_m0', 'res_out_zp', 'res_min', 'res_max']);
  // The output base is consumed at start (the write pointer loads it), the channel base as the tables' row and rotation.
  const held = layout.filter((f) => f.name !== 'out_base' && f.name !== 'ch_base' && (f.name !== 'ob_half' || p.obuf.doubleBuffered));
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
  const accIn = p.accBits >= 32 ? 'acc1[31:0]' : `{{(32-ACC_W){acc1[ACC_W-1]}}, acc1}`;
  // One arm per elements-per-word value 1 .. 16 (other values are refused by packOutputDescriptor).
  const perWordCase = (indent: string, sel: string, lhs: string, value: (k: number) => string) => [
    `${indent}case (${sel})`,
    ...Array.from({ length: 16 }, (_, i) => `${indent}  ${PER_WORD_BITS}'d${String(i + 1).padEnd(2)}: ${lhs} = ${value(i + 1)};`),
    `${indent}  default: ${lhs} = {PW_W{1'b0}};`,
    `${indent}endcase`,
  ].join('\n');
  const text = header('output_unit', [
    'Output unit: after `start` (when idle) it latches a pass descriptor and, pixel by pixel, reads one word in',
    'every OBUF bank per cycle: the group of channels j*COLS .. j*COLS + COLS - 1 of pixel m (channel n at bank',
    'n % COLS, word base + floor(n / COLS) * m_stride + m). Lane c takes bank c\'s accumulator (masked when its',
    'channel is N or more) down a pipeline that computes the .hwq integer model\'s output code (rtl/output-path.ts',
    'outputCode, src/intmodel/requant.ts requantize):',
    '  1  x = acc + bias[n] (int32, wrapping); x << shift[n] saturated to int32 when shift > 0',
    '  2  the 64-bit product x * M0[n]',
    '  3  SaturatingRoundingDoublingHighMul: (product + nudge) / 2^31 toward zero',
    '  4  RoundingDivideByPOT by -shift[n] when shift < 0 (ties away from zero)',
    '  5  + zero point (or the residual addend), clamp to [min, max], pack into the output words',
    'The residual addend of a lane (rtl/output-path.ts residualCode) runs beside it: in stage 1 the raw code of',
    'source channel cs = ch_base + n - offset (res_c0 + n) from the cycle\'s residual words (the source\'s zero',
    'point when cs is outside 0 .. res_c - 1), then with rescale the same four steps with res_m0 and res_shift and',
    '+ res_out_zp, clamped to [res_min, res_max], in stages 1 to 4; the addend enters stage 5 on time.',
    'Codes are packed per_word to a 32-bit word (rtl/output-path.ts); lane c\'s code goes to slot',
    '(j*COLS + c) mod per_word of word t of the cycle, t counting the words ended by the lanes below it. A word',
    'that the last lane does not end is held and completed by the next cycle\'s lanes (per_word > COLS, or not',
    'dividing COLS). The group read in pass cycle i has its finished words written in cycle',
    `i + ${OUTPUT_LATENCY}, all at once: act_wr_count words from act_wr_addr, word k at act_wr_data[k*32 +: 32]; done`,
    'pulses the cycle after the last write.',
    'The per-channel tables are banked (layer channel n in bank n % COLS, entry floor(n / COLS)); lane c of a',
    'pass from ch_base reads bank (c + ch_base) % COLS, rotated into place. The residual buffer is banked by word',
    'address (word a in bank a mod 2^clog2(COLS)): a group\'s COLS consecutive source channels lie in at most COLS',
    'consecutive words, from res_base + m*res_words + lane 0\'s word, read together. Each lane keeps its source',
    'channel\'s word and slot, started from res_word0 / res_slot0 at every pixel and moved by COLS channels a group.',
    'The host writes one table entry or residual word at a time.',
    '',
    'Descriptor fields (least significant first), as packed by packOutputDescriptor() in rtl/output-path.ts:',
    ...layout.map((f) => `  [${f.bits > 1 ? `${f.lsb + f.bits - 1}:` : ''}${f.lsb}] ${f.name}`),
  ], prov) + '`default_nettype none\n\n' + moduleHead('output_unit', params, ports) + `
${table(fieldRows)}
${table([
    ['localparam ZP_W     ', `= ${ZP_BITS};`, '// zero point, min, max: every 8-bit code, signed or not'],
    ['localparam PW_W     ', `= ${PER_WORD_BITS};`, '// elements per word, 1 .. 16'],
    ['localparam SH_W     ', `= ${SHIFT_BITS};`, '// per-channel shift, -31 .. 30'],
    ['localparam BANK_W   ', '= $clog2(COLS);', '// a lane; a word among the cycle\'s'],
    ['localparam WC_W     ', '= $clog2(COLS+1);', '// words finished in a cycle, 0 .. COLS'],
    ['localparam CHB_DEPTH', '= (CH_DEPTH + COLS - 1) / COLS;', '// table entries per lane'],
    ['localparam CHB_AW   ', '= $clog2(CHB_DEPTH);', ''],
    ['localparam RB_BANKS ', '= 1 << BANK_W;', '// residual banks: COLS consecutive words are in distinct banks'],
    ['localparam RBB_AW   ', '= RB_AW - BANK_W;', ''],
    ['localparam RC_W     ', '= CH_W + 1;', '// residual source channel of local channel 0 (signed), source channels'],
    ['localparam CS_W     ', '= CH_W + 2;', '// a lane\'s source channel, signed'],
    ['localparam STAGES   ', `= ${OUTPUT_LATENCY - 1};`, '// registered pipeline stages after the RAM reads'],
  ])}
  localparam [CH_W:0]    COLS_N  = COLS;
  localparam [CH_AW-1:0] COLS_CH = COLS;
  localparam signed [63:0] I32_MAX = 64'sh0000_0000_7fff_ffff;
  localparam signed [63:0] I32_MIN = 64'shffff_ffff_8000_0000;

  localparam [1:0] S_IDLE  = 2'd0;
  localparam [1:0] S_RUN   = 2'd1;
  localparam [1:0] S_DRAIN = 2'd2;

  reg [1:0] state;

  // Latched descriptor
${table(regs)}
  // Issue counters: the group whose reads go out this cycle
  reg [CNT_W-1:0]  m_cnt;    // pixel
  reg [CHB_AW-1:0] j_cnt;    // group of the pixel, the lanes' table entry
  reg [CH_W-1:0]   n_base;   // its first channel, j*COLS
  reg [OB_OW-1:0]  j_off;    // j * m_stride
  reg [RB_AW-1:0]  pix_rb;   // the pixel's first residual word, m * res_words
  // The channel tables' entry of local channel 0 and the bank it is in
  reg [CHB_AW-1:0] d_ch_row;
  reg [BANK_W-1:0] d_ch_rot;
  wire [CH_AW-1:0] desc_ch_base = desc[F_CH_BASE +: CH_AW];
  /* verilator lint_off UNUSEDSIGNAL */
  wire [CH_AW-1:0] ch_row_w = desc_ch_base / COLS_CH;
  wire [CH_AW-1:0] ch_rot_w = desc_ch_base % COLS_CH;
  /* verilator lint_on UNUSEDSIGNAL */

  wire          running  = (state == S_RUN);
  wire [CH_W:0] n_next   = {1'b0, n_base} + COLS_N;
  wire          pix_last = (n_next >= {1'b0, d_n});
  wire          all_last = pix_last && (m_cnt == d_m - 1'b1);

  // x mod k as a slot and x / k as a residual word count (k <= 16), for the constant tables below.
  function [PW_W-1:0] mod_pw(input integer x, input integer k);
    /* verilator lint_off UNUSEDSIGNAL */
    integer r;
    /* verilator lint_on UNUSEDSIGNAL */
    begin
      r      = x % k;
      mod_pw = r[PW_W-1:0];
    end
  endfunction
  function [RB_AW-1:0] div_rb(input integer x, input integer k);
    /* verilator lint_off UNUSEDSIGNAL */
    integer r;
    /* verilator lint_on UNUSEDSIGNAL */
    begin
      r      = x / k;
      div_rb = r[RB_AW-1:0];
    end
  endfunction

  // The lanes' slots: (j*COLS + c) mod per_word, c mod per_word at a pixel's first group, moving by COLS mod per_word.
  wire [PW_W-1:0] pw_sel = (state == S_IDLE) ? desc[F_PER_WORD +: PW_W] : d_per_word;
  reg  [PW_W-1:0] adv;
  always @* begin
${perWordCase('    ', 'd_per_word', 'adv', (k) => `mod_pw(COLS, ${k})`)}
  end

  // The residual lanes' source slots and words: from res_slot0 / res_word0 plus c at a pixel's first group, moving by COLS channels.
  wire [PW_W-1:0]  rpw_sel   = (state == S_IDLE) ? desc[F_RES_PER_WORD +: PW_W] : d_res_per_word;
  wire [PW_W-1:0]  rslot_sel = (state == S_IDLE) ? desc[F_RES_SLOT0 +: PW_W] : d_res_slot0;
  wire [RB_AW-1:0] rword_sel = (state == S_IDLE) ? desc[F_RES_WORD0 +: RB_AW] : d_res_word0;
  reg  [PW_W-1:0]  radv;
  reg  [RB_AW-1:0] rstep;
  always @* begin
${perWordCase('    ', 'd_res_per_word', 'radv', (k) => `mod_pw(COLS, ${k})`)}
${perWordCase('    ', 'd_res_per_word', 'rstep', (k) => `div_rb(COLS, ${k})`).replace("{PW_W{1'b0}}", "{RB_AW{1'b0}}")}
  end
  /* verilator lint_off UNUSEDSIGNAL */
  wire [COLS*RB_AW-1:0] lane_rword;   // each lane's source word (lane 0's is the cycle's first residual word)
  /* verilator lint_on UNUSEDSIGNAL */

  // The residual rescale's shift, one for the pass
  wire [4:0] rleft  = d_res_shift[SH_W-1] ? 5'd0 : d_res_shift[4:0];
  wire [4:0] rright = d_res_shift[SH_W-1] ? 5'd0 - d_res_shift[4:0] : 5'd0;

  wire [COLS-1:0]          lane_end;    // the lane's code ends an output word
  /* verilator lint_off UNUSEDSIGNAL */
  wire [(COLS+1)*WC_W-1:0] ends_below /* verilator split_var */;  // [c]: words ended by the lanes below c, lane c's word
  /* verilator lint_on UNUSEDSIGNAL */
  wire [WC_W-1:0]          words_now = ends_below[COLS*WC_W +: WC_W];
  assign ends_below[0 +: WC_W] = {WC_W{1'b0}};

  // Flags of the group in stage k sit in bit k-1 (field k-1).
  reg [STAGES-1:0]      v_q;
  reg [STAGES-1:0]      last_q;
  reg [STAGES*WC_W-1:0] cnt_q;
  reg                   act_last;

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
      d_ch_row <= ch_row_w[CHB_AW-1:0];
      d_ch_rot <= ch_rot_w[BANK_W-1:0];
      m_cnt    <= {CNT_W{1'b0}};
      j_cnt    <= {CHB_AW{1'b0}};
      n_base   <= {CH_W{1'b0}};
      j_off    <= {OB_OW{1'b0}};
      pix_rb   <= {RB_AW{1'b0}};
    end else if (running) begin
      if (pix_last) begin
        m_cnt  <= m_cnt + 1'b1;
        j_cnt  <= {CHB_AW{1'b0}};
        n_base <= {CH_W{1'b0}};
        j_off  <= {OB_OW{1'b0}};
        pix_rb <= pix_rb + d_res_words;
      end else begin
        j_cnt  <= j_cnt + 1'b1;
        n_base <= n_next[CH_W-1:0];
        j_off  <= j_off + d_m_stride;
      end
    end
  end

  always @(posedge clk) begin
    v_q    <= rst ? {STAGES{1'b0}} : {v_q[STAGES-2:0], running};
    last_q <= {last_q[STAGES-2:0], running && all_last};
    cnt_q  <= {cnt_q[(STAGES-1)*WC_W-1:0], words_now};
  end

  assign busy       = (state != S_IDLE);
  assign ob_rd_addr = ${p.obuf.doubleBuffered ? `{d_ob_half, ${obOff}}` : obOff};

  // ---- the residual buffer: the cycle's words from lane 0's source word on, COLS of them from every bank at once ----
  wire [RB_AW-1:0]        rb_first = d_res_base + pix_rb + lane_rword[0 +: RB_AW];
  wire [RB_BANKS*32-1:0]  rb_rd;
  wire [RB_BANKS*32-1:0]  rb_words1;   // stage 1: word t of the cycle at [t*32 +: 32]
  reg  [BANK_W-1:0]       rb_lo1;
  always @(posedge clk) rb_lo1 <= rb_first[BANK_W-1:0];

  genvar b, c, t;
  generate
    for (b = 0; b < RB_BANKS; b = b + 1) begin : g_resid
      localparam [BANK_W-1:0] BANK = b;
      // The word with low bits b: in rb_first's row, or the next one when b is below rb_first's low bits (the borrow).
      wire [BANK_W:0]   diff = {1'b0, BANK} - {1'b0, rb_first[BANK_W-1:0]};
      wire [RBB_AW-1:0] row  = rb_first[RB_AW-1:BANK_W] + {{(RBB_AW-1){1'b0}}, diff[BANK_W]};
      wire [BANK_W-1:0] from = rb_lo1 + BANK;

      sdp_ram #(.WIDTH(32), .DEPTH(RB_DEPTH / RB_BANKS), .AW(RBB_AW)) u_bank (
        .clk   (clk),
        .we    (rb_wr_en && rb_wr_addr[BANK_W-1:0] == BANK),
        .waddr (rb_wr_addr[RB_AW-1:BANK_W]),
        .wdata (rb_wr_data),
        .re    (running),
        .raddr (row),
        .rdata (rb_rd[b*32 +: 32])
      );

      assign rb_words1[b*32 +: 32] = rb_rd[from*32 +: 32];
    end
  endgenerate

  // ---- the per-channel tables: lane c's bank holds channels c, c + COLS, ... ----
  /* verilator lint_off UNUSEDSIGNAL */
  wire [CH_AW-1:0] pt_lane = pt_wr_addr % COLS_CH;
  wire [CH_AW-1:0] pt_row  = pt_wr_addr / COLS_CH;
  /* verilator lint_on UNUSEDSIGNAL */

  // ---- the lanes ----
  wire [COLS*32-1:0]     bank_bias;    // stage 1: table bank c's read
  wire [COLS*32-1:0]     bank_m0;
  wire [COLS*SH_W-1:0]   bank_shift;
  wire [COLS*32-1:0]     lane_elem5;   // stage 5: the lane's code in place in its word, zero when masked
  wire [COLS*BANK_W-1:0] lane_word5;   // stage 5: that word among the cycle's
  wire [PW_W-1:0]        slot0_5;      // stage 5: lane 0's slot; not 0 when its word began in an earlier cycle

  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_lane
      localparam [CH_W:0] LANE = c;
      wire [CH_W:0] n_c = {1'b0, n_base} + LANE;
      wire          ok  = (n_c < {1'b0, d_n});

      reg  [PW_W-1:0] slot;
      reg  [PW_W-1:0] slot_init;
      wire [PW_W:0]   slot_sum = {1'b0, slot} + {1'b0, adv};
      always @* begin
${perWordCase('        ', 'pw_sel', 'slot_init', (k) => `mod_pw(c, ${k})`)}
      end
      always @(posedge clk) begin
        if ((state == S_IDLE && start) || (running && pix_last)) slot <= slot_init;
        else if (running) slot <= (slot_sum >= {1'b0, d_per_word}) ? slot_sum[PW_W-1:0] - d_per_word : slot_sum[PW_W-1:0];
      end

      assign lane_end[c] = ok && (slot == d_per_word - 1'b1 || n_c == {1'b0, d_n} - 1'b1);
      assign ends_below[(c+1)*WC_W +: WC_W] = ends_below[c*WC_W +: WC_W] + {{(WC_W-1){1'b0}}, lane_end[c]};

      // Lane flags by stage (stage k in field k-1): channel valid, word of the cycle, slot.
      reg [STAGES-1:0]        ok_q;
      reg [STAGES*BANK_W-1:0] word_q;
      reg [STAGES*PW_W-1:0]   slot_q;
      always @(posedge clk) begin
        ok_q   <= {ok_q[STAGES-2:0], running && ok};
        word_q <= {word_q[(STAGES-1)*BANK_W-1:0], ends_below[c*WC_W +: BANK_W]};
        slot_q <= {slot_q[(STAGES-1)*PW_W-1:0], slot};
      end

      // The residual source channel of the lane's channel, its word and slot (the word relative to the pixel's first).
      wire signed [CS_W-1:0] cs     = $signed({1'b0, n_c}) + $signed({d_res_c0[RC_W-1], d_res_c0});
      wire                   rok    = !cs[CS_W-1] && (cs[CS_W-2:0] < d_res_c);
      reg  [PW_W-1:0]        rslot;
      reg  [RB_AW-1:0]       rword;
      reg  [PW_W-1:0]        rslot_c;
      reg  [RB_AW-1:0]       rword_c;
      always @* begin
${perWordCase('        ', 'rpw_sel', 'rslot_c', (k) => `mod_pw(c, ${k})`)}
${perWordCase('        ', 'rpw_sel', 'rword_c', (k) => `div_rb(c, ${k})`).replace("{PW_W{1'b0}}", "{RB_AW{1'b0}}")}
      end
      // Slot sums below 2*per_word; after the wrap below per_word (the top bit is zero).
      wire [PW_W:0] rinit   = {1'b0, rslot_sel} + {1'b0, rslot_c};
      wire          rinit_w = (rinit >= {1'b0, rpw_sel});
      wire [PW_W:0] rnext   = {1'b0, rslot} + {1'b0, radv};
      wire          rnext_w = (rnext >= {1'b0, d_res_per_word});
      /* verilator lint_off UNUSEDSIGNAL */
      wire [PW_W:0] rinit_s = rinit - (rinit_w ? {1'b0, rpw_sel} : {(PW_W+1){1'b0}});
      wire [PW_W:0] rnext_s = rnext - (rnext_w ? {1'b0, d_res_per_word} : {(PW_W+1){1'b0}});
      /* verilator lint_on UNUSEDSIGNAL */
      always @(posedge clk) begin
        if ((state == S_IDLE && start) || (running && pix_last)) begin
          rslot <= rinit_s[PW_W-1:0];
          rword <= rword_sel + rword_c + {{(RB_AW-1){1'b0}}, rinit_w};
        end else if (running) begin
          rslot <= rnext_s[PW_W-1:0];
          rword <= rword + rstep + {{(RB_AW-1){1'b0}}, rnext_w};
        end
      end
      assign lane_rword[c*RB_AW +: RB_AW] = rword;
      /* verilator lint_off UNUSEDSIGNAL */
      wire [RB_AW-1:0] roff = rword - lane_rword[0 +: RB_AW];   // below COLS: the word among the cycle's
      /* verilator lint_on UNUSEDSIGNAL */
      reg              rok1;
      reg [BANK_W-1:0] roff1;
      reg [PW_W-1:0]   rslot1;
      always @(posedge clk) begin
        rok1   <= rok;
        roff1  <= roff[BANK_W-1:0];
        rslot1 <= rslot;
      end

      // Table reads in the issue cycle, data in stage 1: this bank holds channels c, c + COLS, ..., read for the lane
      // with channel ch_base + j*COLS + c' in it (c' = (c - ch_base) mod COLS), one entry further when c is below the rotation.
      localparam [BANK_W:0] BANK_C = c;
      /* verilator lint_off CMPCONST */
      wire              t_next = (BANK_C < {1'b0, d_ch_rot});   // constant in lane 0
      /* verilator lint_on CMPCONST */
      wire [CHB_AW-1:0] t_addr = j_cnt + d_ch_row + {{(CHB_AW-1){1'b0}}, t_next};
      wire [31:0]       bias_bk, m0_bk;
      wire [SH_W-1:0]   shift_bk;

      sdp_ram #(.WIDTH(32), .DEPTH(CHB_DEPTH), .AW(CHB_AW)) u_bias (
        .clk   (clk),
        .we    (pt_wr_en && pt_wr_sel == 2'd0 && pt_lane == c),
        .waddr (pt_row[CHB_AW-1:0]),
        .wdata (pt_wr_data),
        .re    (running),
        .raddr (t_addr),
        .rdata (bias_bk)
      );

      sdp_ram #(.WIDTH(32), .DEPTH(CHB_DEPTH), .AW(CHB_AW)) u_m0 (
        .clk   (clk),
        .we    (pt_wr_en && pt_wr_sel == 2'd1 && pt_lane == c),
        .waddr (pt_row[CHB_AW-1:0]),
        .wdata (pt_wr_data),
        .re    (running),
        .raddr (t_addr),
        .rdata (m0_bk)
      );

      sdp_ram #(.WIDTH(SH_W), .DEPTH(CHB_DEPTH), .AW(CHB_AW)) u_shift (
        .clk   (clk),
        .we    (pt_wr_en && pt_wr_sel == 2'd2 && pt_lane == c),
        .waddr (pt_row[CHB_AW-1:0]),
        .wdata (pt_wr_data[SH_W-1:0]),
        .re    (running),
        .raddr (t_addr),
        .rdata (shift_bk)
      );
      assign bank_bias[c*32 +: 32]     = bias_bk;
      assign bank_m0[c*32 +: 32]       = m0_bk;
      assign bank_shift[c*SH_W +: SH_W] = shift_bk;

      // ---- stage 1: bias, left shift, residual code ----
      localparam [BANK_W:0] COLS_B = COLS;
      wire [BANK_W:0]   rot_sum  = BANK_C + {1'b0, d_ch_rot};
      /* verilator lint_off UNUSEDSIGNAL */
      wire [BANK_W:0]   rot_bank = (rot_sum >= COLS_B) ? rot_sum - COLS_B : rot_sum;
      /* verilator lint_on UNUSEDSIGNAL */
      wire [31:0]       bias_rd  = bank_bias[rot_bank[BANK_W-1:0]*32 +: 32];
      wire [31:0]       m0_rd    = bank_m0[rot_bank[BANK_W-1:0]*32 +: 32];
      wire [SH_W-1:0]   shift_rd = bank_shift[rot_bank[BANK_W-1:0]*SH_W +: SH_W];

      wire        [ACC_W-1:0] acc1   = ob_rd_data[c*ACC_W +: ACC_W];
      wire signed [31:0]      x1     = $signed(${accIn}) + $signed(bias_rd);
      wire        [4:0]       left1  = shift_rd[SH_W-1] ? 5'd0 : shift_rd[4:0];
      wire        [4:0]       right1 = shift_rd[SH_W-1] ? 5'd0 - shift_rd[4:0] : 5'd0;
      wire signed [63:0]      xl1    = {{32{x1[31]}}, x1} <<< left1;
      wire signed [31:0]      sh1    = (xl1 > I32_MAX) ? 32'sh7fff_ffff : (xl1 < I32_MIN) ? 32'sh8000_0000 : xl1[31:0];

      wire [31:0] rw1 = rb_words1[roff1*32 +: 32];
      // Only the low element bits of the shifted word are the residual code.
      /* verilator lint_off UNUSEDSIGNAL */
      reg  [31:0]     rsh1;
      /* verilator lint_on UNUSEDSIGNAL */
      reg  signed [ZP_W-1:0] raw1;
      always @* begin
        case (d_res_bits)
          2'd0:    rsh1 = rw1 >> {rslot1, 1'b0};
          2'd1:    rsh1 = rw1 >> {rslot1, 2'b0};
          default: rsh1 = rw1 >> {rslot1, 3'b0};
        endcase
        case (d_res_bits)
          2'd0:    raw1 = {{(ZP_W-2){d_res_signed & rsh1[1]}}, rsh1[1:0]};
          2'd1:    raw1 = {{(ZP_W-4){d_res_signed & rsh1[3]}}, rsh1[3:0]};
          default: raw1 = {{(ZP_W-8){d_res_signed & rsh1[7]}}, rsh1[7:0]};
        endcase
        if (!rok1) raw1 = d_res_zp;
      end
      // The rescale's input raw - res_zp, left shifted and saturated like x1.
      wire signed [ZP_W:0]  rx1  = {raw1[ZP_W-1], raw1} - {d_res_zp[ZP_W-1], d_res_zp};
      wire signed [63:0]    rxl1 = {{(63-ZP_W){rx1[ZP_W]}}, rx1} <<< rleft;
      wire signed [31:0]    rsat1 = (rxl1 > I32_MAX) ? 32'sh7fff_ffff : (rxl1 < I32_MIN) ? 32'sh8000_0000 : rxl1[31:0];

      reg signed [31:0]     sh2, m02, rs2;
      reg        [4:0]      right2, right3, right4;
      reg signed [ZP_W-1:0] raw2, raw3, raw4, add5;
      always @(posedge clk) begin
        sh2    <= sh1;
        m02    <= $signed(m0_rd);
        right2 <= right1;
        rs2    <= rsat1;
        raw2   <= raw1;
      end

      // ---- stage 2: the products ----
      reg signed [63:0] prod3, rprod3;
      reg               sat3, rsat3;
      always @(posedge clk) begin
        prod3  <= sh2 * m02;   // both signed: a 32 x 32 signed product (four DSP48 slices, not a 64 x 64 one)
        sat3   <= (sh2 == 32'sh8000_0000) && (m02 == 32'sh8000_0000);
        right3 <= right2;
        rprod3 <= rs2 * d_res_m0;
        rsat3  <= (rs2 == 32'sh8000_0000) && (d_res_m0 == 32'sh8000_0000);
        raw3   <= raw2;
      end

      // ---- stage 3: rounding doubling high multiply ----
      wire signed [63:0] nudge3  = prod3[63] ? 64'sd1 - 64'sd1073741824 : 64'sd1073741824;
      wire signed [63:0] sum3    = prod3 + nudge3;
      wire signed [31:0] high3   = sum3[62:31] + {31'd0, sum3[63] && (sum3[30:0] != 31'd0)};
      wire signed [63:0] rnudge3 = rprod3[63] ? 64'sd1 - 64'sd1073741824 : 64'sd1073741824;
      wire signed [63:0] rsum3   = rprod3 + rnudge3;
      wire signed [31:0] rhigh3  = rsum3[62:31] + {31'd0, rsum3[63] && (rsum3[30:0] != 31'd0)};
      reg  signed [31:0] high4, rhigh4;
      always @(posedge clk) begin
        high4  <= sat3 ? 32'sh7fff_ffff : high3;
        right4 <= right3;
        rhigh4 <= rsat3 ? 32'sh7fff_ffff : rhigh3;
        raw4   <= raw3;
      end

      // ---- stage 4: rounding divide by 2^right; the residual addend: rescaled, + res_out_zp, clamped ----
      wire        [31:0] mask4 = (32'd1 << right4) - 32'd1;
      wire        [31:0] rem4  = high4 & mask4;
      wire        [31:0] thr4  = (mask4 >> 1) + {31'd0, high4[31]};
      wire signed [31:0] q4    = high4 >>> right4;
      wire signed [31:0] v4    = q4 + $signed({31'd0, rem4 > thr4});
      wire        [31:0] rmask4 = (32'd1 << rright) - 32'd1;
      wire        [31:0] rrem4  = rhigh4 & rmask4;
      wire        [31:0] rthr4  = (rmask4 >> 1) + {31'd0, rhigh4[31]};
      wire signed [31:0] rq4    = rhigh4 >>> rright;
      wire signed [31:0] rv4    = rq4 + $signed({31'd0, rrem4 > rthr4});
      wire signed [32:0] ry4    = {rv4[31], rv4} + {{(33-ZP_W){d_res_out_zp[ZP_W-1]}}, d_res_out_zp};
      wire signed [32:0] rlo4   = {{(33-ZP_W){d_res_min[ZP_W-1]}}, d_res_min};
      wire signed [32:0] rhi4   = {{(33-ZP_W){d_res_max[ZP_W-1]}}, d_res_max};
      wire signed [ZP_W-1:0] radd4 = (ry4 < rlo4) ? d_res_min : (ry4 > rhi4) ? d_res_max : ry4[ZP_W-1:0];
      reg  signed [31:0] v5;
      always @(posedge clk) begin
        v5   <= v4;
        add5 <= !d_residual ? d_zero_point : d_rescale ? radd4 : raw4;
      end

      // ---- stage 5: zero point or residual, clamp, place in the word ----
      wire signed [32:0]     y5    = {v5[31], v5} + {{(33-ZP_W){add5[ZP_W-1]}}, add5};
      wire signed [32:0]     lo5   = {{(33-ZP_W){d_min[ZP_W-1]}}, d_min};
      wire signed [32:0]     hi5   = {{(33-ZP_W){d_max[ZP_W-1]}}, d_max};
      wire        [7:0]      code5 = (y5 < lo5) ? d_min[7:0] : (y5 > hi5) ? d_max[7:0] : y5[7:0];  // the element's bits
      wire        [PW_W-1:0] slot5 = slot_q[(STAGES-1)*PW_W +: PW_W];
      reg         [31:0]     elem5;
      always @* begin
        case (d_e_bits)
          2'd0:    elem5 = {30'd0, code5[1:0]} << {slot5, 1'b0};
          2'd1:    elem5 = {28'd0, code5[3:0]} << {slot5, 2'b0};
          default: elem5 = {24'd0, code5[7:0]} << {slot5, 3'b0};
        endcase
      end
      assign lane_elem5[c*32 +: 32]         = ok_q[STAGES-1] ? elem5 : 32'd0;
      assign lane_word5[c*BANK_W +: BANK_W] = word_q[(STAGES-1)*BANK_W +: BANK_W];
      if (c == 0) begin : g_first
        assign slot0_5 = slot5;
      end
    end
  endgenerate

  // ---- the cycle's words: word t ORs the codes of the lanes that go to it (lane c goes to a word <= c) ----
  reg  [31:0]            held;      // a word the last cycle's lanes began and did not end
  wire [(COLS+1)*32-1:0] words5;    // word t of the cycle at [t*32 +: 32]; word COLS is never written
  assign words5[COLS*32 +: 32] = 32'd0;

  generate
    for (t = 0; t < COLS; t = t + 1) begin : g_word
      localparam [BANK_W-1:0] WORD = t;
      wire [(COLS+1)*32-1:0] part /* verilator split_var */;  // [c]: the OR over the lanes below c
      if (t == 0) begin : g_held
        assign part[0 +: 32] = (slot0_5 != {PW_W{1'b0}}) ? held : 32'd0;
      end else begin : g_fresh
        assign part[0 +: 32] = 32'd0;
      end
      for (c = 0; c < COLS; c = c + 1) begin : g_lane
        if (c < t) begin : g_below
          assign part[(c+1)*32 +: 32] = part[c*32 +: 32];
        end else begin : g_or
          assign part[(c+1)*32 +: 32] = part[c*32 +: 32] | ((lane_word5[c*BANK_W +: BANK_W] == WORD) ? lane_elem5[c*32 +: 32] : 32'd0);
        end
      end
      assign words5[t*32 +: 32] = part[COLS*32 +: 32];
    end
  endgenerate

  wire [WC_W-1:0]   cnt5 = cnt_q[(STAGES-1)*WC_W +: WC_W];
  reg  [OUT_AW-1:0] out_ptr;
  always @(posedge clk) begin
    if (state == S_IDLE && start) out_ptr <= desc[F_OUT_BASE +: OUT_AW];
    else if (v_q[STAGES-1]) out_ptr <= out_ptr + {{(OUT_AW-WC_W){1'b0}}, cnt5};
    if (v_q[STAGES-1]) held <= words5[cnt5*32 +: 32];
    act_wr_en    <= !rst && v_q[STAGES-1] && cnt5 != {WC_W{1'b0}};
    act_last     <= last_q[STAGES-1];
    act_wr_addr  <= out_ptr;
    act_wr_count <= cnt5;
    act_wr_data  <= words5[COLS*32-1:0];
  end

endmodule

\`default_nettype wire
`;
  return { name: 'output_unit', text, ports, params };
}
