// board_system_sim.v and board_system_axi_sim.v: SIMULATION ONLY: board_system as generated, with a shorter UART
// bit time set by a parameter override, so a simulated host link moves a program's words in fewer cycles; the
// AXI variant also gets the DRAM model (latency and bandwidth of the config) as its external memory.
import { type DramModelParams, dramModelInstance } from './axi-dram-model.js';
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, VerilogParam, header, moduleHead } from '../verilog.js';
import { boardSystemName, boardSystemPorts } from './board-system.js';

/** The sim top's ports: board_system's, without the external memory port. */
export function boardSystemSimPorts(p: RtlParams): Port[] {
  return boardSystemPorts(p, 'bram');
}

export function boardSystemSimModule(p: RtlParams, clksPerBit: number, prov: Provenance, dram?: DramModelParams): VerilogModule {
  if (!Number.isInteger(clksPerBit) || clksPerBit < 4) throw new Error(`board_system_sim: ${clksPerBit} cycles per bit must be an integer >= 4`);
  const memory = dram ? 'axi' : 'bram';
  const inner = boardSystemName({ memory });
  const name = `${inner}_sim`;
  const ports = boardSystemSimPorts(p);
  const innerPorts = boardSystemPorts(p, memory);
  const params: VerilogParam[] = [{ name: 'CLKS_PER_BIT', value: clksPerBit, comment: 'UART bit time in cycles (the board: clock / 115200)' }];
  const conn = (pairs: Array<[string, string]>) => {
    const w = Math.max(...pairs.map(([n]) => n.length));
    return pairs.map(([a, x], i) => `    .${a.padEnd(w)} (${x})${i < pairs.length - 1 ? ',' : ''}`).join('\n');
  };
  const memText = dram ? `
${dramModelInstance(dram)}` : '';
  const text = header(name, [
    `SIMULATION ONLY: ${inner} with CLKS_PER_BIT overridden; rtl/board-sim.ts drives its UART pins.`,
    ...(dram ? [`The external memory is axi_dram_model (latency ${dram.latency} cycles, ${dram.bytesPerCycle} bytes a cycle): a stand-in for the DDR3 controller.`] : []),
  ], prov) + '`default_nettype none\n\n' + moduleHead(name, params, ports) + `${memText}
  ${inner} #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_board (
${conn(innerPorts.map((x) => [x.name, x.name]))}
  );

endmodule

\`default_nettype wire
`;
  return { name, text, ports, params };
}
