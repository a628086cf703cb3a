// The on-chip buffers: sdp_ram.v (one block-RAM bank) and ibuf.v, wbuf.v, obuf.v (banks of it). Every
// bank is a simple dual-port RAM with a synchronous read (data the cycle after the address), the pattern
// Vivado and Yosys infer as block RAM. Double buffering is the top address bit: the descriptor's half bit
// selects the half a tile uses, and the host fills or drains the other half through the same banks'
// other port meanwhile.
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, VerilogParam, header, moduleHead } from '../verilog.js';

const tail = '\nendmodule\n\n`default_nettype wire\n';

export function sdpRamModule(prov: Provenance): VerilogModule {
  const params: VerilogParam[] = [
    { name: 'WIDTH', value: 32 },
    { name: 'DEPTH', value: 1024 },
    { name: 'AW', value: 10, comment: 'clog2(DEPTH)' },
  ];
  const ports: Port[] = [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'we', dir: 'input', width: 1 },
    { name: 'waddr', dir: 'input', width: 10, widthExpr: 'AW' },
    { name: 'wdata', dir: 'input', width: 32, widthExpr: 'WIDTH' },
    { name: 're', dir: 'input', width: 1 },
    { name: 'raddr', dir: 'input', width: 10, widthExpr: 'AW' },
    { name: 'rdata', dir: 'output', width: 32, widthExpr: 'WIDTH', reg: true, comment: 'mem[raddr] of the previous cycle (old data on a collision)' },
  ];
  const text = header('sdp_ram', ['One buffer bank: simple dual-port RAM, one write port, one registered read port (block RAM).'], prov) +
    '`default_nettype none\n\n' + moduleHead('sdp_ram', params, ports) + `
  reg [WIDTH-1:0] mem [0:DEPTH-1];

  always @(posedge clk) begin
    if (we) mem[waddr] <= wdata;
    if (re) rdata <= mem[raddr];
  end
` + tail;
  return { name: 'sdp_ram', text, ports, params };
}

function bankInst(indent: string, width: string, depth: string, aw: string, conn: Record<string, string>): string {
  const names = Object.keys(conn);
  const nw = Math.max(...names.map((n) => n.length));
  return `${indent}sdp_ram #(.WIDTH(${width}), .DEPTH(${depth}), .AW(${aw})) u_bank (\n` +
    names.map((n, i) => `${indent}  .${n.padEnd(nw)} (${conn[n]})${i < names.length - 1 ? ',' : ''}`).join('\n') + `\n${indent});\n`;
}

/** The host's write port of a banked buffer: one word per cycle into bank `wr_bank`. */
function hostWritePorts(banks: number, banksExpr: string, bankComment: string, addrBits: number, wordBits: number): Port[] {
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'wr_en', dir: 'input', width: 1, comment: 'host write of one word' },
    { name: 'wr_bank', dir: 'input', width: Math.ceil(Math.log2(banks)), widthExpr: `$clog2(${banksExpr})`, comment: bankComment },
    { name: 'wr_addr', dir: 'input', width: addrBits, widthExpr: 'AW' },
    { name: 'wr_data', dir: 'input', width: wordBits, widthExpr: 'WORD_W' },
  ];
}

