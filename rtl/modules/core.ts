// bitfusion_core.v: controller + IBUF + WBUF + systolic array + OBUF, with host ports to fill the input
// buffers, read results and start tiles.
import { KW_BITS, descriptorBits, gsBits, rowTableBits } from '../descriptor.js';
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead } from '../verilog.js';

export function corePorts(p: RtlParams): Port[] {
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    { name: 'ib_wr_en', dir: 'input', width: 1, comment: 'host: IBUF word write' },
    { name: 'ib_wr_bank', dir: 'input', width: clog2(p.rows), widthExpr: '$clog2(ROWS)', comment: 'row' },
    { name: 'ib_wr_addr', dir: 'input', width: p.ibuf.addrBits, widthExpr: 'IB_AW', comment: '{half, offset}' },
    { name: 'ib_wr_data', dir: 'input', width: p.wordBits, widthExpr: 'WORD_W' },
    { name: 'ib_wr_mask', dir: 'input', width: p.rows, widthExpr: 'ROWS', comment: 'also write ib_wr_data at ib_wr_addr into these banks (a loader\'s broadcast)' },
    { name: 'wb_wr_en', dir: 'input', width: 1, comment: 'host: WBUF word write' },
    { name: 'wb_wr_bank', dir: 'input', width: clog2(p.rows * p.cols), widthExpr: '$clog2(ROWS*COLS)', comment: 'unit r*COLS + c' },
    { name: 'wb_wr_addr', dir: 'input', width: p.wbuf.addrBits, widthExpr: 'WB_AW' },
    { name: 'wb_wr_data', dir: 'input', width: p.wordBits, widthExpr: 'WORD_W' },
    { name: 'ob_rd_bank', dir: 'input', width: clog2(p.cols), widthExpr: '$clog2(COLS)', comment: 'host: OBUF read, column' },
    { name: 'ob_rd_addr', dir: 'input', width: p.obuf.addrBits, widthExpr: 'OB_AW' },
    { name: 'ob_rd_data', dir: 'output', width: p.accBits, widthExpr: 'ACC_W', comment: 'one cycle after the address' },
    {
      name: 'ob_rd_wide', dir: 'output', width: p.cols * p.accBits, widthExpr: 'COLS*ACC_W',
      comment: 'every bank at ob_rd_addr, column c at [c*ACC_W +: ACC_W] (the output unit)',
    },
    { name: 'rt_wr_en', dir: 'input', width: 1, comment: 'row table write (rtl/descriptor.ts rowTableWord), not while busy' },
    { name: 'rt_wr_row', dir: 'input', width: Math.max(1, clog2(p.rows)), widthExpr: 'RT_RW' },
    { name: 'rt_wr_data', dir: 'input', width: rowTableBits(p), widthExpr: 'RT_W' },
    { name: 'start', dir: 'input', width: 1 },
    { name: 'desc', dir: 'input', width: descriptorBits(p), widthExpr: 'DESC_W', comment: 'tile descriptor (rtl/descriptor.ts)' },
    { name: 'busy', dir: 'output', width: 1 },
    { name: 'done', dir: 'output', width: 1 },
    { name: 'ib_rd_en', dir: 'output', width: 1, comment: 'activity: IBUF read this cycle (performance counters)' },
    { name: 'ob_wr_en', dir: 'output', width: p.cols, widthExpr: 'COLS', comment: 'activity: OBUF writes this cycle, per column' },
  ];
}

export function coreParams(p: RtlParams): VerilogParam[] {
  return [
    { name: 'ROWS', value: p.rows },
    { name: 'COLS', value: p.cols },
    { name: 'WORD_W', value: p.wordBits },
    { name: 'ACC_W', value: p.accBits },
    { name: 'CNT_W', value: p.countBits },
    { name: 'IB_DEPTH', value: p.ibuf.depth },
    { name: 'WB_DEPTH', value: p.wbuf.depth },
    { name: 'OB_DEPTH', value: p.obuf.depth },
    { name: 'IB_AW', value: p.ibuf.addrBits },
    { name: 'WB_AW', value: p.wbuf.addrBits },
    { name: 'OB_AW', value: p.obuf.addrBits },
    { name: 'IB_OW', value: p.ibuf.offsetBits },
    { name: 'WB_OW', value: p.wbuf.offsetBits },
    { name: 'OB_OW', value: p.obuf.offsetBits },
    { name: 'DESC_W', value: descriptorBits(p) },
    { name: 'RT_RW', value: Math.max(1, clog2(p.rows)) },
    { name: 'RT_W', value: rowTableBits(p) },
  ];
}

