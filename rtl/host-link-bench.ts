// The host link's simulation bench: host_link_bench.v puts host_link in front of a local memory with a
// registered read (a buffer bank) and a stand-in engine that, on start, stays busy for start_arg[7:0]
// cycles and then pulses done. Its only pins are the UART's, so hostLinkSimulator() is a LineSimulator
// for SimUartLink (rtl/uart-model.ts): the host code of rtl/host-link.ts drives it unchanged.
import { HostLinkParams } from './host-link.js';
import { hostLinkModule } from './modules/host-link.js';
import { uartRxModule, uartTxModule } from './modules/uart.js';
import { SimTop, cycleInputs, runIcarus, runVerilator, valueOf } from './sim.js';
import { LineSimulator } from './uart-model.js';
import { Port, Provenance, VerilogModule, header, moduleHead } from './verilog.js';

export function hostLinkBenchModule(h: HostLinkParams, prov: Provenance): VerilogModule {
  const ports: Port[] = [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1 },
    { name: 'rxd', dir: 'input', width: 1 },
    { name: 'txd', dir: 'output', width: 1 },
    { name: 'busy', dir: 'output', width: 1 },
  ];
  const text = header('host_link_bench', [
    'SIMULATION ONLY: host_link with a local memory and a stand-in engine, driven through its UART pins.',
  ], prov) + moduleHead('host_link_bench', [], ports) + `
  localparam WORD_W = ${h.wordBits};
  localparam MEM_AW = ${h.memAddrBits};

  wire              mem_we, mem_re, start;
  wire [MEM_AW-1:0] mem_addr;
  wire [WORD_W-1:0] mem_wdata;
  wire [31:0]       start_arg;
  reg  [WORD_W-1:0] mem [0:(1 << MEM_AW) - 1];
  reg  [WORD_W-1:0] mem_q;
  reg  [2:0]        rd_pipe;  // the word is offered three cycles after mem_re: host_link waits for mem_rvalid
  reg  [7:0]        left;
  reg               done;

  host_link #(.CLKS_PER_BIT(${h.clksPerBit}), .WORD_W(WORD_W), .MEM_AW(MEM_AW), .TIMEOUT(${h.timeoutCycles}), .TO_W($clog2(${h.timeoutCycles + 1}))) u_link (
    .clk(clk), .rst(rst), .uart_rxd(rxd), .uart_txd(txd),
    .mem_we(mem_we), .mem_re(mem_re), .mem_addr(mem_addr), .mem_wdata(mem_wdata), .mem_rdata(mem_q), .mem_rvalid(rd_pipe[2]),
    .start(start), .start_arg(start_arg), .busy(busy), .done(done)
  );

  assign busy = left != 0;

  always @(posedge clk) begin
    if (mem_we) mem[mem_addr] <= mem_wdata;
    if (mem_re) mem_q <= mem[mem_addr];
    rd_pipe <= rst ? 3'd0 : {rd_pipe[1:0], mem_re};
    if (rst) begin
      left <= 8'd0;
      done <= 1'b0;
    end else begin
      done <= left == 8'd1;
      if (start) left <= start_arg[7:0];
      else if (left != 0) left <= left - 1'b1;
    end
  end
endmodule
`;
  return { name: 'host_link_bench', text, ports, params: [] };
}

export function hostLinkSources(h: HostLinkParams, prov: Provenance): Map<string, string> {
  const mods = [uartRxModule(h.clksPerBit, prov), uartTxModule(h.clksPerBit, prov), hostLinkModule(h, prov), hostLinkBenchModule(h, prov)];
  return new Map(mods.map((m) => [`${m.name}.v`, m.text]));
}

/** The bench as a LineSimulator: reset in cycles 0 and 1 (the line idles high), rxd per cycle, txd per cycle. */
export function hostLinkSimulator(sim: 'verilator' | 'icarus', h: HostLinkParams, prov: Provenance): LineSimulator {
  const sources = hostLinkSources(h, prov);
  const bench = hostLinkBenchModule(h, prov);
  const top: SimTop = { name: bench.name, ports: bench.ports, clock: 'clk' };
  return (rxd) => {
    const { cycles, at } = cycleInputs();
    rxd.forEach((v, k) => (at(k).rxd = BigInt(v)));
    const stim = cycles.map((c) => [c.rst ?? 0n, c.rxd ?? 1n]);
    const resp = sim === 'verilator' ? runVerilator(sources, top, stim) : runIcarus(sources, top, stim);
    return resp.map((row, k) => {
      const v = valueOf(row[0]);
      // before the first reset edge the line register is unknown under Icarus: the pin idles
      if (v === null && k < 2) return 1;
      if (v === null) throw new Error(`host_link_bench: txd is unknown (x/z) in cycle ${k}`);
      return Number(v);
    });
  };
}
