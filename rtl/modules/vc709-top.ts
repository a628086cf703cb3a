// vc709_top.v: the board top for the Xilinx VC709: the 200 MHz differential clock through IBUFDS and BUFG, the
// reset button synchronized, board_system on the USB-UART's two pins, and LEDs that show what the accelerator and
// the link are doing. Everything else is board_system's, which simulates without the Xilinx primitives.
import { Port, Provenance, VerilogModule, VerilogParam, header, moduleHead } from '../verilog.js';
import { RtlParams } from '../params.js';
import { boardSystemPorts } from './board-system.js';

/** What each LED shows, [0] first (the XDC and params.json print it). */
export const VC709_LEDS = [
  'heartbeat (the clock runs)',
  'busy: a program is running',
  'done: halted since the last start',
  'err: a memory engine saw an error response',
  'bad opcode: the last halt was stop code 2',
  'host step: the last halt was stop code 1 (the host has work)',
  'UART RX activity (host to board)',
  'UART TX activity (board to host)',
] as const;

export function vc709TopModule(p: RtlParams, prov: Provenance): VerilogModule {
  const ports: Port[] = [
    { name: 'sys_clk_p', dir: 'input', width: 1, comment: '200 MHz system clock, H19' },
    { name: 'sys_clk_n', dir: 'input', width: 1, comment: 'G18' },
    { name: 'cpu_reset', dir: 'input', width: 1, comment: 'push button AV40, active high' },
    { name: 'uart_rxd', dir: 'input', width: 1, comment: 'USB-UART, host to FPGA (AU33)' },
    { name: 'uart_txd', dir: 'output', width: 1, comment: 'USB-UART, FPGA to host (AU36)' },
    { name: 'led', dir: 'output', width: 8, comment: 'see the header' },
  ];
  const params: VerilogParam[] = [
    { name: 'BLINK_W', value: 22, comment: 'an activity LED stays on 2^BLINK_W cycles (21 ms at 200 MHz) after the line was low' },
  ];
  const bs = boardSystemPorts(p);
  const w = Math.max(...bs.map((x) => x.name.length));
  const conn: Record<string, string> = { clk: 'clk', rst: 'rst', uart_rxd: 'uart_rxd', uart_txd: 'uart_txd', busy: 'busy', done: 'done', err: 'err', stop_code: 'stop_code' };
  const text = header('vc709_top', [
    'VC709 board top: differential 200 MHz clock, reset button, the USB-UART (a host runs programs through',
    'board_system\'s host link at 115200 baud, rtl/board-run.ts), eight LEDs:',
    ...VC709_LEDS.map((d, i) => `  led[${i}] ${d}`),
  ], prov) + '`default_nettype none\n\n' + moduleHead('vc709_top', params, ports) + `
  // ---- clock and reset ----
  wire clk_ibuf, clk;
  IBUFDS #(.DIFF_TERM("FALSE"), .IOSTANDARD("DIFF_SSTL15")) u_clk_ibufds (.I(sys_clk_p), .IB(sys_clk_n), .O(clk_ibuf));
  BUFG u_clk_bufg (.I(clk_ibuf), .O(clk));

  // The button is asynchronous: the reset leaves a shift register, held for four cycles after a press and at
  // configuration (the initial value).
  reg [3:0] rst_sync = 4'hf;
  always @(posedge clk) rst_sync <= {rst_sync[2:0], cpu_reset};
  wire rst = rst_sync[3];

  // ---- the accelerator behind the host link ----
  wire       busy, done, err;
  wire [1:0] stop_code;

  board_system u_board (
${bs.map((x, i) => `    .${x.name.padEnd(w)} (${conn[x.name]})${i < bs.length - 1 ? ',' : ''}`).join('\n')}
  );

  // ---- LEDs ----
  reg [25:0] heartbeat = 26'd0;
  always @(posedge clk) heartbeat <= heartbeat + 1'b1;

  // The RX pin is asynchronous to clk: two flip-flops before the activity counter (host_link has its own).
  reg [1:0]         rxd_sync = 2'b11;
  reg [BLINK_W-1:0] rx_blink = {BLINK_W{1'b0}};
  reg [BLINK_W-1:0] tx_blink = {BLINK_W{1'b0}};
  always @(posedge clk) begin
    rxd_sync <= {rxd_sync[0], uart_rxd};
    rx_blink <= !rxd_sync[1] ? {BLINK_W{1'b1}} : rx_blink - {{(BLINK_W-1){1'b0}}, |rx_blink};
    tx_blink <= !uart_txd ? {BLINK_W{1'b1}} : tx_blink - {{(BLINK_W-1){1'b0}}, |tx_blink};
  end

  assign led = {tx_blink != 0, rx_blink != 0, done && stop_code == 2'd1, done && stop_code == 2'd2, err, done, busy, heartbeat[25]};

endmodule

\`default_nettype wire
`;
  return { name: 'vc709_top', text, ports, params };
}
