// mem_storer.v: the network program's core-to-memory engine, an AXI4 write master that carries out one store or
// store-acc instruction at a time (rtl/mem-engine-model.ts has the rules and the cycle model; rtl/net-exec.ts
// executeInstr is what the memory must hold afterwards).
import { OPCODES } from '../isa.js';
import { MemEngineParams, STORER_OPS, checkMemEngineParams, fieldsBits, obBankBits } from '../mem-engine-model.js';
import { axiPorts } from './axi-ports.js';
import { BEAT_PARAMS, REQUEST_SIDE, commonParams, fieldDecls, commandPorts } from './mem-engine-common.js';
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead } from '../verilog.js';

export function memStorerParamList(e: MemEngineParams): VerilogParam[] {
  return [
    ...commonParams(e, fieldsBits(STORER_OPS)),
    { name: 'FIFO_D', value: e.fifoDepth, comment: 'local-read prefetch FIFO words (power of two)' },
    { name: 'COLS', value: e.cols, comment: 'OBUF banks (array columns)' },
    { name: 'OB_AW', value: e.obAddrBits },
    { name: 'OB_HALF', value: e.obHalf, comment: 'OBUF address of the second half (0: single-buffered)' },
    { name: 'OB_BW', value: obBankBits(e), comment: 'OBUF bank number' },
    { name: 'OB_W', value: e.obWordBits, comment: 'accumulator bits, sign-extended to the 32-bit memory word' },
    { name: 'ST_AW', value: e.stAddrBits, comment: 'staging buffer address' },
  ];
}

export function memStorerPorts(e: MemEngineParams): Port[] {
  const fw = fieldsBits(STORER_OPS);
  return [
    ...commandPorts(fw, 'one-cycle pulse the cycle after the last B response', 'the command was refused, or a B was SLVERR/DECERR; valid with done'),
    { name: 'st_rd_en', dir: 'output', width: 1, comment: 'staging buffer read, data on st_rd_data the next cycle' },
    { name: 'st_rd_addr', dir: 'output', width: e.stAddrBits, widthExpr: 'ST_AW' },
    { name: 'st_rd_data', dir: 'input', width: 32 },
    { name: 'ob_rd_en', dir: 'output', width: 1, comment: 'OBUF read, data on ob_rd_data the next cycle' },
    { name: 'ob_rd_bank', dir: 'output', width: obBankBits(e), widthExpr: 'OB_BW' },
    { name: 'ob_rd_addr', dir: 'output', width: e.obAddrBits, widthExpr: 'OB_AW' },
    { name: 'ob_rd_data', dir: 'input', width: e.obWordBits, widthExpr: 'OB_W' },
    ...axiPorts('master', e.addrBits, e.dataBits, 'write'),
  ];
}

