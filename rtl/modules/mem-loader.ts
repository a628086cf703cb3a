// mem_loader.v: the network program's memory-to-core engine, an AXI4 read master that carries out one tables,
// weights, load-input or residual instruction at a time (rtl/mem-engine-model.ts has the rules and the cycle
// model; rtl/net-exec.ts executeInstr is what the writes must add up to).
import { OPCODES } from '../isa.js';
import { LOADER_OPS, MemEngineParams, checkMemEngineParams, fieldsBits, payloadBits, wbBankBits } from '../mem-engine-model.js';
import { axiPorts } from './axi-ports.js';
import { BEAT_PARAMS, FIELD_WIDTH_FN, REQUEST_SIDE, commonParams, divisorMasks, divisorTest, fieldDecls, commandPorts } from './mem-engine-common.js';
import { Port, Provenance, VerilogModule, VerilogParam, header, moduleHead } from '../verilog.js';

export function memLoaderParamList(e: MemEngineParams): VerilogParam[] {
  return [
    ...commonParams(e, fieldsBits(LOADER_OPS)),
    { name: 'ROWS', value: e.rows, comment: 'IBUF banks (array rows)' },
    { name: 'COLS', value: e.cols, comment: 'array columns: WBUF has ROWS*COLS banks' },
    { name: 'IB_AW', value: e.ibAddrBits },
    { name: 'IB_HALF', value: e.ibHalf, comment: 'IBUF address of the second half (0: single-buffered)' },
    { name: 'WB_AW', value: e.wbAddrBits },
    { name: 'WB_HALF', value: e.wbHalf },
    { name: 'WB_BW', value: wbBankBits(e), comment: 'WBUF bank number' },
    { name: 'CH_W', value: e.chAddrBits, comment: 'output unit channel table address' },
    { name: 'RB_AW', value: e.rbAddrBits, comment: 'residual buffer address' },
  ];
}

export function memLoaderPorts(e: MemEngineParams): Port[] {
  const fw = fieldsBits(LOADER_OPS);
  return [
    ...commandPorts(fw, 'one-cycle pulse with the last local write', 'the command was refused, or an R beat was SLVERR/DECERR; valid with done'),
    { name: 'ib_wr_en', dir: 'output', width: 1, reg: true },
    { name: 'ib_wr_mask', dir: 'output', width: e.rows, widthExpr: 'ROWS', reg: true, comment: 'IBUF banks written (r % d == g % d)' },
    { name: 'ib_wr_addr', dir: 'output', width: e.ibAddrBits, widthExpr: 'IB_AW', reg: true },
    { name: 'ib_wr_data', dir: 'output', width: 32 },
    { name: 'wb_wr_en', dir: 'output', width: 1, reg: true },
    { name: 'wb_wr_bank', dir: 'output', width: wbBankBits(e), widthExpr: 'WB_BW', reg: true },
    { name: 'wb_wr_addr', dir: 'output', width: e.wbAddrBits, widthExpr: 'WB_AW', reg: true },
    { name: 'wb_wr_data', dir: 'output', width: 32 },
    { name: 'pt_wr_en', dir: 'output', width: 1, reg: true, comment: 'output unit tables' },
    { name: 'pt_wr_sel', dir: 'output', width: 2, reg: true, comment: '0 bias, 1 m0, 2 shift' },
    { name: 'pt_wr_addr', dir: 'output', width: e.chAddrBits, widthExpr: 'CH_W', reg: true, comment: 'channel' },
    { name: 'pt_wr_data', dir: 'output', width: 32 },
    { name: 'rb_wr_en', dir: 'output', width: 1, reg: true, comment: 'residual buffer' },
    { name: 'rb_wr_addr', dir: 'output', width: e.rbAddrBits, widthExpr: 'RB_AW', reg: true },
    { name: 'rb_wr_data', dir: 'output', width: 32 },
    ...axiPorts('master', e.addrBits, e.dataBits, 'read'),
  ];
}