export function ibufModule(p: RtlParams, prov: Provenance): VerilogModule {
  const b = p.ibuf;
  const params: VerilogParam[] = [
    { name: 'ROWS', value: p.rows },
    { name: 'WORD_W', value: p.wordBits },
    { name: 'DEPTH', value: b.depth, comment: 'words per bank, both halves' },
    { name: 'AW', value: b.addrBits },
  ];
  const host = hostWritePorts(p.rows, 'ROWS', 'row', b.addrBits, p.wordBits);
  const ports: Port[] = [
    ...host.slice(0, 3),
    { name: 'wr_mask', dir: 'input', width: p.rows, widthExpr: 'ROWS', comment: 'banks also written (wr_en not needed)' },
    ...host.slice(3),
    { name: 'rd_en', dir: 'input', width: 1, comment: 'controller: every bank reads, each at its own address' },
    { name: 'rd_addr', dir: 'input', width: p.rows * b.addrBits, widthExpr: 'ROWS*AW', comment: 'bank r at [r*AW +: AW]' },
    { name: 'rd_data', dir: 'output', width: p.rows * p.wordBits, widthExpr: 'ROWS*WORD_W', comment: 'row r at [r*WORD_W +: WORD_W], one cycle after rd_addr' },
  ];
  const text = header('ibuf', [
    'Input (activation) buffer: one bank per array row; bank r holds row r\'s packed activations and reads the',
    'address the controller computes for row r (rtl/walk.ts). All banks read together; the array skews the rows.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('ibuf', params, ports) + `
  genvar r;
  generate
    for (r = 0; r < ROWS; r = r + 1) begin : g_bank
${bankInst('      ', 'WORD_W', 'DEPTH', 'AW', {
    clk: 'clk', we: '(wr_en && wr_bank == r) || wr_mask[r]', waddr: 'wr_addr', wdata: 'wr_data', re: 'rd_en', raddr: 'rd_addr[r*AW +: AW]', rdata: 'rd_data[r*WORD_W +: WORD_W]',
  })}    end
  endgenerate
` + tail;
  return { name: 'ibuf', text, ports, params };
}

export function wbufModule(p: RtlParams, prov: Provenance): VerilogModule {
  const b = p.wbuf;
  const params: VerilogParam[] = [
    { name: 'ROWS', value: p.rows },
    { name: 'COLS', value: p.cols },
    { name: 'WORD_W', value: p.wordBits },
    { name: 'DEPTH', value: b.depth, comment: 'words per bank, both halves' },
    { name: 'AW', value: b.addrBits },
  ];
  const ports: Port[] = [
    ...hostWritePorts(p.rows * p.cols, 'ROWS*COLS', 'unit r*COLS + c', b.addrBits, p.wordBits),
    { name: 'rd_addr', dir: 'input', width: b.addrBits, widthExpr: 'AW', comment: 'controller: the step of the word read from IBUF this cycle' },
    { name: 'rd_data', dir: 'output', width: p.rows * p.cols * p.wordBits, widthExpr: 'ROWS*COLS*WORD_W', comment: 'unit (r,c) at [(r*COLS+c)*WORD_W +: WORD_W]' },
  ];
  const text = header('wbuf', [
    'Weight buffer: one bank per Fusion Unit, so every unit reads its own weight word each cycle. Bank (r,c)',
    'reads the controller\'s address r + c cycles late (a register chain down column 0 and along each row), so',
    'its word arrives in the cycle the unit multiplies the matching activation.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('wbuf', params, ports) + `
  // Read address of bank (r,c), delayed r + c cycles: u = r*COLS + c.
  wire [ROWS*COLS*AW-1:0] bank_addr;

  genvar r, c;
  generate
    for (r = 0; r < ROWS; r = r + 1) begin : g_row
      for (c = 0; c < COLS; c = c + 1) begin : g_col
        localparam U = r*COLS + c;
        if (U == 0) begin : g_origin
          assign bank_addr[0 +: AW] = rd_addr;
        end else begin : g_delay
          // from the left neighbour, or from the row above for column 0
          localparam FROM = (c == 0) ? U - COLS : U - 1;
          reg [AW-1:0] addr_q;
          always @(posedge clk) addr_q <= bank_addr[FROM*AW +: AW];
          assign bank_addr[U*AW +: AW] = addr_q;
        end
${bankInst('        ', 'WORD_W', 'DEPTH', 'AW', {
    clk: 'clk', we: 'wr_en && wr_bank == U', waddr: 'wr_addr', wdata: 'wr_data', re: "1'b1", raddr: 'bank_addr[U*AW +: AW]', rdata: 'rd_data[U*WORD_W +: WORD_W]',
  })}      end
    end
  endgenerate
` + tail;
  return { name: 'wbuf', text, ports, params };
}

export function obufModule(p: RtlParams, prov: Provenance): VerilogModule {
  const b = p.obuf;
  const params: VerilogParam[] = [
    { name: 'COLS', value: p.cols },
    { name: 'ACC_W', value: p.accBits },
    { name: 'DEPTH', value: b.depth, comment: 'words per bank, both halves' },
    { name: 'AW', value: b.addrBits },
  ];
  const ports: Port[] = [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'tile_start', dir: 'input', width: 1, comment: 'a tile begins: every column restarts at wr_base' },
    { name: 'wr_base', dir: 'input', width: b.addrBits, widthExpr: 'AW', comment: 'address of output m = 0 (half bit included)' },
    { name: 'wr_en', dir: 'input', width: p.cols, widthExpr: 'COLS', comment: 'column c finished an output' },
    { name: 'wr_data', dir: 'input', width: p.cols * p.accBits, widthExpr: 'COLS*ACC_W' },
    { name: 'rd_bank', dir: 'input', width: Math.ceil(Math.log2(p.cols)), widthExpr: '$clog2(COLS)', comment: 'host read: column' },
    { name: 'rd_addr', dir: 'input', width: b.addrBits, widthExpr: 'AW' },
    { name: 'rd_data', dir: 'output', width: p.accBits, widthExpr: 'ACC_W', comment: 'one cycle after rd_bank/rd_addr' },
    {
      name: 'rd_wide', dir: 'output', width: p.cols * p.accBits, widthExpr: 'COLS*ACC_W',
      comment: 'every bank\'s word at rd_addr, bank c at [c*ACC_W +: ACC_W], one cycle after rd_addr',
    },
    { name: 'init_rd', dir: 'input', width: p.cols, widthExpr: 'COLS', comment: 'column c reads its next partial sum (continuation tile)' },
    {
      name: 'init_data', dir: 'output', width: p.cols * p.accBits, widthExpr: 'COLS*ACC_W',
      comment: 'column c at [c*ACC_W +: ACC_W], one cycle after init_rd[c]',
    },
  ];
  const text = header('obuf', [
    'Output buffer: one bank per array column. Column c writes its outputs m = 0, 1, ... of a tile to',
    'consecutive words from wr_base. The read port reads rd_addr in every bank: rd_wide is all the banks\' words',
    '(the output unit\'s read), rd_data bank rd_bank\'s (the host\'s), both one cycle later.',
    'A continuation tile reads its partial sums back from the same words, in the same order, through a',
    'second pointer per bank: in a cycle with init_rd[c] bank c serves that read, so the host does not read',
    'OBUF while a continuation tile runs.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('obuf', params, ports) + `
  wire [COLS*ACC_W-1:0]      bank_rdata;
  reg  [$clog2(COLS)-1:0]    rd_bank_q;

  always @(posedge clk) rd_bank_q <= rd_bank;
  assign rd_data = bank_rdata[rd_bank_q*ACC_W +: ACC_W];

  genvar c;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_bank
      reg [AW-1:0] next_addr;   // next output to write
      reg [AW-1:0] init_addr;   // next partial sum to read back

      always @(posedge clk) begin
        if (tile_start)   next_addr <= wr_base;
        else if (wr_en[c]) next_addr <= next_addr + 1'b1;
        if (tile_start)     init_addr <= wr_base;
        else if (init_rd[c]) init_addr <= init_addr + 1'b1;
      end

${bankInst('      ', 'ACC_W', 'DEPTH', 'AW', {
    clk: 'clk', we: 'wr_en[c]', waddr: 'next_addr', wdata: 'wr_data[c*ACC_W +: ACC_W]', re: "1'b1",
    raddr: 'init_rd[c] ? init_addr : rd_addr', rdata: 'bank_rdata[c*ACC_W +: ACC_W]',
  })}    end
  endgenerate

  assign init_data = bank_rdata;
  assign rd_wide   = bank_rdata;
` + tail;
  return { name: 'obuf', text, ports, params };
}
