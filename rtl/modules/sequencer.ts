// net_sequencer.v: runs a network program (rtl/net-program.ts, binary form rtl/isa.ts) from its instruction
// memory, handing each instruction's payload to the engine that carries it out.
import { ENGINE_OF, ENGINE_BIT } from '../net-deps.js';
import { MASK_BITS, MASK_LSB, OPCODES, instrLayout } from '../isa.js';
import type { NetInstr } from '../net-program.js';
import { descriptorBits, rowTableBits } from '../descriptor.js';
import { outputDescriptorBits } from '../output-path.js';
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead, table } from '../verilog.js';

/** Which engine carries out each op (rtl/net-deps.ts, where the wait masks come from). */
export { ENGINE_OF } from '../net-deps.js';

/** Why the sequencer stopped (stop_code). */
export const STOP_CODE = { end: 0, host: 1, badOpcode: 2 } as const;

/** Payload words of the longest instruction. */
export function maxPayloadWords(p: RtlParams): number {
  return Math.max(...(Object.keys(OPCODES) as NetInstr['op'][]).map((op) => {
    const l = instrLayout(op, p);
    return l.length ? Math.ceil((l[l.length - 1].lsb + l[l.length - 1].bits) / 32) : 0;
  }));
}

export interface SequencerParams {
  /** Instruction memory word address bits. */
  imAddrBits: number;
}

export function sequencerParams(p: RtlParams, s: SequencerParams): VerilogParam[] {
  return [
    { name: 'IM_AW', value: s.imAddrBits, comment: 'instruction memory: 2^IM_AW 32-bit words' },
    { name: 'PAY_N', value: maxPayloadWords(p), comment: 'payload words of the longest instruction' },
    { name: 'ROWS', value: p.rows },
    { name: 'DESC_W', value: descriptorBits(p) },
    { name: 'OP_DESC_W', value: outputDescriptorBits(p) },
    { name: 'RT_RW', value: Math.max(1, clog2(p.rows)) },
    { name: 'RT_W', value: rowTableBits(p) },
  ];
}

export function sequencerPorts(p: RtlParams, s: SequencerParams): Port[] {
  const payBits = maxPayloadWords(p) * 32;
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    { name: 'im_we', dir: 'input', width: 1, comment: 'host: instruction memory write (while idle)' },
    { name: 'im_waddr', dir: 'input', width: s.imAddrBits, widthExpr: 'IM_AW' },
    { name: 'im_wdata', dir: 'input', width: 32 },
    { name: 'run', dir: 'input', width: 1, comment: 'host: start at run_pc (when idle)' },
    { name: 'run_pc', dir: 'input', width: s.imAddrBits, widthExpr: 'IM_AW' },
    { name: 'busy', dir: 'output', width: 1 },
    { name: 'pc', dir: 'output', width: s.imAddrBits, widthExpr: 'IM_AW', reg: true, comment: 'status: the first word of the instruction being fetched or issued' },
    { name: 'halted', dir: 'output', width: 1, reg: true, comment: 'one-cycle pulse: stopped at an end, a host step or a bad opcode' },
    { name: 'stop_code', dir: 'output', width: 2, reg: true, comment: '0 end, 1 host step, 2 bad opcode' },
    { name: 'stop_pc', dir: 'output', width: s.imAddrBits, widthExpr: 'IM_AW', reg: true, comment: 'the word after the stopping instruction' },
    { name: 'stop_arg', dir: 'output', width: 16, reg: true, comment: 'the host step\'s number, or the bad opcode' },
    { name: 'fields', dir: 'output', width: payBits, widthExpr: 'PAY_N*32', comment: 'the current instruction\'s payload' },
    { name: 'ld_valid', dir: 'output', width: 1, comment: 'loader command (op, fields)' },
    { name: 'ld_ready', dir: 'input', width: 1 },
    { name: 'ld_done', dir: 'input', width: 1 },
    { name: 'st_valid', dir: 'output', width: 1, comment: 'storer command (op, fields)' },
    { name: 'st_ready', dir: 'input', width: 1 },
    { name: 'st_done', dir: 'input', width: 1 },
    { name: 'cmd_op', dir: 'output', width: 8, comment: 'the op of ld_valid / st_valid' },
    { name: 'tile_start', dir: 'output', width: 1, comment: 'core: start with tile_desc' },
    { name: 'tile_desc', dir: 'output', width: descriptorBits(p), widthExpr: 'DESC_W' },
    { name: 'tile_busy', dir: 'input', width: 1 },
    { name: 'tile_done', dir: 'input', width: 1 },
    { name: 'rt_wr_en', dir: 'output', width: 1, reg: true, comment: 'core: row table write' },
    { name: 'rt_wr_row', dir: 'output', width: Math.max(1, clog2(p.rows)), widthExpr: 'RT_RW', reg: true },
    { name: 'rt_wr_data', dir: 'output', width: rowTableBits(p), widthExpr: 'RT_W', reg: true },
    { name: 'op_start', dir: 'output', width: 1, comment: 'output unit: start with op_desc' },
    { name: 'op_desc', dir: 'output', width: outputDescriptorBits(p), widthExpr: 'OP_DESC_W' },
    { name: 'op_busy', dir: 'input', width: 1 },
    { name: 'op_done', dir: 'input', width: 1 },
  ];
}