export function memLoaderModule(e: MemEngineParams, prov: Provenance): VerilogModule {
  checkMemEngineParams(e);
  const params = memLoaderParamList(e);
  const ports = memLoaderPorts(e);
  const tb = fieldDecls('tables', 'tb');
  const wt = fieldDecls('weights', 'wt');
  const li = fieldDecls('load-input', 'li');
  const rs = fieldDecls('residual', 'rs');
  const used = Math.max(...LOADER_OPS.map(payloadBits));
  const spare = used < fieldsBits(LOADER_OPS) ? ` f[FIELDS_W-1:${used}],` : '';
  const text = header('mem_loader', [
    'Memory-to-core engine of the network program: an AXI4 read master (AR and R only; the write channels belong',
    'to mem_storer and the system top merges the two into one port) that carries out one command at a time:',
    `  tables (op ${OPCODES.tables})      3 words a channel -> pt_wr (bias, m0, shift)`,
    `  weights (op ${OPCODES.weights})     32/word_bits WBUF words a memory word -> WBUF bank i % (ROWS*COLS), word i / banks`,
    `  load-input (op ${OPCODES['load-input']})  the input tile's channel words (pad word outside the image) -> every IBUF bank r with`,
    '                    r % d == g % d, at the tile address of (pixel, g)',
    `  residual (op ${OPCODES.residual})    \`words\` memory words of each block pixel's source pixel -> residual buffer`,
    'Any other op, a field width that is not a power of two up to 32 or a bank stride d that does not divide',
    'ROWS is refused: done and err the cycle after the accept, nothing read or written.',
    'The command\'s memory words are runs (contiguous words: a pixel\'s slice, or a row of pixels when the slices',
    'touch), requested as INCR bursts of whole beats (<= 256 beats, never across 4 KiB), up to MAX_OUT in flight.',
    'R beats are taken in order; a record per burst says which of its beats\' words belong to the run. One local',
    'write a cycle: a memory word holding several buffer words keeps RREADY low until its last one is written.',
    'Writes are registered (they show the cycle after their R word); done pulses with the last one.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('mem_loader', params, ports) + `
${BEAT_PARAMS}  localparam WB_BANKS = ROWS * COLS;
  localparam [2:0] SETUP = 3'd5;              // cycles from the accept to loading the walks
  localparam [2:0] RUN   = 3'd6;

${tb.params}${wt.params}${li.params}${rs.params}
  localparam [7:0] OP_TABLES   = 8'd${OPCODES.tables};
  localparam [7:0] OP_WEIGHTS  = 8'd${OPCODES.weights};
  localparam [7:0] OP_LOAD     = 8'd${OPCODES['load-input']};
  localparam [7:0] OP_RESIDUAL = 8'd${OPCODES.residual};

  reg  [2:0]          phase;          // 0 idle, 1..SETUP address stages, RUN
  reg  [7:0]          op;
  reg  [FIELDS_W-1:0] f;
  wire                run     = phase == RUN;
  wire                rq_load = phase == SETUP;

${tb.wires}${wt.wires}${li.wires}${rs.wires}
  // The command as the accept sees it: refused when the op is not the loader's or a field cannot be carried out
  // (the bank strides are the divisors of ROWS = ${e.rows}, as generated).
${FIELD_WIDTH_FN}
  wire [31:0]         c_word_bits = {{(32-WT_WORD_BITS_W){1'b0}}, cmd_fields[WT_WORD_BITS_LSB +: WT_WORD_BITS_W]};
  wire [31:0]         c_act_bits  = {{(32-LI_ACT_BITS_W){1'b0}}, cmd_fields[LI_ACT_BITS_LSB +: LI_ACT_BITS_W]};
  wire [31:0]         c_d         = {{(32-LI_D_W){1'b0}}, cmd_fields[LI_D_LSB +: LI_D_W]};
  wire                c_ok        = cmd_op == OP_TABLES || cmd_op == OP_RESIDUAL
                                    || (cmd_op == OP_WEIGHTS && is_width(c_word_bits))
                                    || (cmd_op == OP_LOAD && is_width(c_act_bits) && (${divisorTest(e.rows, 'c_d')}));
  wire                cmd_fire    = cmd_valid && phase == 3'd0;

  // ---- address stages: registered products, valid SETUP cycles after the accept
  reg  signed [31:0]  s1_y0, s1_x0, s2_ya, s2_yb, s2_xa, s2_xb;
  reg  [31:0]         s1_rs_li, s1_tpix, s1_fb0, s1_fb1, s1_rsa, s1_cs_rs, s1_pm, s1_mlen_rs, s1_wlen, s1_tlen;
  reg  [31:0]         s2_len_li, s2_total_li, s2_rs_rs, s2_colo, s2_total_rs;
  reg  [31:0]         s3_nr_li, s3_nc_li, s3_p, s3_rowo;
  reg  [31:0]         s4_base_li, s4_mlen_li, s4_base_rs;
  reg  [ROWS-1:0]     s1_mask0;

  always @(posedge clk) begin
    s1_y0       <= $signed(li_oy0 * li_stride_y) - $signed(li_pad_top);
    s1_x0       <= $signed(li_ox0 * li_stride_x) - $signed(li_pad_left);
    s1_rs_li    <= li_in_w * li_gm;
    s1_tpix     <= li_th * li_tw;
    s1_fb0      <= li_g0 << width_log2(li_act_bits[5:1]);                    // the slice's first bit in the pixel's words
    s1_fb1      <= (li_g0 + li_gs - 32'd1) << width_log2(li_act_bits[5:1]);  // the first bit of its last channel word
    s1_rsa      <= rs_stride_y * rs_src_w;
    s1_cs_rs    <= rs_stride_x * rs_g;
    s1_pm       <= rs_rows * rs_cols;
    s1_mlen_rs  <= rs_cols * rs_words;
    s1_wlen     <= ((wt_words << width_log2(wt_word_bits[5:1])) + 32'd31) >> 5;
    s1_tlen     <= 32'd3 * tb_channels;
    s2_ya       <= s1_y0 < 0 ? 32'sd0 : s1_y0;
    s2_yb       <= s1_y0 + $signed(li_th) > $signed(li_in_h) ? $signed(li_in_h) : s1_y0 + $signed(li_th);
    s2_xa       <= s1_x0 < 0 ? 32'sd0 : s1_x0;
    s2_xb       <= s1_x0 + $signed(li_tw) > $signed(li_in_w) ? $signed(li_in_w) : s1_x0 + $signed(li_tw);
    s2_len_li   <= (s1_fb1 >> 5) - (s1_fb0 >> 5) + 32'd1;
    s2_total_li <= s1_tpix * li_gs;
    s2_rs_rs    <= s1_rsa * rs_g;
    s2_colo     <= rs_ox0 * s1_cs_rs;
    s2_total_rs <= s1_pm * rs_words;
    s3_nr_li    <= s2_yb > s2_ya ? s2_yb - s2_ya : 32'd0;
    s3_nc_li    <= s2_xb > s2_xa ? s2_xb - s2_xa : 32'd0;
    s3_p        <= s2_ya * li_in_w + s2_xa;
    s3_rowo     <= rs_oy0 * s2_rs_rs;
    s4_base_li  <= li_src + s3_p * li_gm + (s1_fb0 >> 5);
    s4_mlen_li  <= s3_nc_li * s2_len_li;
    s4_base_rs  <= rs_src + s3_rowo + s2_colo + rs_word_lo;
  end

  always @(posedge clk) begin
${divisorMasks(e.rows, 'li_d', 's1_mask0').replace(/ = /g, ' <= ')}  end

  // ---- the command's runs (a merged row when a run's words reach the next run's) and its local writes
  reg  [31:0]         q_base, q_len, q_rs, q_cs, q_total;
  reg  [15:0]         q_nr, q_nc;
  wire                merge_li = s2_len_li == li_gm;
  wire                merge_rs = rs_words == s1_cs_rs;

  always @* begin
    q_rs = 32'd0;
    q_cs = 32'd0;
    q_nr = 16'd1;
    q_nc = 16'd1;
    case (op)
      OP_TABLES: begin
        q_base  = tb_addr;
        q_len   = s1_tlen;
        q_total = s1_tlen;
      end
      OP_WEIGHTS: begin
        q_base  = wt_addr;
        q_len   = s1_wlen;
        q_total = wt_words;
      end
      OP_RESIDUAL: begin
        q_base  = s4_base_rs;
        q_nr    = rs_rows[15:0];
        q_nc    = merge_rs ? 16'd1 : rs_cols[15:0];
        q_len   = merge_rs ? s1_mlen_rs : rs_words;
        q_rs    = s2_rs_rs;
        q_cs    = s1_cs_rs;
        q_total = s2_total_rs;
      end
      default: begin
        q_base  = s4_base_li;
        q_nr    = s3_nr_li[15:0];
        q_nc    = merge_li ? 16'd1 : s3_nc_li[15:0];
        q_len   = merge_li ? s4_mlen_li : s2_len_li;
        q_rs    = s1_rs_li;
        q_cs    = li_gm;
        q_total = s2_total_li;
      end
    endcase
    if (q_total == 32'd0) q_nr = 16'd0;
  end

  wire                a_fire;

${REQUEST_SIDE}
  assign a_fire = a_valid && m_axi_arready;

  // ---- R words: the head record's place in the beat
  reg                 u_started;      // the head burst's first word is taken
  reg  [LK_W-1:0]     u_pos_r;
  reg  [WB_W-1:0]     u_left_r;
  wire [LK_W-1:0]     u_pos      = u_started ? u_pos_r : rf_lo[rf_rd];
  wire [WB_W-1:0]     u_left     = u_started ? u_left_r : rf_words[rf_rd];
  wire                u_beat_end = {{(32-LK_W){1'b0}}, u_pos} == K - 1 || u_left == 1;
  wire [31:0]         u_word;

  generate
    if (K == 1) begin : g_word_narrow
      assign u_word = m_axi_rdata;
    end else begin : g_word_wide
      assign u_word = m_axi_rdata[u_pos*32 +: 32];
    end
  endgenerate

  // ---- the write walker: one local write a cycle, in the order the words arrive
  reg  [31:0]         w_left;         // local writes to go
  reg  [4:0]          w_fo;           // bit of the next field in the memory word
  reg  [5:0]          w_bits;         // field width
  reg  [31:0]         w_fmask;
  reg  [1:0]          t_sel;
  reg  [CH_W-1:0]     t_ch;
  reg  [WB_BW-1:0]    k_bank;
  reg  [WB_AW-1:0]    k_addr;
  reg  [RB_AW-1:0]    r_addr;
  reg  [15:0]         i_g, i_gmod, i_tx;
  reg  [IB_AW-1:0]    i_gdiv, i_pix;
  reg  signed [31:0]  i_y, i_x, i_x0;
  reg  [4:0]          i_fo0;
  reg  [ROWS-1:0]     i_mask, i_mask0;
  reg  [31:0]         wr_data;

  wire                is_li   = op == OP_LOAD;
  wire                in_img  = !is_li || (i_y >= 0 && i_y < $signed(li_in_h) && i_x >= 0 && i_x < $signed(li_in_w));
  wire                last_g  = is_li && {16'd0, i_g} == li_gs - 32'd1;
  wire                s_fire  = run && w_left != 32'd0 && (!in_img || m_axi_rvalid);
  wire                s_pop   = s_fire && in_img && ({1'b0, w_fo} + w_bits == 6'd32 || w_left == 32'd1 || last_g);
  wire [31:0]         field   = (u_word >> w_fo) & w_fmask;
  wire                finishing = run && (w_left == 32'd0 || (s_fire && w_left == 32'd1));
  wire                half_sel;

  assign half_sel      = op == OP_WEIGHTS ? wt_half : li_half;
  assign cmd_ready     = phase == 3'd0;
  assign m_axi_araddr  = a_byte;
  assign m_axi_arlen   = a_lenm1[7:0];
  assign m_axi_arsize  = SIZE;
  assign m_axi_arburst = 2'b01;               // INCR
  assign m_axi_arcache = 4'b0011;             // normal, bufferable, non-allocating
  assign m_axi_arprot  = 3'b000;
  assign m_axi_arvalid = a_valid;
  assign m_axi_rready  = s_pop && u_beat_end;
  assign ib_wr_data    = wr_data;
  assign wb_wr_data    = wr_data;
  assign pt_wr_data    = wr_data;
  assign rb_wr_data    = wr_data;

  // Bits the loader has no use for: OKAY vs EXOKAY, rlast (the records count the beats), the upper bits of
  // the stage products, the payload fields the walks do not read.
  wire unused_bits = &{1'b0,${spare} m_axi_rresp[0], m_axi_rlast, a_lenm1[10:8], s3_nr_li[31:16], s3_nc_li[31:16],
                       li_th[31:16], li_gs[31:16], li_row_skip[31:IB_AW], rs_rows[31:16], rs_cols[31:16], rs_words[31:16], tb_channels[31:16]};

  always @(posedge clk) begin
    if (rst) begin
      phase     <= 3'd0;
      done      <= 1'b0;
      err       <= 1'b0;
      ib_wr_en  <= 1'b0;
      wb_wr_en  <= 1'b0;
      pt_wr_en  <= 1'b0;
      rb_wr_en  <= 1'b0;
      in_flight <= {OUT_W{1'b0}};
      rf_wr     <= {RP_W{1'b0}};
      rf_rd     <= {RP_W{1'b0}};
      u_started <= 1'b0;
      w_left    <= 32'd0;
    end else begin
      done     <= finishing || (cmd_fire && !c_ok);
      ib_wr_en <= s_fire && is_li;
      wb_wr_en <= s_fire && op == OP_WEIGHTS;
      pt_wr_en <= s_fire && op == OP_TABLES;
      rb_wr_en <= s_fire && op == OP_RESIDUAL;
      if (cmd_fire) begin
        op    <= cmd_op;
        f     <= cmd_fields;
        err   <= !c_ok;
        phase <= c_ok ? 3'd1 : 3'd0;
      end else if (finishing) begin
        phase <= 3'd0;
      end else if (phase != 3'd0 && phase != RUN) begin
        phase <= phase + 3'd1;
      end
      if (m_axi_rvalid && m_axi_rready && m_axi_rresp[1]) err <= 1'b1;
      in_flight <= in_flight + {{(OUT_W-1){1'b0}}, a_fire} - {{(OUT_W-1){1'b0}}, s_pop && u_left == 1};
      if (a_fire) rf_wr <= rf_wr + 1'b1;
      if (s_pop) begin
        if (u_left == 1) begin
          u_started <= 1'b0;
          rf_rd     <= rf_rd + 1'b1;
        end else begin
          u_started <= 1'b1;
          u_pos_r   <= K == 1 ? {LK_W{1'b0}} : u_pos + 1'b1;
          u_left_r  <= u_left - 1'b1;
        end
      end
      if (rq_load) w_left <= q_total;
      else if (s_fire) w_left <= w_left - 32'd1;
    end
  end

  // The walker's counters and the registered write address and data.
  always @(posedge clk) begin
    if (s_fire) begin
      wr_data    <= in_img ? field : li_pad;
      ib_wr_mask <= i_mask;
      ib_wr_addr <= i_pix + i_gdiv;
      wb_wr_bank <= k_bank;
      wb_wr_addr <= k_addr;
      pt_wr_sel  <= t_sel;
      pt_wr_addr <= t_ch;
      rb_wr_addr <= r_addr;
    end
    if (rq_load) begin
      w_bits  <= op == OP_WEIGHTS ? wt_word_bits[5:0] : is_li ? li_act_bits[5:0] : 6'd32;
      w_fmask <= op == OP_WEIGHTS ? ~(32'hffffffff << wt_word_bits) : is_li ? ~(32'hffffffff << li_act_bits) : 32'hffffffff;
      w_fo    <= is_li ? s1_fb0[4:0] : 5'd0;
      i_fo0   <= s1_fb0[4:0];
      t_sel   <= 2'd0;
      t_ch    <= {CH_W{1'b0}};
      k_bank  <= {WB_BW{1'b0}};
      k_addr  <= half_sel ? WB_HALF[WB_AW-1:0] : {WB_AW{1'b0}};
      r_addr  <= {RB_AW{1'b0}};
      i_g     <= 16'd0;
      i_gmod  <= 16'd0;
      i_gdiv  <= {IB_AW{1'b0}};
      i_tx    <= 16'd0;
      i_y     <= s1_y0;
      i_x     <= s1_x0;
      i_x0    <= s1_x0;
      i_pix   <= half_sel ? IB_HALF[IB_AW-1:0] : {IB_AW{1'b0}};
      i_mask  <= s1_mask0;
      i_mask0 <= s1_mask0;
    end else if (s_fire) begin
      w_fo <= w_fo + w_bits[4:0];
      if (op == OP_TABLES) begin
        if (t_sel == 2'd2) begin
          t_sel <= 2'd0;
          t_ch  <= t_ch + 1'b1;
        end else t_sel <= t_sel + 2'd1;
      end
      if (op == OP_WEIGHTS) begin
        if ({{(32-WB_BW){1'b0}}, k_bank} == WB_BANKS - 1) begin
          k_bank <= {WB_BW{1'b0}};
          k_addr <= k_addr + 1'b1;
        end else k_bank <= k_bank + 1'b1;
      end
      if (op == OP_RESIDUAL) r_addr <= r_addr + 1'b1;
      if (is_li) begin
        if (last_g) begin
          // the next tile row starts row_skip words on: the tile's rows are the layer's pitch apart
          i_pix  <= i_pix + i_gdiv + 1'b1 + (({16'd0, i_tx} == li_tw - 32'd1) ? li_row_skip[IB_AW-1:0] : {IB_AW{1'b0}});
          i_g    <= 16'd0;
          i_gmod <= 16'd0;
          i_gdiv <= {IB_AW{1'b0}};
          i_mask <= i_mask0;
          w_fo   <= i_fo0;
          if ({16'd0, i_tx} == li_tw - 32'd1) begin
            i_tx <= 16'd0;
            i_x  <= i_x0;
            i_y  <= i_y + 1;
          end else begin
            i_tx <= i_tx + 16'd1;
            i_x  <= i_x + 1;
          end
        end else begin
          i_g <= i_g + 16'd1;
          if ({16'd0, i_gmod} == li_d - 32'd1) begin
            i_gmod <= 16'd0;
            i_gdiv <= i_gdiv + 1'b1;
            i_mask <= i_mask0;
          end else begin
            i_gmod <= i_gmod + 16'd1;
            i_mask <= i_mask << 1;
          end
        end
      end
    end
  end
endmodule

\`default_nettype wire
`;
  return { name: 'mem_loader', text, ports, params };
}
