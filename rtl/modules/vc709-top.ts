// vc709_top.v: the board top for the Xilinx VC709. The board has no host link in this design, so a built-in
// self-test drives the core: it fills the buffers with LFSR data, runs a tile in each of the nine modes in
// turn, reads every output back and folds it into a signature shown on the LEDs. That exercises (and keeps
// through synthesis) the whole datapath: every Fusion Unit, buffer bank and accumulator.
import { FU_MODES } from '../../hw/fusion-unit.js';
import { descriptorBits, descriptorLayout, packDescriptor } from '../descriptor.js';
import { widthCode } from '../pack.js';
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead } from '../verilog.js';
import { coreParams } from './core.js';

/** The self-test tile: M outputs of S steps, small enough for any buffer the generator accepts. */
export function bistTile(p: RtlParams): { M: number; S: number } {
  const S = Math.max(1, Math.min(8, p.maxSteps));
  const M = Math.max(1, Math.min(16, Math.floor(p.ibuf.tileDepth / S), p.obuf.tileDepth));
  return { M, S };
}

export function vc709TopModule(p: RtlParams, prov: Provenance): VerilogModule {
  const ports: Port[] = [
    { name: 'sys_clk_p', dir: 'input', width: 1, comment: '200 MHz system clock, H19' },
    { name: 'sys_clk_n', dir: 'input', width: 1, comment: 'G18' },
    { name: 'cpu_reset', dir: 'input', width: 1, comment: 'push button AV40, active high' },
    { name: 'led', dir: 'output', width: 8, comment: '[0] heartbeat, [1] busy, [2] a tile passed, [7:3] signature' },
  ];
  const { M, S } = bistTile(p);
  const layout = descriptorLayout(p);
  const f = (n: string) => layout.find((x) => x.name === n)!;
  // Everything from ibuf_base up is the same for every mode: the tile at base 0 of half 0, read in im2col order.
  const upper = packDescriptor({ mode: FU_MODES[0], aSigned: true, wSigned: true, half: 0, M, S, ibufBase: 0, wbufBase: 0, obufBase: 0 }, p)
    >> BigInt(f('ibuf_base').lsb);
  const modeCodes = FU_MODES.map((m) => `4'd${(widthCode(m.a) << 2) | widthCode(m.w)}`);
  const cp = coreParams(p);
  const params: VerilogParam[] = [];
  const text = header('vc709_top', [
    'VC709 board top: differential 200 MHz clock, reset button, eight LEDs, and a self-test that runs the',
    `core on LFSR data: load a ${M} x ${S} tile (M outputs, S steps) into half 0, run it in one of the nine`,
    'modes (signed operands), read the outputs back into a signature, move to the next mode, repeat.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('vc709_top', params, ports) + `
${cp.map((x) => `  localparam ${x.name.padEnd(8)} = ${x.value};`).join('\n')}
  localparam BIST_M   = ${M};
  localparam BIST_S   = ${S};
  localparam IB_WORDS = BIST_M * BIST_S;  // words per IBUF bank
  localparam OUTS     = BIST_M * COLS;    // outputs to read back
  localparam [${clog2(p.rows) - 1}:0] IB_LAST = ${clog2(p.rows)}'d${p.rows - 1};  // last IBUF bank
  localparam [${clog2(p.rows * p.cols) - 1}:0] WB_LAST = ${clog2(p.rows * p.cols)}'d${p.rows * p.cols - 1};  // last WBUF bank
  localparam [${clog2(p.cols) - 1}:0] OB_LAST = ${clog2(p.cols)}'d${p.cols - 1};  // last OBUF bank

  // ---- clock and reset ----
  wire clk_ibuf, clk;
  IBUFDS #(.DIFF_TERM("FALSE"), .IOSTANDARD("DIFF_SSTL15")) u_clk_ibufds (.I(sys_clk_p), .IB(sys_clk_n), .O(clk_ibuf));
  BUFG u_clk_bufg (.I(clk_ibuf), .O(clk));

  reg [3:0] rst_sync = 4'hf;
  always @(posedge clk) rst_sync <= {rst_sync[2:0], cpu_reset};
  wire rst = rst_sync[3];

  // ---- self-test sequencer ----
  localparam [2:0] B_LOAD = 3'd0, B_START = 3'd1, B_WAIT = 3'd2, B_READ = 3'd3, B_NEXT = 3'd4;
  reg  [2:0]  bstate;
  reg  [31:0] lfsr;
  reg  [15:0] ib_n, wb_n;         // words written so far
  reg  [$clog2(ROWS)-1:0]      ib_bank;
  reg  [IB_AW-1:0]             ib_addr;
  reg  [$clog2(ROWS*COLS)-1:0] wb_bank;
  reg  [WB_AW-1:0]             wb_addr;
  reg  [15:0] rd_n;               // outputs read so far
  reg  [$clog2(COLS)-1:0]      ob_bank;
  reg  [OB_AW-1:0]             ob_addr;
  reg         rd_valid;
  reg  [3:0]  mode_idx;
  reg  [ACC_W-1:0] signature;
  reg  [25:0] heartbeat = 26'd0;
  reg         passed;

  wire        ib_we = (bstate == B_LOAD) && (ib_n < ROWS * IB_WORDS);
  wire        wb_we = (bstate == B_LOAD) && (wb_n < ROWS * COLS * BIST_S);
  wire [ACC_W-1:0] ob_rdata;
  // The self-test reads one bank at a time; the all-banks read is the output unit's.
  /* verilator lint_off UNUSEDSIGNAL */
  wire [COLS*ACC_W-1:0] ob_rwide;
  /* verilator lint_on UNUSEDSIGNAL */
  wire        busy, done, ib_rd_en;
  wire [COLS-1:0] ob_wr_en;

  reg [3:0] mode_code;
  always @* begin
    case (mode_idx)
${modeCodes.map((c, i) => `      4'd${i}: mode_code = ${c};`).join('\n')}
      default: mode_code = 4'd10;
    endcase
  end

  // Descriptor: signed operands, half 0, every base 0 (layout in tile_controller.v).
  wire [DESC_W-1:0] desc;
  assign desc[${f('a_bits').lsb} +: 2]     = mode_code[3:2];
  assign desc[${f('w_bits').lsb} +: 2]     = mode_code[1:0];
  assign desc[${f('a_signed').lsb}]          = 1'b1;
  assign desc[${f('w_signed').lsb}]          = 1'b1;
  assign desc[${f('half').lsb}]          = 1'b0;
  assign desc[${f('m').lsb} +: CNT_W] = BIST_M[CNT_W-1:0];
  assign desc[${f('s').lsb} +: CNT_W] = BIST_S[CNT_W-1:0];
  assign desc[DESC_W-1:${f('ibuf_base').lsb}] = ${descriptorBits(p) - f('ibuf_base').lsb}'h${upper.toString(16)};  // bases 0, the im2col walk

  always @(posedge clk) begin
    if (rst) begin
      bstate    <= B_LOAD;
      lfsr      <= 32'hace1_2468;
      ib_n      <= 16'd0;
      wb_n      <= 16'd0;
      ib_bank   <= 0;
      ib_addr   <= 0;
      wb_bank   <= 0;
      wb_addr   <= 0;
      rd_n      <= 16'd0;
      ob_bank   <= 0;
      ob_addr   <= 0;
      rd_valid  <= 1'b0;
      mode_idx  <= 4'd0;
      signature <= {ACC_W{1'b0}};
      passed    <= 1'b0;
    end else begin
      lfsr     <= {lfsr[30:0], 1'b0} ^ (lfsr[31] ? 32'h04c1_1db7 : 32'd0);
      rd_valid <= (bstate == B_READ) && (rd_n < OUTS);
      if (rd_valid) signature <= {signature[ACC_W-2:0], signature[ACC_W-1]} ^ ob_rdata;
      case (bstate)
        B_LOAD: begin
          if (ib_we) begin
            ib_n <= ib_n + 1'b1;
            if (ib_bank == IB_LAST) begin ib_bank <= 0; ib_addr <= ib_addr + 1'b1; end
            else ib_bank <= ib_bank + 1'b1;
          end
          if (wb_we) begin
            wb_n <= wb_n + 1'b1;
            if (wb_bank == WB_LAST) begin wb_bank <= 0; wb_addr <= wb_addr + 1'b1; end
            else wb_bank <= wb_bank + 1'b1;
          end
          if (!ib_we && !wb_we) bstate <= B_START;
        end
        B_START: if (!busy) bstate <= B_WAIT;
        B_WAIT:  if (done) bstate <= B_READ;
        B_READ: begin
          if (rd_n < OUTS) begin
            rd_n <= rd_n + 1'b1;
            if (ob_bank == OB_LAST) begin ob_bank <= 0; ob_addr <= ob_addr + 1'b1; end
            else ob_bank <= ob_bank + 1'b1;
          end else begin
            bstate <= B_NEXT;
          end
        end
        default: begin  // B_NEXT: the next mode on fresh data
          passed   <= 1'b1;
          mode_idx <= (mode_idx == 4'd8) ? 4'd0 : mode_idx + 1'b1;
          ib_n <= 16'd0; wb_n <= 16'd0; rd_n <= 16'd0;
          ib_bank <= 0; ib_addr <= 0; wb_bank <= 0; wb_addr <= 0; ob_bank <= 0; ob_addr <= 0;
          bstate <= B_LOAD;
        end
      endcase
    end
  end

  always @(posedge clk) heartbeat <= heartbeat + 1'b1;

  bitfusion_core #(
${cp.map((x, i) => `    .${x.name}(${x.name})${i < cp.length - 1 ? ',' : ''}`).join('\n')}
  ) u_core (
    .clk        (clk),
    .rst        (rst),
    .ib_wr_en   (ib_we),
    .ib_wr_bank (ib_bank),
    .ib_wr_mask ({ROWS{1'b0}}),
    .ib_wr_addr (ib_addr),
    .ib_wr_data (lfsr),
    .wb_wr_en   (wb_we),
    .wb_wr_bank (wb_bank),
    .wb_wr_addr (wb_addr),
    .wb_wr_data (~lfsr),
    .ob_rd_bank (ob_bank),
    .ob_rd_addr (ob_addr),
    .ob_rd_data (ob_rdata),
    .ob_rd_wide (ob_rwide),
    .rt_wr_en   (1'b0),
    .rt_wr_row  ({RT_RW{1'b0}}),
    .rt_wr_data ({RT_W{1'b0}}),
    .start      (bstate == B_START && !busy),
    .desc       (desc),
    .busy       (busy),
    .done       (done),
    .ib_rd_en   (ib_rd_en),
    .ob_wr_en   (ob_wr_en)
  );

  assign led = {signature[4:0] ^ {4'd0, ^ob_wr_en ^ ib_rd_en}, passed, busy, heartbeat[25]};

endmodule

\`default_nettype wire
`;
  return { name: 'vc709_top', text, ports, params };
}
