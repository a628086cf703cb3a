// host_link.v: the byte protocol of rtl/host-link.ts over a UART, driving a local memory bus and a start/status
// handshake. The command and reply codes come from that file, so the host side and the RTL cannot drift.
import { HOST_CMD, HOST_ERR, HostLinkParams, REPLY_BIT, checkHostLinkParams } from '../host-link.js';
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead } from '../verilog.js';

const hex8 = (v: number) => `8'h${v.toString(16).padStart(2, '0')}`;

export function hostLinkPorts(h: HostLinkParams): Port[] {
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    { name: 'uart_rxd', dir: 'input', width: 1, comment: 'from the host (board pin RX)' },
    { name: 'uart_txd', dir: 'output', width: 1, comment: 'to the host (board pin TX)' },
    { name: 'mem_we', dir: 'output', width: 1, reg: true, comment: 'local memory bus: one word write' },
    { name: 'mem_re', dir: 'output', width: 1, reg: true, comment: 'one word read, data on mem_rdata with mem_rvalid' },
    { name: 'mem_addr', dir: 'output', width: h.memAddrBits, widthExpr: 'MEM_AW', reg: true, comment: 'word address' },
    { name: 'mem_wdata', dir: 'output', width: h.wordBits, widthExpr: 'WORD_W', reg: true },
    { name: 'mem_rdata', dir: 'input', width: h.wordBits, widthExpr: 'WORD_W' },
    { name: 'mem_rvalid', dir: 'input', width: 1, comment: 'mem_rdata holds the read word (a block RAM: mem_re a cycle later; DRAM: later)' },
    { name: 'start', dir: 'output', width: 1, reg: true, comment: 'one-cycle pulse with start_arg' },
    { name: 'start_arg', dir: 'output', width: 32, reg: true },
    { name: 'busy', dir: 'input', width: 1, comment: 'status: the engine is running' },
    { name: 'done', dir: 'input', width: 1, comment: 'pulse: the engine finished (kept until the next start)' },
  ];
}

