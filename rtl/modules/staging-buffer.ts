// staging_buffer.v: where an output pass's words wait for the storer: the output unit writes up to COLS
// consecutive words a cycle (act_wr_*), the storer reads one word a cycle.
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead } from '../verilog.js';

/** Words the staging buffer holds: a pass's output words, at most an OBUF half's accumulators at 4 codes a word. */
export function stagingWords(p: RtlParams): number {
  return 2 ** clog2(Math.max(2 * p.cols, (p.obuf.tileDepth * p.cols) / 4));
}

export function stagingParams(p: RtlParams): VerilogParam[] {
  const words = stagingWords(p);
  return [
    { name: 'COLS', value: p.cols, comment: 'words written a cycle, at most' },
    { name: 'DEPTH', value: words },
    { name: 'AW', value: clog2(words) },
  ];
}

export function stagingPorts(p: RtlParams): Port[] {
  const aw = clog2(stagingWords(p));
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'wr_en', dir: 'input', width: 1 },
    { name: 'wr_addr', dir: 'input', width: aw, widthExpr: 'AW', comment: 'the first word' },
    { name: 'wr_count', dir: 'input', width: clog2(p.cols + 1), widthExpr: '$clog2(COLS+1)', comment: '1 .. COLS words' },
    { name: 'wr_data', dir: 'input', width: p.cols * 32, widthExpr: 'COLS*32', comment: 'word i at [i*32 +: 32], address wr_addr + i' },
    { name: 'rd_en', dir: 'input', width: 1 },
    { name: 'rd_addr', dir: 'input', width: aw, widthExpr: 'AW' },
    { name: 'rd_data', dir: 'output', width: 32, comment: 'one cycle after rd_addr' },
  ];
}

export function stagingModule(p: RtlParams, prov: Provenance): VerilogModule {
  const params = stagingParams(p);
  const ports = stagingPorts(p);
  const text = header('staging_buffer', [
    'Staging buffer: word a in bank a mod 2^clog2(COLS), row a / 2^clog2(COLS), so the up to COLS consecutive',
    'words of a write land in distinct banks and go in together. Reads are one word a cycle.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('staging_buffer', params, ports) + `
  localparam BANK_W = (COLS > 1) ? $clog2(COLS) : 1;
  localparam BANKS  = 1 << BANK_W;
  localparam ROW_W  = (AW > BANK_W) ? AW - BANK_W : 1;

  reg  [BANK_W-1:0] rd_bank_q;
  wire [BANKS*32-1:0] bank_rdata;
  always @(posedge clk) rd_bank_q <= rd_addr[BANK_W-1:0];
  assign rd_data = bank_rdata[rd_bank_q*32 +: 32];

  genvar b;
  generate
    for (b = 0; b < BANKS; b = b + 1) begin : g_bank
      localparam [BANK_W-1:0] BANK = b;
      // This bank takes word i = (b - wr_addr) mod BANKS of the write, when i < wr_count.
      wire [BANK_W-1:0] lane  = BANK - wr_addr[BANK_W-1:0];
      /* verilator lint_off UNUSEDSIGNAL */
      wire [AW-1:0]     addr  = wr_addr + {{(AW-BANK_W){1'b0}}, lane};  // its low bits are BANK
      /* verilator lint_on UNUSEDSIGNAL */
      wire              take;
      // wr_count has one bit more than a lane when COLS is a power of two, as many otherwise.
      if ($clog2(COLS+1) > BANK_W) begin : g_wide
        assign take = wr_en && ({1'b0, lane} < wr_count);
      end else begin : g_narrow
        assign take = wr_en && (lane < wr_count);
      end
      sdp_ram #(.WIDTH(32), .DEPTH(DEPTH / BANKS), .AW(ROW_W)) u_bank (
        .clk   (clk),
        .we    (take),
        .waddr (addr[AW-1 -: ROW_W]),
        .wdata (wr_data[lane*32 +: 32]),
        .re    (rd_en),
        .raddr (rd_addr[AW-1 -: ROW_W]),
        .rdata (bank_rdata[b*32 +: 32])
      );
    end
  endgenerate

endmodule

\`default_nettype wire
`;
  return { name: 'staging_buffer', text, ports, params };
}