export function sequencerModule(p: RtlParams, s: SequencerParams, prov: Provenance): VerilogModule {
  const params = sequencerParams(p, s);
  const ports = sequencerPorts(p, s);
  const ops = Object.entries(OPCODES) as Array<[NetInstr['op'], number]>;
  const name = (op: string) => `OP_${op.replace('-', '_').toUpperCase()}`;
  const opRows = ops.map(([op, code]) => [`localparam [7:0] ${name(op)}`, `= 8'd${code};`]);
  const bit = (e: keyof typeof ENGINE_BIT) => Math.log2(ENGINE_BIT[e]);
  const outVec = '{' + [3, 2, 1, 0].map((k) => ({ [bit('loader')]: 'ld_out', [bit('storer')]: 'st_out', [bit('core')]: 'core_out', [bit('output')]: 'op_out' })[k]).join(', ') + '}';
  const of = (engine: string) => ops.filter(([op]) => ENGINE_OF[op] === engine).map(([op]) => `op == ${name(op)}`).join(' || ');
  const text = header('net_sequencer', [
    'Network program sequencer: after `run` it fetches instructions from its instruction memory, starting at',
    `run_pc. An instruction is a header word (op in [7:0], payload words in [15:8], wait mask in [${MASK_LSB + MASK_BITS - 1}:${MASK_LSB}]) and its payload`,
    '(rtl/isa.ts); the payload goes out on `fields` and the op to its engine: loads to the loader, stores to the',
    'storer, tiles to the core (the payload is the tile descriptor), output passes to the output unit (the pass',
    'descriptor); a rows instruction becomes ROWS row-table writes. The engines latch their command when they',
    'accept it, so the sequencer fetches the next instruction while they run.',
    'Issue is in order, each engine one command at a time: an instruction issues when its engine has no command',
    'outstanding (accepted, done not yet seen) and neither has any engine of its wait mask (bit 0 loader,',
    '1 storer, 2 core, 3 output unit). The compiler sets the mask from what the instructions read and write',
    '(rtl/net-deps.ts), so the overlapped run leaves memory as the sequential one does. A rows instruction',
    'waits for its mask too (the core, when a tile reading the row table may run).',
    'An end or a host step waits for every engine to finish, then stops it (halted, stop_code, stop_pc = the',
    'next instruction): the host runs the step on memory and resumes with run at stop_pc. An unknown opcode',
    'stops it with code 2, also after the engines finish.',
    'Fetch: the header read takes two cycles, each payload word one more (the memory reads are pipelined).',
  ], prov) + '`default_nettype none\n\n' + moduleHead('net_sequencer', params, ports) + `
${table(opRows)}
  localparam [2:0] S_IDLE  = 3'd0;  // waiting for run
  localparam [2:0] S_FETCH = 3'd1;  // header read issued
  localparam [2:0] S_HEAD  = 3'd2;  // header on the read data
  localparam [2:0] S_PAY   = 3'd3;  // payload words arriving
  localparam [2:0] S_ISSUE = 3'd4;  // waiting for the engine and the wait mask, then handing the instruction on
  localparam [2:0] S_ROWS  = 3'd6;  // row table writes

  reg  [2:0]         state;
  reg  [IM_AW-1:0]   ptr;       // the next payload word to read
  reg  [7:0]         op;
  reg  [7:0]         n;         // payload words
  reg  [7:0]         got;       // payload words captured
  reg  [3:0]         mask;      // engines that must be idle before the issue
  reg  [PAY_N*32-1:0] pay;
  reg  [RT_RW:0]     row;
  reg                ld_out, st_out, core_out, op_out;  // a command accepted and its done not yet seen

  wire               re    = (state == S_FETCH) || (state == S_HEAD && im_rdata[15:8] != 8'd0) || (state == S_PAY && got + 8'd1 < n);
  wire [IM_AW-1:0]   raddr = (state == S_FETCH) ? pc : (state == S_HEAD) ? pc + 1'b1 : ptr;
  wire [31:0]        im_rdata;
  wire [IM_AW-1:0]   next_pc = pc + {{(IM_AW-8){1'b0}}, n} + 1'b1;

  sdp_ram #(.WIDTH(32), .DEPTH(1 << IM_AW), .AW(IM_AW)) u_imem (
    .clk   (clk),
    .we    (im_we),
    .waddr (im_waddr),
    .wdata (im_wdata),
    .re    (re),
    .raddr (raddr),
    .rdata (im_rdata)
  );

  wire is_loader = ${of('loader')};
  wire is_storer = ${of('storer')};
  wire is_tile   = ${of('core')};
  wire is_rows   = ${of('rows')};
  wire is_output = ${of('output')};
  wire is_host   = op == ${name('host')};
  wire is_end    = op == ${name('end')};

  // Outstanding commands by mask bit: loader ${bit('loader')}, storer ${bit('storer')}, core ${bit('core')}, output unit ${bit('output')}.
  wire [3:0] outstanding = ${outVec};
  wire       mask_ok     = (mask & outstanding) == 4'd0;
  wire       engine_free = is_loader ? !ld_out : is_storer ? !st_out : is_tile ? !core_out : is_output ? !op_out : 1'b1;
  wire       issuing     = (state == S_ISSUE) && mask_ok && engine_free;
  wire       halting     = (state == S_ISSUE) && !(is_loader || is_storer || is_tile || is_output || is_rows) && outstanding == 4'd0;

  assign busy       = (state != S_IDLE);
  assign fields     = pay;
  assign cmd_op     = op;
  assign ld_valid   = issuing && is_loader;
  assign st_valid   = issuing && is_storer;
  assign tile_start = issuing && is_tile && !tile_busy;
  assign tile_desc  = pay[DESC_W-1:0];
  assign op_start   = issuing && is_output && !op_busy;
  assign op_desc    = pay[OP_DESC_W-1:0];

  wire ld_acc = ld_valid && ld_ready;
  wire st_acc = st_valid && st_ready;

  always @(posedge clk) begin
    halted   <= 1'b0;
    rt_wr_en <= 1'b0;
    if (rst) begin
      state    <= S_IDLE;
      ld_out   <= 1'b0;
      st_out   <= 1'b0;
      core_out <= 1'b0;
      op_out   <= 1'b0;
    end else begin
      if (ld_acc) ld_out <= 1'b1;
      else if (ld_done) ld_out <= 1'b0;
      if (st_acc) st_out <= 1'b1;
      else if (st_done) st_out <= 1'b0;
      if (tile_start) core_out <= 1'b1;
      else if (tile_done) core_out <= 1'b0;
      if (op_start) op_out <= 1'b1;
      else if (op_done) op_out <= 1'b0;
      case (state)
        S_IDLE: if (run) begin
          pc    <= run_pc;
          state <= S_FETCH;
        end
        S_FETCH: state <= S_HEAD;
        S_HEAD: begin
          op    <= im_rdata[7:0];
          n     <= im_rdata[15:8];
          mask  <= im_rdata[${MASK_LSB + MASK_BITS - 1}:${MASK_LSB}];
          got   <= 8'd0;
          ptr   <= pc + {{(IM_AW-2){1'b0}}, 2'd2};
          pay   <= {(PAY_N*32){1'b0}};
          state <= (im_rdata[15:8] == 8'd0) ? S_ISSUE : S_PAY;
        end
        S_PAY: begin
          pay[got*32 +: 32] <= im_rdata;
          got <= got + 8'd1;
          ptr <= ptr + 1'b1;
          if (got + 8'd1 == n) state <= S_ISSUE;
        end
        S_ISSUE: begin
          if (ld_acc || st_acc || tile_start || op_start) begin
            pc    <= next_pc;
            state <= S_FETCH;
          end else if (issuing && is_rows) begin
            row   <= {(RT_RW+1){1'b0}};
            state <= S_ROWS;
          end else if (halting) begin
            halted    <= 1'b1;
            stop_code <= is_end ? 2'd${STOP_CODE.end} : is_host ? 2'd${STOP_CODE.host} : 2'd${STOP_CODE.badOpcode};
            stop_pc   <= next_pc;
            stop_arg  <= is_host ? pay[15:0] : {8'd0, op};
            state     <= S_IDLE;
          end
        end
        S_ROWS: begin
          rt_wr_en   <= 1'b1;
          rt_wr_row  <= row[RT_RW-1:0];
          rt_wr_data <= pay[row[RT_RW-1:0]*RT_W +: RT_W];
          row        <= row + 1'b1;
          if (row == ROWS - 1) begin
            pc    <= next_pc;
            state <= S_FETCH;
          end
        end
        default: state <= S_IDLE;
      endcase
    end
  end

endmodule

\`default_nettype wire
`;
  return { name: 'net_sequencer', text, ports, params };
}
