// axi_dma.v: an AXI4 master that moves one command's words between DRAM and the accelerator's local buffer
// ports (rtl/axi-model.ts has its sizes and the cycle model the tests hold it to).
import { AxiDmaParams, checkDmaParams } from '../axi-model.js';
import { axiPorts } from './axi-ports.js';
import { Port, Provenance, VerilogModule, VerilogParam, header, moduleHead } from '../verilog.js';

export function axiDmaParamList(a: AxiDmaParams): VerilogParam[] {
  return [
    { name: 'DATA_W', value: a.dataBits, comment: 'AXI data width; one local word per beat' },
    { name: 'ADDR_W', value: a.addrBits, comment: 'AXI byte address' },
    { name: 'LEN_W', value: a.lenBits, comment: 'command length in words (>= 14: the burst arithmetic runs at this width)' },
    { name: 'SEL_W', value: a.selBits, comment: 'destination/source select (buffer and bank)' },
    { name: 'LADDR_W', value: a.localAddrBits, comment: 'local word address' },
    { name: 'MAX_OUT', value: a.maxOutstanding, comment: 'bursts requested and not yet finished, at most' },
    { name: 'FIFO_D', value: a.fifoDepth, comment: 'store prefetch FIFO words (power of two)' },
  ];
}

export function axiDmaPorts(a: AxiDmaParams): Port[] {
  const d = a.dataBits;
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    { name: 'cmd_valid', dir: 'input', width: 1, comment: 'command handshake: accepted in a cycle with cmd_ready high' },
    { name: 'cmd_ready', dir: 'output', width: 1 },
    { name: 'cmd_write', dir: 'input', width: 1, comment: '1: local -> DRAM (store), 0: DRAM -> local (load)' },
    { name: 'cmd_addr', dir: 'input', width: a.addrBits, widthExpr: 'ADDR_W', comment: 'DRAM byte address (low bits below a beat ignored)' },
    { name: 'cmd_len', dir: 'input', width: a.lenBits, widthExpr: 'LEN_W', comment: 'words; 0 completes at once' },
    { name: 'cmd_sel', dir: 'input', width: a.selBits, widthExpr: 'SEL_W' },
    { name: 'cmd_local', dir: 'input', width: a.localAddrBits, widthExpr: 'LADDR_W', comment: 'local address of the first word' },
    { name: 'done', dir: 'output', width: 1, reg: true, comment: 'one-cycle pulse: every word moved (store: every response back)' },
    { name: 'err', dir: 'output', width: 1, reg: true, comment: 'a SLVERR/DECERR response since the last command was accepted' },
    { name: 'lw_en', dir: 'output', width: 1, reg: true, comment: 'load: local write of one word' },
    { name: 'lw_sel', dir: 'output', width: a.selBits, widthExpr: 'SEL_W', reg: true },
    { name: 'lw_addr', dir: 'output', width: a.localAddrBits, widthExpr: 'LADDR_W', reg: true },
    { name: 'lw_data', dir: 'output', width: d, widthExpr: 'DATA_W', reg: true },
    { name: 'lr_en', dir: 'output', width: 1, comment: 'store: local read, data on lr_data the next cycle' },
    { name: 'lr_sel', dir: 'output', width: a.selBits, widthExpr: 'SEL_W' },
    { name: 'lr_addr', dir: 'output', width: a.localAddrBits, widthExpr: 'LADDR_W' },
    { name: 'lr_data', dir: 'input', width: d, widthExpr: 'DATA_W' },
    ...axiPorts('master', a.addrBits, a.dataBits),
  ];
}

