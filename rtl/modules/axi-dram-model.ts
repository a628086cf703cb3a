// axi_dram_model.v: the simulation stand-in for the board's DDR3 behind its AXI4 port, timed like
// simulateDma's memory (rtl/axi-model.ts). Simulation only: it is assembled with the simulator sources and
// never listed for synthesis.
import { DramTiming } from '../axi-model.js';
import { axiPorts } from './axi-ports.js';
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead } from '../verilog.js';

export interface DramModelParams extends DramTiming {
  dataBits: number;
  addrBits: number;
  /** Memory size in beats (a power of two); addresses wrap at it. */
  words: number;
}

export function axiDramModelPorts(m: DramModelParams): Port[] {
  const d = m.dataBits;
  const wa = clog2(m.words);
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1 },
    ...axiPorts('slave', m.addrBits, m.dataBits),
    { name: 'bd_we', dir: 'input', width: 1, comment: 'backdoor: the testbench loads and inspects the memory' },
    { name: 'bd_addr', dir: 'input', width: wa, widthExpr: 'WA_W', comment: 'beat index' },
    { name: 'bd_wdata', dir: 'input', width: d, widthExpr: 'DATA_W' },
    { name: 'bd_rdata', dir: 'output', width: d, widthExpr: 'DATA_W', comment: 'mem[bd_addr], combinational' },
  ];
}

/**
 * The DRAM model as u_dram on a master's AXI4 wires (m_axi_*, declared here with the model's unused back-door read),
 * for the simulation wrappers that put it behind the system or the board.
 */
export function dramModelInstance(m: DramModelParams): string {
  const axi = axiPorts('master', m.addrBits, m.dataBits);
  const slave = new Set(axiDramModelPorts(m).map((x) => x.name));
  const range = (n: number) => (n > 1 ? `[${n - 1}:0] ` : '');
  const pairs: Array<[string, string]> = [
    ['clk', 'clk'], ['rst', 'rst'],
    ...axi.filter((x) => slave.has(x.name.replace('m_axi_', 's_axi_'))).map((x): [string, string] => [x.name.replace('m_axi_', 's_axi_'), x.name]),
    ['bd_we', "1'b0"], ['bd_addr', `${clog2(m.words)}'d0`], ['bd_wdata', `${m.dataBits}'d0`], ['bd_rdata', 'bd_rdata'],
  ];
  const w = Math.max(...pairs.map(([n]) => n.length));
  return `  /* verilator lint_off UNUSEDSIGNAL */
${axi.map((x) => `  wire ${range(x.width)}${x.name};`).join('\n')}
  wire [${m.dataBits - 1}:0] bd_rdata;
  /* verilator lint_on UNUSEDSIGNAL */

  axi_dram_model #(
    .DATA_W(${m.dataBits}), .ADDR_W(${m.addrBits}), .WORDS(${m.words}), .WA_W(${clog2(m.words)}), .LATENCY(${m.latency}),
    .BW_BYTES(${m.bytesPerCycle}), .QDEPTH(${m.queueDepth})
  ) u_dram (
${pairs.map(([a, b], k) => `    .${a.padEnd(w)} (${b})${k < pairs.length - 1 ? ',' : ''}`).join('\n')}
  );
`;
}

