// bitfusion_system_sim.v: SIMULATION ONLY: the system with the DRAM model on its AXI4 port, so a simulator runs
// a whole network program with the config's memory latency and bandwidth; the harness loads and reads the
// memory and the instruction memory directly.
import { type DramModelParams, dramModelInstance } from './axi-dram-model.js';
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, header, moduleHead } from '../verilog.js';
import { type SystemParams, systemPorts } from './system.js';

export function systemSimModule(p: RtlParams, s: SystemParams, dram: DramModelParams, prov: Provenance): VerilogModule {
  const sys = systemPorts(p, s);
  const ports: Port[] = sys.filter((x) => !x.name.startsWith('m_axi_')).map((x) => ({ ...x, reg: false, widthExpr: undefined }));
  const w = Math.max(...sys.map((x) => x.name.length));
  const conn = (pairs: Array<[string, string]>) => pairs.map(([a, b], i) => `    .${a.padEnd(w)} (${b})${i < pairs.length - 1 ? ',' : ''}`).join('\n');
  const text = header('bitfusion_system_sim', [
    'SIMULATION ONLY: bitfusion_system on axi_dram_model (rtl/modules/axi-dram-model.ts): the config\'s memory',
    'latency and bytes per cycle behind the AXI4 port. The memory (u_dram.mem) and the instruction memory',
    '(u_sys.u_seq.u_imem.mem) are loaded and read by the harness.',
  ], prov) + moduleHead('bitfusion_system_sim', [], ports) + `
${dramModelInstance(dram)}
  bitfusion_system u_sys (
${conn(sys.map((x) => [x.name, x.name]))}
  );

endmodule
`;
  return { name: 'bitfusion_system_sim', text, ports, params: [] };
}