export function axiDmaModule(a: AxiDmaParams, prov: Provenance): VerilogModule {
  checkDmaParams(a);
  const params = axiDmaParamList(a);
  const ports = axiDmaPorts(a);
  const text = header('axi_dma', [
    'AXI4 master DMA: one command at a time moves cmd_len words between DRAM at cmd_addr and the local',
    'buffer port selected by cmd_sel, starting at local address cmd_local. A load requests INCR bursts on AR',
    'and writes each R beat to the local write port a cycle later; a store reads the local port ahead into a',
    'small FIFO and sends W beats behind its AW requests. Bursts are at most 256 beats and end at every 4 KiB',
    'boundary; up to MAX_OUT bursts are in flight so the memory latency is paid once per command, not per burst.',
    '`done` pulses the cycle after the last R beat (load) or the last B response (store); the next command is',
    'accepted in that cycle.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('axi_dma', params, ports) + `
  localparam BYTES     = DATA_W / 8;
  localparam SZ        = $clog2(BYTES);          // AxSIZE: every beat moves the whole bus
  localparam PG_W      = 12 - SZ;                // beat index inside a 4 KiB page
  localparam OUT_W     = $clog2(MAX_OUT + 1);
  localparam FP_W      = $clog2(FIFO_D);
  localparam FC_W      = $clog2(FIFO_D + 1);
  localparam [LEN_W-1:0] PAGE_BEATS = 1 << PG_W;
  localparam [LEN_W-1:0] BURST_MAX  = 256;      // AXI4 INCR limit
  localparam [OUT_W-1:0] OUT_MAX    = MAX_OUT;
  localparam [FC_W:0]    FIFO_ROOM  = FIFO_D;
  localparam [2:0]       SIZE       = SZ[2:0];

  // Beats of the burst that starts at page beat \`beat\` with \`left\` words to go: the AXI4 limit, the rest of
  // the 4 KiB page (no burst may cross one) or what is left, whichever is least.
  function [LEN_W-1:0] burst_beats(input [PG_W-1:0] beat, input [LEN_W-1:0] left);
    reg [LEN_W-1:0] room;
    begin
      room = PAGE_BEATS - {{(LEN_W-PG_W){1'b0}}, beat};
      if (room > BURST_MAX) room = BURST_MAX;
      burst_beats = left < room ? left : room;
    end
  endfunction

  reg                busy;
  reg                dir;         // the running command: 1 store, 0 load
  reg  [SEL_W-1:0]   sel;
  // request side: the next burst to ask for
  reg  [ADDR_W-1:0]  a_addr;
  reg  [LEN_W-1:0]   a_left;      // words not yet requested
  reg  [OUT_W-1:0]   in_flight;   // bursts requested, not finished (load: rlast seen, store: B seen)
  // data side
  reg  [LEN_W-1:0]   d_left;      // words not yet through R or W
  reg  [LADDR_W-1:0] d_local;     // load: next local write address
  // store: local reads run ahead of W into the FIFO
  reg  [LEN_W-1:0]   f_left;      // words not yet read from the local port
  reg  [LADDR_W-1:0] f_local;
  reg                f_pending;   // a local read was issued last cycle: its word is on lr_data now
  reg  [DATA_W-1:0]  fifo [0:FIFO_D-1];
  reg  [FP_W-1:0]    f_wr, f_rd;
  reg  [FC_W-1:0]    f_count;
  // store: W bursts follow the AW requests with their own copy of the burst split
  reg  [PG_W-1:0]    w_beat;      // page beat of the next W beat
  reg  [LEN_W-1:0]   w_burst_left; // beats left in the W burst under way (0: between bursts)
  reg  [OUT_W-1:0]   aw_ahead;    // AW requests whose W burst has not started

  wire               a_can  = busy && a_left != 0 && in_flight != OUT_MAX;
  wire [LEN_W-1:0]   a_beats = burst_beats(a_addr[11:SZ], a_left);
  wire [LEN_W-1:0]   a_lenm1 = a_beats - 1'b1;
  wire               ar_fire = m_axi_arvalid && m_axi_arready;
  wire               aw_fire = m_axi_awvalid && m_axi_awready;
  wire               a_fire  = ar_fire || aw_fire;

  wire               r_fire  = busy && !dir && m_axi_rvalid;
  wire               r_done  = r_fire && m_axi_rlast;
  wire [LEN_W-1:0]   w_beats = w_burst_left != 0 ? w_burst_left : burst_beats(w_beat, d_left);
  wire               w_fire  = m_axi_wvalid && m_axi_wready;
  wire               w_first = w_fire && w_burst_left == 0;
  wire               b_fire  = busy && dir && m_axi_bvalid;
  wire               f_push  = f_pending;

  // Next values of the counters that decide completion, so \`done\` follows the last handshake by one cycle.
  wire [OUT_W-1:0]   flight_nx = in_flight + {{(OUT_W-1){1'b0}}, a_fire} - {{(OUT_W-1){1'b0}}, r_done} - {{(OUT_W-1){1'b0}}, b_fire};
  wire [LEN_W-1:0]   a_left_nx = a_fire ? a_left - a_beats : a_left;
  wire [LEN_W-1:0]   d_left_nx = d_left - {{(LEN_W-1){1'b0}}, r_fire || w_fire};
  wire               finishing = busy && a_left_nx == 0 && d_left_nx == 0 && flight_nx == 0;

  assign cmd_ready     = !busy;

  // Bits the engine has no use for: the byte offset inside a beat, OKAY vs EXOKAY, burst lengths above 256.
  wire unused_bits = &{1'b0, cmd_addr[SZ-1:0], m_axi_rresp[0], m_axi_bresp[0], a_lenm1[LEN_W-1:8]};

  assign m_axi_araddr  = a_addr;
  assign m_axi_arlen   = a_lenm1[7:0];
  assign m_axi_arsize  = SIZE;
  assign m_axi_arburst = 2'b01;                  // INCR
  assign m_axi_arcache = 4'b0011;                // normal, bufferable, non-allocating
  assign m_axi_arprot  = 3'b000;
  assign m_axi_arvalid = a_can && !dir;
  assign m_axi_rready  = 1'b1;                   // the local write port never stalls

  assign m_axi_awaddr  = a_addr;
  assign m_axi_awlen   = a_lenm1[7:0];
  assign m_axi_awsize  = SIZE;
  assign m_axi_awburst = 2'b01;
  assign m_axi_awcache = 4'b0011;
  assign m_axi_awprot  = 3'b000;
  assign m_axi_awvalid = a_can && dir;
  // A W burst may start only once its AW is accepted, which every slave handles.
  assign m_axi_wvalid  = busy && dir && f_count != 0 && (w_burst_left != 0 || aw_ahead != 0);
  assign m_axi_wdata   = fifo[f_rd];
  assign m_axi_wstrb   = {BYTES{1'b1}};
  assign m_axi_wlast   = w_beats == 1;
  assign m_axi_bready  = 1'b1;

  // Fetch while the FIFO has room for the word in flight too: it then never overflows, and a FIFO of two or
  // more words keeps one W beat per cycle going across the read port's one-cycle latency.
  assign lr_en   = busy && dir && f_left != 0 && ({1'b0, f_count} + {{FC_W{1'b0}}, f_pending}) < FIFO_ROOM;
  assign lr_sel  = sel;
  assign lr_addr = f_local;

  always @(posedge clk) begin
    if (r_fire) lw_data <= m_axi_rdata;
    lw_sel  <= sel;
    lw_addr <= d_local;
    if (f_push) fifo[f_wr] <= lr_data;
  end

  always @(posedge clk) begin
    if (rst) begin
      busy         <= 1'b0;
      done         <= 1'b0;
      err          <= 1'b0;
      lw_en        <= 1'b0;
      a_left       <= {LEN_W{1'b0}};
      in_flight    <= {OUT_W{1'b0}};
      d_left       <= {LEN_W{1'b0}};
      f_left       <= {LEN_W{1'b0}};
      f_pending    <= 1'b0;
      f_wr         <= {FP_W{1'b0}};
      f_rd         <= {FP_W{1'b0}};
      f_count      <= {FC_W{1'b0}};
      w_burst_left <= {LEN_W{1'b0}};
      aw_ahead     <= {OUT_W{1'b0}};
    end else begin
      done  <= finishing;
      lw_en <= r_fire;
      if (cmd_valid && !busy) begin
        busy      <= 1'b1;
        dir       <= cmd_write;
        sel       <= cmd_sel;
        err       <= 1'b0;
        a_addr    <= {cmd_addr[ADDR_W-1:SZ], {SZ{1'b0}}};
        a_left    <= cmd_len;
        d_left    <= cmd_len;
        d_local   <= cmd_local;
        f_left    <= cmd_write ? cmd_len : {LEN_W{1'b0}};
        f_local   <= cmd_local;
        w_beat    <= cmd_addr[11:SZ];
      end else begin
        if (finishing) busy <= 1'b0;
        if ((r_fire && m_axi_rresp[1]) || (b_fire && m_axi_bresp[1])) err <= 1'b1;
        if (a_fire) a_addr <= a_addr + {{(ADDR_W-9-SZ){1'b0}}, a_beats[8:0], {SZ{1'b0}}};
        a_left    <= a_left_nx;
        in_flight <= flight_nx;
        d_left    <= d_left_nx;
        if (r_fire) d_local <= d_local + 1'b1;
        if (w_fire) begin
          w_burst_left <= w_beats - 1'b1;
          w_beat       <= w_beat + 1'b1;
          f_rd         <= f_rd + 1'b1;
        end
        aw_ahead <= aw_ahead + {{(OUT_W-1){1'b0}}, aw_fire} - {{(OUT_W-1){1'b0}}, w_first};
        f_count  <= f_count + {{(FC_W-1){1'b0}}, f_push} - {{(FC_W-1){1'b0}}, w_fire};
        if (f_push) f_wr <= f_wr + 1'b1;
        f_pending <= lr_en;
        if (lr_en) begin
          f_left  <= f_left - 1'b1;
          f_local <= f_local + 1'b1;
        end
      end
    end
  end
endmodule

\`default_nettype wire
`;
  return { name: 'axi_dma', text, ports, params };
}
