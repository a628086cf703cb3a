// axi_bram.v: the board's memory when the model fits on chip: block RAM behind an AXI4 slave port (the
// accelerator's memory engines), with a second word port for the host link. Synthesizable; the simulations use
// axi_dram_model instead, which adds the DRAM's latency and bandwidth.
import { axiPorts } from './axi-ports.js';
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead } from '../verilog.js';

export interface AxiBramParams {
  dataBits: number;
  addrBits: number;
  /** Memory size in beats (a power of two). */
  beats: number;
}

export function axiBramParamList(m: AxiBramParams): VerilogParam[] {
  return [
    { name: 'DATA_W', value: m.dataBits, comment: 'beat width: 32, 64 or 128' },
    { name: 'ADDR_W', value: m.addrBits, comment: 'AXI byte address' },
    { name: 'BEATS', value: m.beats, comment: 'memory size in beats (power of two); addresses wrap' },
    { name: 'BA_W', value: clog2(m.beats) },
    { name: 'HA_W', value: clog2(m.beats * (m.dataBits / 32)), comment: 'host word address' },
  ];
}

export function axiBramPorts(m: AxiBramParams): Port[] {
  const ha = clog2(m.beats * (m.dataBits / 32));
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    ...axiPorts('slave', m.addrBits, m.dataBits),
    { name: 'h_we', dir: 'input', width: 1, comment: 'host: 32-bit word write (wins over a W beat that cycle)' },
    { name: 'h_re', dir: 'input', width: 1, comment: 'host: 32-bit word read, data on h_rdata the next cycle (wins over an R read)' },
    { name: 'h_addr', dir: 'input', width: ha, widthExpr: 'HA_W', comment: 'word address' },
    { name: 'h_wdata', dir: 'input', width: 32 },
    { name: 'h_rdata', dir: 'output', width: 32 },
  ];
}

export function axiBramModule(m: AxiBramParams, prov: Provenance): VerilogModule {
  if (![32, 64, 128].includes(m.dataBits)) throw new Error(`axi_bram: DATA_W ${m.dataBits} must be 32, 64 or 128`);
  if (m.beats < 2 || 2 ** clog2(m.beats) !== m.beats) throw new Error(`axi_bram: ${m.beats} beats must be a power of two`);
  const params = axiBramParamList(m);
  const ports = axiBramPorts(m);
  const text = header('axi_bram', [
    'Block RAM behind an AXI4 slave: one INCR read burst and one write burst at a time, a beat a cycle each way',
    '(reads: the beat\'s address the cycle before it is offered, held while rready is low; writes: byte strobes).',
    'A true dual-port RAM: port A reads for the R channel, port B writes W beats or serves the host\'s 32-bit',
    'word port, which wins (a W beat waits that cycle).',
  ], prov) + '`default_nettype none\n\n' + moduleHead('axi_bram', params, ports) + `
  localparam BYTES = DATA_W / 8;
  localparam SZ    = $clog2(BYTES);
  localparam K     = DATA_W / 32;          // host words a beat
  localparam LK    = (K > 1) ? $clog2(K) : 1;

  reg  [DATA_W-1:0] mem [0:BEATS-1];
  reg  [DATA_W-1:0] rdata_q;

  // ---- read burst ----
  reg              rd_active;
  reg  [BA_W-1:0]  rd_beat;     // next beat to read
  reg  [7:0]       rd_left;     // beats still to read, less one
  reg              rd_last_q;   // the beat in rdata_q is the last
  reg              rvalid_q;
  wire             r_issue = rd_active && (!rvalid_q || s_axi_rready);

  // ---- write burst ----
  reg              wr_active;
  reg  [BA_W-1:0]  wr_beat;
  reg              bvalid_q;
  wire             h_port = h_we || h_re;
  wire             w_take = wr_active && s_axi_wvalid && !h_port;

  assign s_axi_arready = !rd_active && !rvalid_q;
  assign s_axi_rvalid  = rvalid_q;
  assign s_axi_rdata   = rdata_q;
  assign s_axi_rlast   = rd_last_q;
  assign s_axi_rresp   = 2'b00;
  assign s_axi_awready = !wr_active && !bvalid_q;
  assign s_axi_wready  = wr_active && !h_port;
  assign s_axi_bvalid  = bvalid_q;
  assign s_axi_bresp   = 2'b00;

  // ---- the RAM: port A reads R beats, port B writes W beats or serves the host ----
  wire [BA_W-1:0]   h_beat = h_addr[HA_W-1 -: BA_W];
  wire [DATA_W-1:0] wdata  = h_we ? {K{h_wdata}} : s_axi_wdata;
  wire [BA_W-1:0]   baddr  = h_port ? h_beat : wr_beat;
  wire [BYTES-1:0]  wstrb;
  reg  [DATA_W-1:0] h_q;
  reg  [LK-1:0]     h_lane_q;
  integer b;

  generate
    if (K > 1) begin : g_lanes
      assign wstrb = h_we ? ({{(BYTES-4){1'b0}}, 4'hf} << (h_addr[LK-1:0] * 4)) : (w_take ? s_axi_wstrb : {BYTES{1'b0}});
      assign h_rdata = h_q[h_lane_q*32 +: 32];
    end else begin : g_word
      assign wstrb = h_we ? {BYTES{1'b1}} : (w_take ? s_axi_wstrb : {BYTES{1'b0}});
      assign h_rdata = h_q;
    end
  endgenerate

  always @(posedge clk) begin
    if (r_issue) rdata_q <= mem[rd_beat];
    for (b = 0; b < BYTES; b = b + 1) if (wstrb[b]) mem[baddr][b*8 +: 8] <= wdata[b*8 +: 8];
    if (h_re) h_q <= mem[baddr];  // baddr is h_beat then: one address for port B, so the RAM is not duplicated for a third port
    h_lane_q <= h_addr[LK-1:0];
  end

  // The RAM decodes the beat bits of an address (it wraps above them) and ends a write burst on wlast, not awlen.
  wire unused_bits = &{1'b0, s_axi_araddr, s_axi_awaddr, s_axi_awlen};

  always @(posedge clk) begin
    if (rst) begin
      rd_active <= 1'b0;
      rvalid_q  <= 1'b0;
      rd_last_q <= 1'b0;
      wr_active <= 1'b0;
      bvalid_q  <= 1'b0;
    end else begin
      // reads
      if (s_axi_arvalid && s_axi_arready) begin
        rd_active <= 1'b1;
        rd_beat   <= s_axi_araddr[SZ +: BA_W];
        rd_left   <= s_axi_arlen;
      end
      if (r_issue) begin
        rvalid_q  <= 1'b1;
        rd_last_q <= (rd_left == 8'd0);
        rd_beat   <= rd_beat + 1'b1;
        rd_left   <= rd_left - 8'd1;
        if (rd_left == 8'd0) rd_active <= 1'b0;
      end else if (s_axi_rready) begin
        rvalid_q <= 1'b0;
      end
      // writes
      if (s_axi_awvalid && s_axi_awready) begin
        wr_active <= 1'b1;
        wr_beat   <= s_axi_awaddr[SZ +: BA_W];
      end
      if (w_take) begin
        wr_beat <= wr_beat + 1'b1;
        if (s_axi_wlast) begin
          wr_active <= 1'b0;
          bvalid_q  <= 1'b1;
        end
      end
      if (bvalid_q && s_axi_bready) bvalid_q <= 1'b0;
    end
  end

endmodule

\`default_nettype wire
`;
  return { name: 'axi_bram', text, ports, params };
}
