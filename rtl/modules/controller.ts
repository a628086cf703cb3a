// tile_controller.v: runs one tile from a descriptor (see rtl/descriptor.ts) with a start/done handshake.
import { descriptorBits, descriptorLayout } from '../descriptor.js';
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, VerilogParam, header, moduleHead, table } from '../verilog.js';

export function controllerPorts(p: RtlParams): Port[] {
  const dw = descriptorBits(p);
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    { name: 'start', dir: 'input', width: 1, comment: 'accepted when idle: desc is latched, the first IBUF read is the next cycle' },
    { name: 'desc', dir: 'input', width: dw, widthExpr: 'DESC_W' },
    { name: 'busy', dir: 'output', width: 1 },
    { name: 'done', dir: 'output', width: 1, reg: true, comment: 'one-cycle pulse, the cycle after the last OBUF write' },
    { name: 'a_bits', dir: 'output', width: 2, comment: 'mode of the running tile' },
    { name: 'w_bits', dir: 'output', width: 2 },
    { name: 'a_signed', dir: 'output', width: 1 },
    { name: 'w_signed', dir: 'output', width: 1 },
    { name: 'ib_rd_en', dir: 'output', width: 1, comment: 'cycle t of the tile: read word t' },
    { name: 'ib_rd_addr', dir: 'output', width: p.ibuf.addrBits, widthExpr: 'IB_AW' },
    { name: 'wb_rd_addr', dir: 'output', width: p.wbuf.addrBits, widthExpr: 'WB_AW', comment: 'step s of word t (WBUF skews it per bank)' },
    { name: 'acc_mode', dir: 'output', width: 1, comment: 'continuation tile: accumulators start from OBUF' },
    { name: 'ob_start', dir: 'output', width: 1, comment: 'restart the OBUF column write and continuation read pointers' },
    { name: 'ob_base', dir: 'output', width: p.obuf.addrBits, widthExpr: 'OB_AW', comment: 'with ob_start: the tile\'s OBUF address of output 0' },
    { name: 'word_valid', dir: 'output', width: 1, reg: true, comment: 'flags of the word on the IBUF read data this cycle' },
    { name: 'word_first', dir: 'output', width: 1, reg: true },
    { name: 'word_last', dir: 'output', width: 1, reg: true },
  ];
}

export function controllerParams(p: RtlParams): VerilogParam[] {
  return [
    { name: 'ROWS', value: p.rows },
    { name: 'COLS', value: p.cols },
    { name: 'CNT_W', value: p.countBits, comment: 'M and S counters' },
    { name: 'IB_AW', value: p.ibuf.addrBits },
    { name: 'WB_AW', value: p.wbuf.addrBits },
    { name: 'OB_AW', value: p.obuf.addrBits },
    { name: 'IB_OW', value: p.ibuf.offsetBits, comment: 'offset inside one half' },
    { name: 'WB_OW', value: p.wbuf.offsetBits },
    { name: 'OB_OW', value: p.obuf.offsetBits },
    { name: 'DESC_W', value: descriptorBits(p) },
  ];
}

/** `{half, offset}` for a double-buffered bank, the offset alone otherwise. */
function addr(db: boolean, offset: string): string {
  return db ? `{d_half, ${offset}}` : offset;
}