export function axiDramModelModule(m: DramModelParams, prov: Provenance): VerilogModule {
  if (m.latency < 1) throw new Error('axi_dram_model: latency must be at least 1 cycle');
  if (m.bytesPerCycle < 1) throw new Error('axi_dram_model: bytesPerCycle must be at least 1');
  const params: VerilogParam[] = [
    { name: 'DATA_W', value: m.dataBits },
    { name: 'ADDR_W', value: m.addrBits },
    { name: 'WORDS', value: m.words, comment: 'memory size in beats (power of two; addresses wrap)' },
    { name: 'WA_W', value: clog2(m.words) },
    { name: 'LATENCY', value: m.latency, comment: 'cycles: accepted AR to first R beat at the earliest; last W beat to B' },
    { name: 'BW_BYTES', value: m.bytesPerCycle, comment: 'bytes per cycle, R and W together (rtl/axi-model.ts dramBytesPerCycle)' },
    { name: 'QDEPTH', value: m.queueDepth, comment: 'read and write address queue entries' },
  ];
  const ports = axiDramModelPorts(m);
  const text = header('axi_dram_model', [
    'SIMULATION MODEL ONLY, NOT SYNTHESIZABLE: a DRAM behind an AXI4 slave port for the DMA tests.',
    'INCR bursts of whole-bus beats (AxSIZE, AxBURST and the protection fields are not modelled). A read',
    'burst may start LATENCY cycles after its AR is accepted, bursts in order; a write burst\'s B comes',
    'LATENCY cycles after its last beat. Bandwidth: a credit of BW_BYTES bytes per cycle, capped at one beat',
    'plus BW_BYTES - 1, pays for every R or W beat (one a cycle, R first: a W beat waits only in a cycle an R',
    'beat moves, not while the master holds RREADY low); a W beat needs its AW first.',
  ], prov) + moduleHead('axi_dram_model', params, ports) + `
  localparam BYTES = DATA_W / 8;
  localparam SZ    = $clog2(BYTES);
  localparam CAP   = BYTES + BW_BYTES - 1;  // a beat waiting for credit never loses any to the cap

  reg [DATA_W-1:0] mem [0:WORDS-1];
  reg [63:0]       now;          // cycle count since reset
  integer          credit;

  reg [ADDR_W-1:0] rq_addr [0:QDEPTH-1];
  reg [7:0]        rq_len  [0:QDEPTH-1];
  reg [63:0]       rq_due  [0:QDEPTH-1];
  integer          rq_head, rq_count, r_beat;
  reg [ADDR_W-1:0] wq_addr [0:QDEPTH-1];
  reg [7:0]        wq_len  [0:QDEPTH-1];
  integer          wq_head, wq_count, w_beat;
  reg [63:0]       bq_due  [0:QDEPTH-1];
  integer          bq_head, bq_count, i;

  wire             can_beat = credit >= BYTES;
  wire [WA_W-1:0]  r_word   = rq_addr[rq_head][SZ +: WA_W] + r_beat[WA_W-1:0];
  wire [WA_W-1:0]  w_word   = wq_addr[wq_head][SZ +: WA_W] + w_beat[WA_W-1:0];
  wire             r_fire   = s_axi_rvalid && s_axi_rready;
  wire             w_fire   = s_axi_wvalid && s_axi_wready;

  assign s_axi_arready = rq_count < QDEPTH;
  assign s_axi_rvalid  = rq_count != 0 && now >= rq_due[rq_head] && can_beat;
  assign s_axi_rdata   = mem[r_word];
  assign s_axi_rlast   = rq_count != 0 && r_beat == rq_len[rq_head];
  assign s_axi_rresp   = 2'b00;
  assign s_axi_awready = wq_count < QDEPTH;
  assign s_axi_wready  = wq_count != 0 && can_beat && !r_fire;
  assign s_axi_bvalid  = bq_count != 0 && now >= bq_due[bq_head];
  assign s_axi_bresp   = 2'b00;
  assign bd_rdata      = mem[bd_addr];

  always @(posedge clk) begin
    if (rst) begin
      now <= 0;
      credit <= CAP;
      rq_head <= 0; rq_count <= 0; r_beat <= 0;
      wq_head <= 0; wq_count <= 0; w_beat <= 0;
      bq_head <= 0; bq_count <= 0;
    end else begin
      now <= now + 1;
      credit <= (credit - ((r_fire || w_fire) ? BYTES : 0) + BW_BYTES > CAP) ? CAP : credit - ((r_fire || w_fire) ? BYTES : 0) + BW_BYTES;
      if (r_fire) begin
        if (s_axi_rlast) begin
          rq_head <= (rq_head + 1) % QDEPTH;
          r_beat <= 0;
        end else r_beat <= r_beat + 1;
      end
      if (w_fire) begin
        for (i = 0; i < BYTES; i = i + 1) if (s_axi_wstrb[i]) mem[w_word][i*8 +: 8] <= s_axi_wdata[i*8 +: 8];
        if (w_beat == wq_len[wq_head]) begin
          wq_head <= (wq_head + 1) % QDEPTH;
          w_beat <= 0;
          bq_due[(bq_head + bq_count) % QDEPTH] <= now + LATENCY;
        end else w_beat <= w_beat + 1;
      end
      if (s_axi_arvalid && s_axi_arready) begin
        rq_addr[(rq_head + rq_count) % QDEPTH] <= s_axi_araddr;
        rq_len[(rq_head + rq_count) % QDEPTH]  <= s_axi_arlen;
        rq_due[(rq_head + rq_count) % QDEPTH]  <= now + LATENCY;
      end
      if (s_axi_awvalid && s_axi_awready) begin
        wq_addr[(wq_head + wq_count) % QDEPTH] <= s_axi_awaddr;
        wq_len[(wq_head + wq_count) % QDEPTH]  <= s_axi_awlen;
      end
      rq_count <= rq_count + ((s_axi_arvalid && s_axi_arready) ? 1 : 0) - ((r_fire && s_axi_rlast) ? 1 : 0);
      wq_count <= wq_count + ((s_axi_awvalid && s_axi_awready) ? 1 : 0) - ((w_fire && w_beat == wq_len[wq_head]) ? 1 : 0);
      bq_count <= bq_count + ((w_fire && w_beat == wq_len[wq_head]) ? 1 : 0) - ((s_axi_bvalid && s_axi_bready) ? 1 : 0);
      if (s_axi_bvalid && s_axi_bready) bq_head <= (bq_head + 1) % QDEPTH;
      if (bd_we) mem[bd_addr] <= bd_wdata;
    end
  end
endmodule
`;
  return { name: 'axi_dram_model', text, ports, params };
}
