// uart_rx.v and uart_tx.v: 8N1 serial with the bit time a whole number of clock cycles (CLKS_PER_BIT, from
// uartDivisor() in rtl/host-link.ts: the clock over the baud rate).
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead } from '../verilog.js';

function bitParams(clksPerBit: number): VerilogParam[] {
  if (!Number.isInteger(clksPerBit) || clksPerBit < 4) throw new Error(`uart: CLKS_PER_BIT ${clksPerBit} must be an integer >= 4`);
  return [
    { name: 'CLKS_PER_BIT', value: clksPerBit, comment: 'clock cycles per bit: clock / baud' },
    { name: 'CNT_W', value: clog2(clksPerBit), comment: 'clog2(CLKS_PER_BIT)' },
  ];
}

export function uartTxModule(clksPerBit: number, prov: Provenance): VerilogModule {
  const params = bitParams(clksPerBit);
  const ports: Port[] = [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    { name: 'tx_valid', dir: 'input', width: 1, comment: 'byte handshake: taken in a cycle with tx_ready high' },
    { name: 'tx_data', dir: 'input', width: 8 },
    { name: 'tx_ready', dir: 'output', width: 1 },
    { name: 'txd', dir: 'output', width: 1, reg: true, comment: 'serial line, idle high' },
  ];
  const text = header('uart_tx', [
    'UART transmitter, 8N1: a start bit (0), eight data bits LSB first, a stop bit (1), each CLKS_PER_BIT',
    'cycles. The line goes low the cycle after a byte is taken; tx_ready returns one cycle after the stop bit',
    'ends, so back-to-back bytes take 10 * CLKS_PER_BIT + 1 cycles each.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('uart_tx', params, ports) + `
  reg [8:0]       shift;      // data bits then the stop bit, sent from bit 0
  reg [3:0]       bits_left;  // bits still to send after the one on the line
  reg [CNT_W-1:0] cnt;        // cycles left of the bit on the line
  reg             active;

  localparam [CNT_W-1:0] LAST = CLKS_PER_BIT - 1;

  assign tx_ready = !active;

  always @(posedge clk) begin
    if (rst) begin
      active <= 1'b0;
      txd    <= 1'b1;
    end else if (!active) begin
      if (tx_valid) begin
        active    <= 1'b1;
        txd       <= 1'b0;
        shift     <= {1'b1, tx_data};
        bits_left <= 4'd9;
        cnt       <= LAST;
      end
    end else if (cnt != 0) begin
      cnt <= cnt - 1'b1;
    end else if (bits_left != 0) begin
      txd       <= shift[0];
      shift     <= {1'b1, shift[8:1]};
      bits_left <= bits_left - 1'b1;
      cnt       <= LAST;
    end else begin
      active <= 1'b0;
    end
  end
endmodule

\`default_nettype wire
`;
  return { name: 'uart_tx', text, ports, params };
}

export function uartRxModule(clksPerBit: number, prov: Provenance): VerilogModule {
  const params = bitParams(clksPerBit);
  const ports: Port[] = [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    { name: 'rxd', dir: 'input', width: 1, comment: 'serial line (asynchronous), idle high' },
    { name: 'rx_valid', dir: 'output', width: 1, reg: true, comment: 'one-cycle pulse: rx_data holds a received byte' },
    { name: 'rx_data', dir: 'output', width: 8, reg: true },
    { name: 'rx_err', dir: 'output', width: 1, reg: true, comment: 'one-cycle pulse: a frame whose stop bit was low (dropped)' },
  ];
  const text = header('uart_rx', [
    'UART receiver, 8N1. The line passes two synchronizer flip-flops; a low level starts a frame, which is',
    'sampled in the middle of every bit: a start bit found high again is a glitch and ignored, a low stop',
    'bit drops the byte, pulses rx_err and waits for the line to return high before the next frame.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('uart_rx', params, ports) + `
  localparam [CNT_W-1:0] LAST = CLKS_PER_BIT - 1;
  localparam [CNT_W-1:0] HALF = CLKS_PER_BIT / 2 - 1;
  localparam [1:0] S_IDLE = 2'd0, S_FRAME = 2'd1, S_WAIT_HIGH = 2'd2;

  reg             rx_meta, rx_s;  // two-flop synchronizer
  reg [1:0]       state;
  reg [CNT_W-1:0] cnt;            // cycles to the middle of the next bit
  reg [3:0]       bitn;           // 0 start, 1..8 data, 9 stop
  reg [7:0]       shift;

  always @(posedge clk) begin
    if (rst) begin
      rx_meta  <= 1'b1;
      rx_s     <= 1'b1;
      state    <= S_IDLE;
      rx_valid <= 1'b0;
      rx_err   <= 1'b0;
    end else begin
      rx_meta  <= rxd;
      rx_s     <= rx_meta;
      rx_valid <= 1'b0;
      rx_err   <= 1'b0;
      case (state)
        S_IDLE: if (!rx_s) begin
          state <= S_FRAME;
          cnt   <= HALF;
          bitn  <= 4'd0;
        end
        S_FRAME: if (cnt != 0) begin
          cnt <= cnt - 1'b1;
        end else begin
          cnt  <= LAST;
          bitn <= bitn + 1'b1;
          if (bitn == 4'd0) begin
            if (rx_s) state <= S_IDLE;
          end else if (bitn != 4'd9) begin
            shift <= {rx_s, shift[7:1]};
          end else if (rx_s) begin
            rx_valid <= 1'b1;
            rx_data  <= shift;
            state    <= S_IDLE;
          end else begin
            rx_err <= 1'b1;
            state  <= S_WAIT_HIGH;
          end
        end
        default: if (rx_s) state <= S_IDLE;
      endcase
    end
  end
endmodule

\`default_nettype wire
`;
  return { name: 'uart_rx', text, ports, params };
}
