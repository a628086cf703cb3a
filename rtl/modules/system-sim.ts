// bitfusion_system_sim.v: SIMULATION ONLY: the system with the DRAM model on its AXI4 port, so a simulator runs
// a whole network program with the config's memory latency and bandwidth; the harness loads and reads the
// memory and the instruction memory directly.
import { axiPorts } from './axi-ports.js';
import type { DramModelParams } from './axi-dram-model.js';
import { axiDramModelPorts } from './axi-dram-model.js';
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, clog2, header, moduleHead } from '../verilog.js';
import { type SystemParams, systemPorts } from './system.js';

export function systemSimModule(p: RtlParams, s: SystemParams, dram: DramModelParams, prov: Provenance): VerilogModule {
  const sys = systemPorts(p, s);
  const ports: Port[] = sys.filter((x) => !x.name.startsWith('m_axi_')).map((x) => ({ ...x, reg: false, widthExpr: undefined }));
  const axi = axiPorts('master', s.engines.addrBits, s.engines.dataBits);
  const slave = new Set(axiDramModelPorts(dram).map((x) => x.name));
  const w = Math.max(...sys.map((x) => x.name.length), ...[...slave].map((x) => x.length));
  const conn = (pairs: Array<[string, string]>) => pairs.map(([a, b], i) => `    .${a.padEnd(w)} (${b})${i < pairs.length - 1 ? ',' : ''}`).join('\n');
  const range = (n: number) => (n > 1 ? `[${n - 1}:0] ` : '');
  const text = header('bitfusion_system_sim', [
    'SIMULATION ONLY: bitfusion_system on axi_dram_model (rtl/modules/axi-dram-model.ts): the config\'s memory',
    'latency and bytes per cycle behind the AXI4 port. The memory (u_dram.mem) and the instruction memory',
    '(u_sys.u_seq.u_imem.mem) are loaded and read by the harness.',
  ], prov) + moduleHead('bitfusion_system_sim', [], ports) + `
  /* verilator lint_off UNUSEDSIGNAL */
${axi.map((x) => `  wire ${range(x.width)}${x.name};`).join('\n')}
  wire [${dram.dataBits - 1}:0] bd_rdata;
  /* verilator lint_on UNUSEDSIGNAL */

  bitfusion_system u_sys (
${conn(sys.map((x) => [x.name, x.name]))}
  );

  axi_dram_model #(
    .DATA_W(${dram.dataBits}), .ADDR_W(${dram.addrBits}), .WORDS(${dram.words}), .WA_W(${clog2(dram.words)}), .LATENCY(${dram.latency}),
    .BW_BYTES(${dram.bytesPerCycle}), .QDEPTH(${dram.queueDepth})
  ) u_dram (
${conn([['clk', 'clk'], ['rst', 'rst'], ...axi.filter((x) => slave.has(x.name.replace('m_axi_', 's_axi_'))).map((x): [string, string] => [x.name.replace('m_axi_', 's_axi_'), x.name]),
    ['bd_we', "1'b0"], ['bd_addr', `${clog2(dram.words)}'d0`], ['bd_wdata', `${dram.dataBits}'d0`], ['bd_rdata', 'bd_rdata']])}
  );

endmodule
`;
  return { name: 'bitfusion_system_sim', text, ports, params: [] };
}