export function hostLinkModule(h: HostLinkParams, prov: Provenance): VerilogModule {
  checkHostLinkParams(h);
  const params: VerilogParam[] = [
    { name: 'CLKS_PER_BIT', value: h.clksPerBit, comment: 'UART bit time in clock cycles' },
    { name: 'WORD_W', value: h.wordBits, comment: 'local memory word (a multiple of 8, >= 16)' },
    { name: 'MEM_AW', value: h.memAddrBits, comment: 'local word address (the 32-bit protocol address truncated)' },
    { name: 'TIMEOUT', value: h.timeoutCycles, comment: 'cycles without a byte that abandon a partly received frame' },
    { name: 'TO_W', value: clog2(h.timeoutCycles + 1) },
  ];
  const ports = hostLinkPorts(h);
  const c = HOST_CMD;
  const text = header('host_link', [
    'Host link: commands from a host over the UART, little-endian fields, one reply per command.',
    ...[
      [`${hex8(c.write)} addr[4] n[2] word*n`, 'write n words from addr', `reply ${hex8(c.write | REPLY_BIT)}`],
      [`${hex8(c.read)} addr[4] n[2]`, 'read n words from addr', `reply ${hex8(c.read | REPLY_BIT)} word*n`],
      [`${hex8(c.start)} arg[4]`, 'pulse start with arg', `reply ${hex8(c.start | REPLY_BIT)}`],
      [`${hex8(c.status)}`, 'status', `reply ${hex8(c.status | REPLY_BIT)} {6'b0, done, busy}`],
      ['any other byte b', 'bad command', `reply ${hex8(HOST_ERR.command)} b`],
      ['a low stop bit', 'frame dropped', `reply ${hex8(HOST_ERR.frame)} 8'h00`],
    ].map(([a, b, r]) => `  ${a.padEnd(28)}${b.padEnd(26)}${r}`),
    'A frame left incomplete for TIMEOUT cycles is dropped without a reply, so a host that gave up half way',
    'is understood again. Bytes that arrive while a reply is being sent are ignored: the host waits for it.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('host_link', params, ports) + `
  localparam WB = WORD_W / 8;                   // bytes per word
  localparam [7:0] CMD_WRITE  = ${hex8(c.write)};
  localparam [7:0] CMD_READ   = ${hex8(c.read)};
  localparam [7:0] CMD_START  = ${hex8(c.start)};
  localparam [7:0] CMD_STATUS = ${hex8(c.status)};
  localparam [7:0] REPLY      = ${hex8(REPLY_BIT)};  // or'ed into the command byte
  localparam [7:0] ERR_CMD    = ${hex8(HOST_ERR.command)};
  localparam [7:0] ERR_FRAME  = ${hex8(HOST_ERR.frame)};
  localparam [TO_W-1:0] TO_LAST = TIMEOUT - 1;

  localparam [3:0] S_CMD     = 4'd0,   // waiting for a command byte
                   S_HDR     = 4'd1,   // address/count or argument bytes
                   S_EXEC    = 4'd2,   // header complete: act on it
                   S_WDATA   = 4'd3,   // write data bytes
                   S_SEND    = 4'd4,   // a reply byte is offered to the transmitter
                   S_RD_REQ  = 4'd5,   // read: address out
                   S_RD_WAIT = 4'd6,   // read: until the memory answers
                   S_RD_BYTE = 4'd8,   // read: next byte of the word
                   S_STATUS  = 4'd9,   // status byte
                   S_SECOND  = 4'd10;  // second byte of an error reply

  wire       rx_valid, rx_err, tx_ready;
  wire [7:0] rx_data;
  reg        tx_valid;
  reg  [7:0] tx_data;

  uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT), .CNT_W($clog2(CLKS_PER_BIT))) u_rx (
    .clk(clk), .rst(rst), .rxd(uart_rxd), .rx_valid(rx_valid), .rx_data(rx_data), .rx_err(rx_err)
  );
  uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT), .CNT_W($clog2(CLKS_PER_BIT))) u_tx (
    .clk(clk), .rst(rst), .tx_valid(tx_valid), .tx_data(tx_data), .tx_ready(tx_ready), .txd(uart_txd)
  );

  reg [3:0]        state, after;   // after: where S_SEND goes once the byte is taken
  reg [7:0]        cmd, second;
  reg [47:0]       hdr;            // bytes shift in from the top: the first lands lowest
  reg [2:0]        hdr_left;
  reg [MEM_AW-1:0] addr;
  reg [15:0]       count;          // words left
  reg [WORD_W-1:0] word;
  reg [3:0]        byte_left;      // bytes left of the word being received or sent
  reg [TO_W-1:0]   quiet;          // cycles since the last byte of an unfinished frame
  reg              done_seen;

  wire in_frame = state == S_HDR || state == S_WDATA;

  // Bits of the 32-bit protocol address above the local bus.
  wire unused_hdr = &{1'b0, hdr[31:MEM_AW]};

  always @(posedge clk) begin
    if (rst) begin
      state     <= S_CMD;
      tx_valid  <= 1'b0;
      mem_we    <= 1'b0;
      mem_re    <= 1'b0;
      start     <= 1'b0;
      done_seen <= 1'b0;
      quiet     <= {TO_W{1'b0}};
    end else begin
      mem_we <= 1'b0;
      mem_re <= 1'b0;
      start  <= 1'b0;
      if (done) done_seen <= 1'b1;
      quiet <= in_frame && !rx_valid ? quiet + 1'b1 : {TO_W{1'b0}};
      if (in_frame && rx_err) begin
        tx_data  <= ERR_FRAME;
        tx_valid <= 1'b1;
        second   <= 8'h00;
        after    <= S_SECOND;
        state    <= S_SEND;
      end else if (in_frame && quiet == TO_LAST) begin
        state <= S_CMD;
      end else begin
        case (state)
          S_CMD: if (rx_err) begin
            tx_data  <= ERR_FRAME;
            tx_valid <= 1'b1;
            second   <= 8'h00;
            after    <= S_SECOND;
            state    <= S_SEND;
          end else if (rx_valid) begin
            cmd <= rx_data;
            case (rx_data)
              CMD_WRITE, CMD_READ: begin hdr_left <= 3'd6; state <= S_HDR; end
              CMD_START:           begin hdr_left <= 3'd4; state <= S_HDR; end
              CMD_STATUS: begin
                tx_data  <= CMD_STATUS | REPLY;
                tx_valid <= 1'b1;
                after    <= S_STATUS;
                state    <= S_SEND;
              end
              default: begin
                tx_data  <= ERR_CMD;
                tx_valid <= 1'b1;
                second   <= rx_data;
                after    <= S_SECOND;
                state    <= S_SEND;
              end
            endcase
          end
          S_HDR: if (rx_valid) begin
            hdr      <= {rx_data, hdr[47:8]};
            hdr_left <= hdr_left - 1'b1;
            if (hdr_left == 3'd1) state <= S_EXEC;
          end
          S_EXEC: begin
            addr      <= hdr[MEM_AW-1:0];
            count     <= hdr[47:32];
            byte_left <= WB[3:0];
            if (cmd == CMD_START) begin
              // four argument bytes sit in the top of hdr
              start     <= 1'b1;
              start_arg <= hdr[47:16];
              done_seen <= 1'b0;
            end
            if (cmd == CMD_WRITE && hdr[47:32] != 0) begin
              state <= S_WDATA;
            end else begin
              tx_data  <= cmd | REPLY;
              tx_valid <= 1'b1;
              after    <= cmd == CMD_READ && hdr[47:32] != 0 ? S_RD_REQ : S_CMD;
              state    <= S_SEND;
            end
          end
          S_WDATA: if (rx_valid) begin
            word      <= {rx_data, word[WORD_W-1:8]};
            byte_left <= byte_left - 1'b1;
            if (byte_left == 4'd1) begin
              mem_we    <= 1'b1;
              mem_addr  <= addr;
              mem_wdata <= {rx_data, word[WORD_W-1:8]};
              addr      <= addr + 1'b1;
              count     <= count - 1'b1;
              byte_left <= WB[3:0];
              if (count == 16'd1) begin
                tx_data  <= CMD_WRITE | REPLY;
                tx_valid <= 1'b1;
                after    <= S_CMD;
                state    <= S_SEND;
              end
            end
          end
          S_SEND: if (tx_ready) begin
            tx_valid <= 1'b0;
            state    <= after;
          end
          S_RD_REQ: begin
            mem_re   <= 1'b1;
            mem_addr <= addr;
            addr     <= addr + 1'b1;
            state    <= S_RD_WAIT;
          end
          // The host waits for the reply, so a read may take any number of cycles.
          S_RD_WAIT: if (mem_rvalid) begin
            word      <= mem_rdata;
            byte_left <= WB[3:0];
            count     <= count - 1'b1;
            state     <= S_RD_BYTE;
          end
          S_RD_BYTE: begin
            tx_data   <= word[7:0];
            tx_valid  <= 1'b1;
            word      <= word >> 8;
            byte_left <= byte_left - 1'b1;
            after     <= byte_left != 4'd1 ? S_RD_BYTE : count != 0 ? S_RD_REQ : S_CMD;
            state     <= S_SEND;
          end
          S_STATUS: begin
            tx_data  <= {6'b0, done_seen, busy};
            tx_valid <= 1'b1;
            after    <= S_CMD;
            state    <= S_SEND;
          end
          default: begin  // S_SECOND
            tx_data  <= second;
            tx_valid <= 1'b1;
            after    <= S_CMD;
            state    <= S_SEND;
          end
        endcase
      end
    end
  end
endmodule

\`default_nettype wire
`;
  return { name: 'host_link', text, ports, params };
}