export function coreModule(p: RtlParams, prov: Provenance): VerilogModule {
  const ports = corePorts(p);
  const params = coreParams(p);
  const text = header('bitfusion_core', [
    'Bit Fusion core: tile controller, IBUF (ROWS banks), WBUF (ROWS*COLS banks), the systolic array and OBUF',
    '(COLS banks). The host writes a tile\'s activations and weights into one half of the buffers, pulses start',
    'with a descriptor, and reads the outputs from OBUF after done; meanwhile it may fill the other half.',
    'A continuation tile (descriptor acc) adds to the partial sums OBUF holds; the host does not read OBUF',
    'while one runs (the array uses the banks\' read ports).',
  ], prov) + '`default_nettype none\n\n' + moduleHead('bitfusion_core', params, ports) + `
  wire [1:0]                  a_bits, w_bits;
  wire                        a_signed, w_signed;
  wire [ROWS*IB_AW-1:0]       ib_rd_addr;
  wire [WB_AW-1:0]            wb_rd_addr;
  wire                        acc_mode;
  wire [COLS-1:0]             init_rd;
  wire [COLS*ACC_W-1:0]       init_data;
  wire                        ob_start;
  wire [OB_AW-1:0]            ob_base;
  wire                        word_valid, word_first, word_last;
  wire [ROWS*WORD_W-1:0]      act;
  wire [ROWS*COLS*WORD_W-1:0] wgt;
  wire [COLS*ACC_W-1:0]       out_data;

  tile_controller #(
    .ROWS(ROWS), .COLS(COLS), .CNT_W(CNT_W), .IB_AW(IB_AW), .WB_AW(WB_AW), .OB_AW(OB_AW),
    .IB_OW(IB_OW), .WB_OW(WB_OW), .OB_OW(OB_OW), .DESC_W(DESC_W), .GS_W(${gsBits(p)}), .KW_W(${KW_BITS}),
    .RT_RW(RT_RW), .RT_W(RT_W)
  ) u_ctrl (
    .clk        (clk),
    .rst        (rst),
    .rt_wr_en   (rt_wr_en),
    .rt_wr_row  (rt_wr_row),
    .rt_wr_data (rt_wr_data),
    .start      (start),
    .desc       (desc),
    .busy       (busy),
    .done       (done),
    .a_bits     (a_bits),
    .w_bits     (w_bits),
    .a_signed   (a_signed),
    .w_signed   (w_signed),
    .ib_rd_en   (ib_rd_en),
    .ib_rd_addr (ib_rd_addr),
    .wb_rd_addr (wb_rd_addr),
    .acc_mode   (acc_mode),
    .ob_start   (ob_start),
    .ob_base    (ob_base),
    .word_valid (word_valid),
    .word_first (word_first),
    .word_last  (word_last)
  );

  ibuf #(.ROWS(ROWS), .WORD_W(WORD_W), .DEPTH(IB_DEPTH), .AW(IB_AW)) u_ibuf (
    .clk     (clk),
    .wr_en   (ib_wr_en),
    .wr_bank (ib_wr_bank),
    .wr_mask (ib_wr_mask),
    .wr_addr (ib_wr_addr),
    .wr_data (ib_wr_data),
    .rd_en   (ib_rd_en),
    .rd_addr (ib_rd_addr),
    .rd_data (act)
  );

  wbuf #(.ROWS(ROWS), .COLS(COLS), .WORD_W(WORD_W), .DEPTH(WB_DEPTH), .AW(WB_AW)) u_wbuf (
    .clk     (clk),
    .wr_en   (wb_wr_en),
    .wr_bank (wb_wr_bank),
    .wr_addr (wb_wr_addr),
    .wr_data (wb_wr_data),
    .rd_addr (wb_rd_addr),
    .rd_data (wgt)
  );

  systolic_array #(.ROWS(ROWS), .COLS(COLS), .WORD_W(WORD_W), .ACC_W(ACC_W)) u_array (
    .clk       (clk),
    .rst       (rst),
    .a_bits    (a_bits),
    .w_bits    (w_bits),
    .a_signed  (a_signed),
    .w_signed  (w_signed),
    .in_valid  (word_valid),
    .in_first  (word_first),
    .in_last   (word_last),
    .act_in    (act),
    .wgt_in    (wgt),
    .acc_mode  (acc_mode),
    .init_data (init_data),
    .out_valid (ob_wr_en),
    .out_data  (out_data),
    .init_rd   (init_rd)
  );

  obuf #(.COLS(COLS), .ACC_W(ACC_W), .DEPTH(OB_DEPTH), .AW(OB_AW)) u_obuf (
    .clk        (clk),
    .tile_start (ob_start),
    .wr_base    (ob_base),
    .wr_en      (ob_wr_en),
    .wr_data    (out_data),
    .rd_bank    (ob_rd_bank),
    .rd_addr    (ob_rd_addr),
    .rd_data    (ob_rd_data),
    .rd_wide    (ob_rd_wide),
    .init_rd    (init_rd),
    .init_data  (init_data)
  );

endmodule

\`default_nettype wire
`;
  return { name: 'bitfusion_core', text, ports, params };
}
