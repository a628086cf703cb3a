// board_system_sim.v: SIMULATION ONLY: board_system as generated, with a shorter UART bit time set by a parameter
// override, so a simulated host link moves a program's words in fewer cycles; nothing else differs from the board.
import { Provenance, VerilogModule, VerilogParam, header, moduleHead } from '../verilog.js';
import { boardSystemPorts } from './board-system.js';

export function boardSystemSimModule(clksPerBit: number, prov: Provenance): VerilogModule {
  if (!Number.isInteger(clksPerBit) || clksPerBit < 4) throw new Error(`board_system_sim: ${clksPerBit} cycles per bit must be an integer >= 4`);
  const ports = boardSystemPorts();
  const params: VerilogParam[] = [{ name: 'CLKS_PER_BIT', value: clksPerBit, comment: 'UART bit time in cycles (the board: clock / 115200)' }];
  const w = Math.max(...ports.map((x) => x.name.length));
  const text = header('board_system_sim', [
    'SIMULATION ONLY: board_system with CLKS_PER_BIT overridden; rtl/board-sim.ts drives its UART pins.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('board_system_sim', params, ports) + `
  board_system #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_board (
${ports.map((x, i) => `    .${x.name.padEnd(w)} (${x.name})${i < ports.length - 1 ? ',' : ''}`).join('\n')}
  );

endmodule

\`default_nettype wire
`;
  return { name: 'board_system_sim', text, ports, params };
}
