// axi_word_port.v: the host's 32-bit word reads and writes as single-beat AXI4 transactions, for a board whose
// memory is behind an AXI4 slave (a DRAM controller) rather than axi_bram's host port.
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead } from '../verilog.js';
import { axiPorts } from './axi-ports.js';

export interface AxiWordPortParams {
  dataBits: number;
  addrBits: number;
  /** Host word address bits. */
  wordAddrBits: number;
}

export function axiWordPortParamList(m: AxiWordPortParams): VerilogParam[] {
  return [
    { name: 'DATA_W', value: m.dataBits, comment: 'beat width: 32, 64 or 128' },
    { name: 'ADDR_W', value: m.addrBits, comment: 'AXI byte address' },
    { name: 'HA_W', value: m.wordAddrBits, comment: 'host word address' },
  ];
}

export function axiWordPortPorts(m: AxiWordPortParams): Port[] {
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    { name: 'h_we', dir: 'input', width: 1, comment: 'host: write h_wdata at h_addr (taken when idle)' },
    { name: 'h_re', dir: 'input', width: 1, comment: 'host: read h_addr (taken when idle), answered on h_rvalid' },
    { name: 'h_addr', dir: 'input', width: m.wordAddrBits, widthExpr: 'HA_W', comment: 'word address' },
    { name: 'h_wdata', dir: 'input', width: 32 },
    { name: 'h_rdata', dir: 'output', width: 32, reg: true },
    { name: 'h_rvalid', dir: 'output', width: 1, reg: true, comment: 'one-cycle pulse: h_rdata holds the word read' },
    { name: 'busy', dir: 'output', width: 1, comment: 'a transaction is in flight' },
    { name: 'lost', dir: 'output', width: 1, reg: true, comment: 'sticky: a request came while busy and was dropped' },
    ...axiPorts('master', m.addrBits, m.dataBits),
  ];
}

export function axiWordPortModule(m: AxiWordPortParams, prov: Provenance): VerilogModule {
  if (![32, 64, 128].includes(m.dataBits)) throw new Error(`axi_word_port: DATA_W ${m.dataBits} must be 32, 64 or 128`);
  if (m.wordAddrBits + 2 > m.addrBits) throw new Error(`axi_word_port: ${m.wordAddrBits} word address bits do not fit a ${m.addrBits}-bit byte address`);
  const params = axiWordPortParamList(m);
  const ports = axiWordPortPorts(m);
  const lk = clog2(m.dataBits / 32);
  const text = header('axi_word_port', [
    'One 32-bit word at a time as a single-beat AXI4 transaction (len 0, the full beat size, INCR): a write is',
    'the word in its lane of the beat with that lane\'s four byte strobes; a read returns that lane. One',
    'transaction at a time: the host link is far slower (a word is four UART bytes), so a request while one is',
    'in flight means a fault upstream; it is dropped and flagged on lost.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('axi_word_port', params, ports) + `
  localparam BYTES = DATA_W / 8;
  localparam SZ    = $clog2(BYTES);
  localparam K     = DATA_W / 32;                   // words a beat
  localparam LK    = ${Math.max(1, lk)};                          // lane index bits

  reg              aw_pend, w_pend, b_wait, ar_pend, r_wait;
  reg [ADDR_W-1:0] addr_q;                          // the beat's byte address
  reg [LK-1:0]     lane_q;
  reg [31:0]       wdata_q;

  assign busy = aw_pend || w_pend || b_wait || ar_pend || r_wait;

  wire [ADDR_W-1:0] byte_addr = {{(ADDR_W-HA_W-2){1'b0}}, h_addr, 2'b00};
  wire [LK-1:0]     lane;
  generate
    if (K > 1) begin : g_lanes
      assign lane = h_addr[LK-1:0];
      assign m_axi_wdata = {K{wdata_q}};
      assign m_axi_wstrb = {{(BYTES-4){1'b0}}, 4'hf} << (lane_q * 4);
    end else begin : g_word
      assign lane = 1'b0;
      assign m_axi_wdata = wdata_q;
      assign m_axi_wstrb = 4'hf;
    end
  endgenerate

  assign m_axi_araddr  = addr_q;
  assign m_axi_arlen   = 8'd0;
  assign m_axi_arsize  = SZ[2:0];
  assign m_axi_arburst = 2'b01;
  assign m_axi_arcache = 4'b0011;
  assign m_axi_arprot  = 3'b000;
  assign m_axi_arvalid = ar_pend;
  assign m_axi_rready  = 1'b1;
  assign m_axi_awaddr  = addr_q;
  assign m_axi_awlen   = 8'd0;
  assign m_axi_awsize  = SZ[2:0];
  assign m_axi_awburst = 2'b01;
  assign m_axi_awcache = 4'b0011;
  assign m_axi_awprot  = 3'b000;
  assign m_axi_awvalid = aw_pend;
  assign m_axi_wlast   = 1'b1;
  assign m_axi_wvalid  = w_pend;
  assign m_axi_bready  = 1'b1;

  // The responses' codes and a read beat's other lanes are not the host's; the lane bits of the byte address are in lane.
  wire unused_bits = &{1'b0, m_axi_rresp, m_axi_rlast, m_axi_bresp, m_axi_rdata, byte_addr[SZ-1:0]};

  always @(posedge clk) begin
    h_rvalid <= 1'b0;
    if (rst) begin
      aw_pend <= 1'b0;
      w_pend  <= 1'b0;
      b_wait  <= 1'b0;
      ar_pend <= 1'b0;
      r_wait  <= 1'b0;
      lost    <= 1'b0;
    end else begin
      if ((h_we || h_re) && busy) begin
        lost <= 1'b1;
      end else if (h_we) begin
        addr_q  <= {byte_addr[ADDR_W-1:SZ], {SZ{1'b0}}};
        lane_q  <= lane;
        wdata_q <= h_wdata;
        aw_pend <= 1'b1;
        w_pend  <= 1'b1;
        b_wait  <= 1'b1;
      end else if (h_re) begin
        addr_q  <= {byte_addr[ADDR_W-1:SZ], {SZ{1'b0}}};
        lane_q  <= lane;
        ar_pend <= 1'b1;
        r_wait  <= 1'b1;
      end
      if (aw_pend && m_axi_awready) aw_pend <= 1'b0;
      if (w_pend && m_axi_wready) w_pend <= 1'b0;
      if (b_wait && m_axi_bvalid && !aw_pend && !w_pend) b_wait <= 1'b0;
      if (ar_pend && m_axi_arready) ar_pend <= 1'b0;
      if (r_wait && m_axi_rvalid && !ar_pend) begin
        r_wait   <= 1'b0;
        h_rvalid <= 1'b1;
        h_rdata  <= m_axi_rdata[lane_q*32 +: 32];
      end
    end
  end

endmodule

\`default_nettype wire
`;
  return { name: 'axi_word_port', text, ports, params };
}