export function memStorerModule(e: MemEngineParams, prov: Provenance): VerilogModule {
  checkMemEngineParams(e);
  const params = memStorerParamList(e);
  const ports = memStorerPorts(e);
  const st = fieldDecls('store', 'st');
  const sa = fieldDecls('store-acc', 'sa');
  const fcW = clog2(e.fifoDepth + 1);
  const text = header('mem_storer', [
    'Core-to-memory engine of the network program: an AXI4 write master (AW, W and B only; the read channels',
    'belong to mem_loader and the system top merges the two into one port) that carries out one command at a time:',
    `  store (op ${OPCODES.store})      staging word m*words + i -> memory dst + ((oy0 + m/cols)*dst_w + ox0 + m%cols)*g + word_lo + i`,
    `  store-acc (op ${OPCODES['store-acc']})  OBUF bank n % COLS, word half + (n/COLS)*M + m -> memory addr + m*stride + n`,
    'Any other op is refused: done and err the cycle after the accept, nothing read or written.',
    'Local reads (one a cycle, data the next) run ahead into a FIFO_D-word FIFO in memory order. The memory words',
    'are runs (a pixel\'s words, or a row when they touch), written as INCR bursts of whole beats (<= 256 beats,',
    'never across 4 KiB), up to MAX_OUT in flight; a burst\'s words go one a cycle into the W beat register, sent',
    'once its last word of the burst is in. WSTRB enables whole 32-bit words, the burst\'s words of the beat (all',
    'ones on a 32-bit bus), so the words around a run keep their values. done pulses after the last B.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('mem_storer', params, ports) + `
${BEAT_PARAMS}  localparam FP_W  = $clog2(FIFO_D);
  localparam FC_W  = ${fcW};
  localparam [FC_W-1:0] FIFO_ROOM = FIFO_D;
  localparam [K-1:0]    ONE_WORD  = 1;
  localparam [2:0] SETUP = 3'd5;              // cycles from the accept to loading the walks
  localparam [2:0] RUN   = 3'd6;

${st.params}${sa.params}
  localparam [7:0] OP_STORE     = 8'd${OPCODES.store};
  localparam [7:0] OP_STORE_ACC = 8'd${OPCODES['store-acc']};

  reg  [2:0]          phase;          // 0 idle, 1..SETUP address stages, RUN
  reg  [7:0]          op;
  reg  [FIELDS_W-1:0] f;
  wire                run     = phase == RUN;
  wire                rq_load = phase == SETUP;
  wire                is_st   = op == OP_STORE;

${st.wires}${sa.wires}
  wire                c_ok     = cmd_op == OP_STORE || cmd_op == OP_STORE_ACC;
  wire                cmd_fire = cmd_valid && phase == 3'd0;

  // ---- address stages: registered products, valid SETUP cycles after the accept
  reg  [31:0]         s1_rs, s1_p, s1_pm, s1_mlen, s1_total_sa;
  reg  [31:0]         s2_total_st, s2_base_st;

  always @(posedge clk) begin
    s1_rs       <= st_dst_w * st_g;
    s1_p        <= st_oy0 * st_dst_w + st_ox0;
    s1_pm       <= st_rows * st_cols;
    s1_mlen     <= st_cols * st_words;
    s1_total_sa <= sa_m * sa_n;
    s2_total_st <= s1_pm * st_words;
    s2_base_st  <= st_dst + s1_p * st_g + st_word_lo;
  end

  // ---- the command's runs (a merged row when a run's words reach the next run's)
  reg  [31:0]         q_base, q_len, q_rs, q_cs, q_total;
  reg  [15:0]         q_nr, q_nc;
  wire                merge_st = st_words == st_g;
  wire                merge_sa = sa_stride == sa_n;

  always @* begin
    q_nc = 16'd1;
    if (is_st) begin
      q_base  = s2_base_st;
      q_nr    = st_rows[15:0];
      q_nc    = merge_st ? 16'd1 : st_cols[15:0];
      q_len   = merge_st ? s1_mlen : st_words;
      q_rs    = s1_rs;
      q_cs    = st_g;
      q_total = s2_total_st;
    end else begin
      q_base  = sa_addr;
      q_nr    = merge_sa ? 16'd1 : sa_m[15:0];
      q_len   = merge_sa ? s1_total_sa : sa_n;
      q_rs    = sa_stride;
      q_cs    = 32'd0;
      q_total = s1_total_sa;
    end
    if (q_total == 32'd0) q_nr = 16'd0;
  end

  wire                a_fire;

${REQUEST_SIDE}
  assign a_fire = a_valid && m_axi_awready;

  // ---- local reads, in memory order, ahead into the FIFO
  reg  [31:0]         f_left;         // words not yet read
  reg  [ST_AW-1:0]    f_st;           // store: staging address
  reg  [OB_BW-1:0]    f_bank;         // store-acc: bank n % COLS
  reg  [15:0]         f_n;            // store-acc: n
  reg  [OB_AW-1:0]    f_row;          // store-acc: OBUF word of (m, n = 0)
  reg  [OB_AW-1:0]    f_ob;           // store-acc: OBUF word of (m, n)
  reg                 f_pending;      // a read went out last cycle: its word is on the read data now
  reg                 f_pending_st;
  reg  [31:0]         fifo [0:FIFO_D-1];
  reg  [FP_W-1:0]     f_wr, f_rd;
  reg  [FC_W-1:0]     f_count;

  wire                lr_en   = run && f_left != 32'd0 && f_count + {{(FC_W-1){1'b0}}, f_pending} < FIFO_ROOM;
  wire signed [31:0]  ob_word = $signed(ob_rd_data);

  // ---- W: the beat register, filled a word a cycle at the head record's place
  reg                 w_full;         // the beat is complete and on the bus
  reg                 w_last_r;
  reg  [DATA_W-1:0]   w_data;
  reg  [K-1:0]        w_strb;         // words of the beat that belong to the burst
  reg  [31:0]         fill_left;      // words not yet in a beat
  reg                 u_started;
  reg  [LK_W-1:0]     u_pos_r;
  reg  [WB_W-1:0]     u_left_r;
  reg  [RP_W:0]       rf_count;
  wire [LK_W-1:0]     u_pos      = u_started ? u_pos_r : rf_lo[rf_rd];
  wire [WB_W-1:0]     u_left     = u_started ? u_left_r : rf_words[rf_rd];
  wire                u_beat_end = {{(32-LK_W){1'b0}}, u_pos} == K - 1 || u_left == 1;
  wire                w_fire     = w_full && m_axi_wready;
  wire                b_fire     = m_axi_bvalid;
  wire                fill       = run && f_count != {FC_W{1'b0}} && rf_count != 0 && (!w_full || w_fire);
  wire [OUT_W-1:0]    flight_nx  = in_flight + {{(OUT_W-1){1'b0}}, a_fire} - {{(OUT_W-1){1'b0}}, b_fire};
  wire [31:0]         fill_nx    = fill_left - {31'd0, fill};
  wire                full_nx    = (fill && u_beat_end) || (w_full && !w_fire);
  wire                finishing  = run && fill_nx == 32'd0 && !full_nx && flight_nx == {OUT_W{1'b0}};

  genvar gi;
  generate
    for (gi = 0; gi < K; gi = gi + 1) begin : g_strb
      assign m_axi_wstrb[4*gi +: 4] = {4{w_strb[gi]}};
    end
  endgenerate

  assign cmd_ready     = phase == 3'd0;
  assign st_rd_en      = lr_en && is_st;
  assign st_rd_addr    = f_st;
  assign ob_rd_en      = lr_en && !is_st;
  assign ob_rd_bank    = f_bank;
  assign ob_rd_addr    = f_ob;
  assign m_axi_awaddr  = a_byte;
  assign m_axi_awlen   = a_lenm1[7:0];
  assign m_axi_awsize  = SIZE;
  assign m_axi_awburst = 2'b01;               // INCR
  assign m_axi_awcache = 4'b0011;             // normal, bufferable, non-allocating
  assign m_axi_awprot  = 3'b000;
  assign m_axi_awvalid = a_valid;
  assign m_axi_wdata   = w_data;
  assign m_axi_wlast   = w_last_r;
  assign m_axi_wvalid  = w_full;
  assign m_axi_bready  = 1'b1;

  // Bits the storer has no use for: OKAY vs EXOKAY, the upper bits of the burst length and the 16-bit counts.
  wire unused_bits = &{1'b0, m_axi_bresp[0], a_lenm1[10:8], st_rows[31:16], st_cols[31:16], sa_m[31:16]};

  always @(posedge clk) begin
    if (f_pending) fifo[f_wr] <= f_pending_st ? st_rd_data : ob_word;
    if (fill) w_data[u_pos*32 +: 32] <= fifo[f_rd];
    if (fill && u_beat_end) w_last_r <= u_left == 1;
  end

  always @(posedge clk) begin
    if (rst) begin
      phase     <= 3'd0;
      done      <= 1'b0;
      err       <= 1'b0;
      in_flight <= {OUT_W{1'b0}};
      rf_wr     <= {RP_W{1'b0}};
      rf_rd     <= {RP_W{1'b0}};
      rf_count  <= {(RP_W+1){1'b0}};
      u_started <= 1'b0;
      f_left    <= 32'd0;
      fill_left <= 32'd0;
      f_pending <= 1'b0;
      f_wr      <= {FP_W{1'b0}};
      f_rd      <= {FP_W{1'b0}};
      f_count   <= {FC_W{1'b0}};
      w_full    <= 1'b0;
      w_strb    <= {K{1'b0}};
    end else begin
      done <= finishing || (cmd_fire && !c_ok);
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
      if (b_fire && m_axi_bresp[1]) err <= 1'b1;
      in_flight <= flight_nx;
      if (a_fire) rf_wr <= rf_wr + 1'b1;
      rf_count <= rf_count + {{RP_W{1'b0}}, a_fire} - {{RP_W{1'b0}}, fill && u_left == 1};
      // the local reads
      f_pending    <= lr_en;
      f_pending_st <= is_st;
      if (f_pending) f_wr <= f_wr + 1'b1;
      f_count <= f_count + {{(FC_W-1){1'b0}}, f_pending} - {{(FC_W-1){1'b0}}, fill};
      if (rq_load) begin
        f_left    <= q_total;
        fill_left <= q_total;
        f_st      <= {ST_AW{1'b0}};
        f_bank    <= {OB_BW{1'b0}};
        f_n       <= 16'd0;
        f_row     <= sa_half ? OB_HALF[OB_AW-1:0] : {OB_AW{1'b0}};
        f_ob      <= sa_half ? OB_HALF[OB_AW-1:0] : {OB_AW{1'b0}};
      end else begin
        fill_left <= fill_nx;
        if (lr_en) begin
          f_left <= f_left - 32'd1;
          if (is_st) f_st <= f_st + 1'b1;
          else if ({16'd0, f_n} == sa_n - 32'd1) begin
            f_n    <= 16'd0;
            f_bank <= {OB_BW{1'b0}};
            f_row  <= f_row + 1'b1;
            f_ob   <= f_row + 1'b1;
          end else begin
            f_n <= f_n + 16'd1;
            if ({{(32-OB_BW){1'b0}}, f_bank} == COLS - 1) begin
              f_bank <= {OB_BW{1'b0}};
              f_ob   <= f_ob + sa_m[OB_AW-1:0];
            end else f_bank <= f_bank + 1'b1;
          end
        end
      end
      // the beat register
      w_full <= full_nx;
      if (fill) begin
        f_rd   <= f_rd + 1'b1;
        w_strb <= (w_full ? {K{1'b0}} : w_strb) | (ONE_WORD << u_pos);
        if (u_left == 1) begin
          u_started <= 1'b0;
          rf_rd     <= rf_rd + 1'b1;
        end else begin
          u_started <= 1'b1;
          u_pos_r   <= K == 1 ? {LK_W{1'b0}} : u_pos + 1'b1;
          u_left_r  <= u_left - 1'b1;
        end
      end else if (w_fire) w_strb <= {K{1'b0}};
    end
  end
endmodule

\`default_nettype wire
`;
  return { name: 'mem_storer', text, ports, params };
}