export function controllerModule(p: RtlParams, prov: Provenance): VerilogModule {
  const ports = controllerPorts(p);
  const params = controllerParams(p);
  const layout = descriptorLayout(p);
  const widthOf: Record<string, string> = {
    a_bits: '2', w_bits: '2', a_signed: '1', w_signed: '1', half: '1', m: 'CNT_W', s: 'CNT_W',
    ibuf_base: 'IB_OW', wbuf_base: 'WB_OW', obuf_base: 'OB_OW', acc: '1', ob_half: '1',
  };
  // Half bits of buffers that are not double-buffered select nothing: they are left out.
  const unused = new Set([
    ...(p.ibuf.doubleBuffered || p.wbuf.doubleBuffered ? [] : ['half']),
    ...(p.obuf.doubleBuffered ? [] : ['ob_half']),
  ]);
  const fieldRows = layout.filter((f) => !unused.has(f.name))
    .map((f) => [`localparam F_${f.name.toUpperCase()}`, `= ${f.lsb};`, `// ${widthOf[f.name]} bit${f.bits > 1 ? 's' : ''}`]);
  // IBUF and OBUF bases are consumed at start (the read offset and the OBUF pointers load them).
  const held = layout.filter((f) => !['ibuf_base', 'obuf_base', 'ob_half'].includes(f.name) && !unused.has(f.name));
  const latch = held.map((f) => {
    const w = widthOf[f.name];
    const sel = w === '1' ? `desc[F_${f.name.toUpperCase()}]` : `desc[F_${f.name.toUpperCase()} +: ${w}]`;
    return [`d_${f.name}`, `<= ${sel};`];
  });
  const regs = held.map((f) => {
    const w = widthOf[f.name];
    return [`reg`, w === '1' ? '' : `[${w === '2' ? '1' : w + '-1'}:0]`, `d_${f.name};`];
  });
  const text = header('tile_controller', [
    'Runs one tile: after `start` (when idle) it latches the descriptor and, from the next cycle (tile cycle 0),',
    'reads IBUF word t = m*S + s in cycle t for t = 0 .. M*S-1 with the weight step s, then waits for the',
    'pipeline to drain: the last OBUF write is in cycle M*S + ROWS + COLS (tileCycles - 1 of',
    'hw/array-timing.ts) and `done` pulses in the cycle after it. So start-to-done takes tileCycles + 1 cycles',
    'counted from the cycle start is high: one cycle to accept the descriptor, one for the done pulse; the',
    'tile itself takes exactly tileCycles. A start while busy is ignored. A continuation tile (acc set) costs',
    'no extra cycle: the array reads each output\'s partial sum from OBUF inside its pipeline.',
    '',
    'Descriptor fields (least significant first), as packed by packDescriptor() in rtl/descriptor.ts:',
    ...layout.map((f) => `  [${f.bits > 1 ? `${f.lsb + f.bits - 1}:` : ''}${f.lsb}] ${f.name}`),
  ], prov) + '`default_nettype none\n\n' + moduleHead('tile_controller', params, ports) + `
${table(fieldRows)}
  localparam DRAIN = ROWS + COLS;  // cycles from the last read to the last OBUF write

  localparam [1:0] S_IDLE   = 2'd0;
  localparam [1:0] S_STREAM = 2'd1;
  localparam [1:0] S_DRAIN  = 2'd2;

  reg [1:0] state;

  // Latched descriptor
${table(regs)}
  reg [CNT_W-1:0] m_cnt;      // output pixel of the word read this cycle
  reg [CNT_W-1:0] s_cnt;      // its reduction step
  reg [IB_OW-1:0] t_off;      // ibuf_base + t
  reg [$clog2(DRAIN+1)-1:0] drain_cnt;

  wire streaming = (state == S_STREAM);
  wire last_word = (m_cnt == d_m - 1'b1) && (s_cnt == d_s - 1'b1);

  always @(posedge clk) begin
    if (rst) begin
      state <= S_IDLE;
      done  <= 1'b0;
    end else begin
      done <= 1'b0;
      case (state)
        S_IDLE: if (start) state <= S_STREAM;
        S_STREAM: if (last_word) state <= S_DRAIN;
        S_DRAIN: if (drain_cnt == DRAIN[$clog2(DRAIN+1)-1:0]) begin
          state <= S_IDLE;
          done  <= 1'b1;
        end
        default: state <= S_IDLE;
      endcase
    end
  end

  always @(posedge clk) begin
    if (state == S_IDLE && start) begin
${latch.map(([a, b]) => `      ${a.padEnd(Math.max(...latch.map((x) => x[0].length)))} ${b}`).join('\n')}
      m_cnt     <= {CNT_W{1'b0}};
      s_cnt     <= {CNT_W{1'b0}};
      t_off     <= desc[F_IBUF_BASE +: IB_OW];
    end else if (streaming) begin
      t_off <= t_off + 1'b1;
      if (s_cnt == d_s - 1'b1) begin
        s_cnt <= {CNT_W{1'b0}};
        m_cnt <= m_cnt + 1'b1;
      end else begin
        s_cnt <= s_cnt + 1'b1;
      end
    end
    drain_cnt <= (state == S_DRAIN) ? drain_cnt + 1'b1 : {$clog2(DRAIN+1){1'b0}};
  end

  // The read data arrives one cycle after the address: the word's flags follow one cycle later too.
  always @(posedge clk) begin
    word_valid <= !rst && streaming;
    word_first <= s_cnt == {CNT_W{1'b0}};
    word_last  <= s_cnt == d_s - 1'b1;
  end

  wire [WB_OW-1:0] w_off = d_wbuf_base + ${p.wbuf.offsetBits <= p.countBits ? 's_cnt[WB_OW-1:0]' : "{{(WB_OW-CNT_W){1'b0}}, s_cnt}"};

  assign busy       = (state != S_IDLE);
  assign a_bits     = d_a_bits;
  assign w_bits     = d_w_bits;
  assign a_signed   = d_a_signed;
  assign w_signed   = d_w_signed;
  assign ib_rd_en   = streaming;
  assign ib_rd_addr = ${addr(p.ibuf.doubleBuffered, 't_off')};
  assign wb_rd_addr = ${addr(p.wbuf.doubleBuffered, 'w_off')};
  assign acc_mode   = d_acc;
  assign ob_start   = (state == S_IDLE) && start;
  assign ob_base    = ${p.obuf.doubleBuffered ? '{desc[F_OB_HALF], desc[F_OBUF_BASE +: OB_OW]}' : 'desc[F_OBUF_BASE +: OB_OW]'};

endmodule

\`default_nettype wire
`;
  return { name: 'tile_controller', text, ports, params };
}
