// tile_controller.v: runs one tile from a descriptor (see rtl/descriptor.ts) with a start/done handshake.
import { KW_BITS, descriptorBits, descriptorLayout, gsBits, rowTableBits } from '../descriptor.js';
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
    { name: 'rt_wr_en', dir: 'input', width: 1, comment: 'row table write (not while a tile runs)' },
    { name: 'rt_wr_row', dir: 'input', width: Math.max(1, Math.ceil(Math.log2(p.rows))), widthExpr: 'RT_RW' },
    { name: 'rt_wr_data', dir: 'input', width: rowTableBits(p), widthExpr: 'RT_W', comment: '{off, g, kx}: the row\'s first window word' },
    { name: 'ib_rd_en', dir: 'output', width: 1, comment: 'cycle t of the tile: read word t' },
    { name: 'ib_rd_addr', dir: 'output', width: p.rows * p.ibuf.addrBits, widthExpr: 'ROWS*IB_AW', comment: 'bank r at [r*IB_AW +: IB_AW]' },
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
    { name: 'GS_W', value: gsBits(p), comment: 'channel words of a pixel (a window digit)' },
    { name: 'KW_W', value: KW_BITS, comment: 'kernel columns (a window digit)' },
    { name: 'RT_RW', value: Math.max(1, Math.ceil(Math.log2(p.rows))) },
    { name: 'RT_W', value: rowTableBits(p) },
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
    ibuf_base: 'IB_OW', wbuf_base: 'WB_OW', obuf_base: 'OB_OW', acc: '1', ob_half: '1', wb_half: '1',
    block_cols: 'CNT_W', pix_x: 'IB_OW', pix_y: 'IB_OW', gs: 'GS_W', kw: 'KW_W', dg: 'GS_W', dkx: 'KW_W', step: 'IB_OW', cg: 'IB_OW', cx: 'IB_OW',
  };
  // Half bits of buffers that are not double-buffered select nothing: they are left out.
  const unused = new Set([
    ...(p.ibuf.doubleBuffered ? [] : ['half']),
    ...(p.wbuf.doubleBuffered ? [] : ['wb_half']),
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
    'Each array row reads its own IBUF bank at its own address (rtl/walk.ts): the row keeps its window word as',
    'digits (kx, g) and a bank offset, restarts them from its row-table entry at every output pixel and moves',
    'them by the descriptor\'s constants every step; the address is the pixel base plus the offset. The pixel base',
    'starts at ibuf_base and moves by pix_x along a block row of block_cols pixels, by pix_y to the next. A row',
    'past the reduction reads some word of the half: its weights are zero. The row table resets to word r of the',
    'im2col order, which with the default walk reads word t = m*S + s of every bank.',
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
  reg [CNT_W-1:0] col;        // its column in the block row
  reg [IB_OW-1:0] pix;        // its pixel base: ibuf_base + the block position's offset
  reg [$clog2(DRAIN+1)-1:0] drain_cnt;

  wire streaming = (state == S_STREAM);
  wire last_step = (s_cnt == d_s - 1'b1);
  wire last_word = (m_cnt == d_m - 1'b1) && last_step;
  // Rows restart their window at the tile's first pixel and at every next one; otherwise they step.
  wire accept    = (state == S_IDLE) && start;
  wire restart   = accept || (streaming && last_step);

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
      col       <= {CNT_W{1'b0}};
      pix       <= desc[F_IBUF_BASE +: IB_OW];
    end else if (streaming) begin
      if (last_step) begin
        s_cnt <= {CNT_W{1'b0}};
        m_cnt <= m_cnt + 1'b1;
        if (col == d_block_cols - 1'b1) begin
          col <= {CNT_W{1'b0}};
          pix <= pix + d_pix_y;
        end else begin
          col <= col + 1'b1;
          pix <= pix + d_pix_x;
        end
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

  // Per-row window walk (rtl/walk.ts walkOffsets): the row table, and each row's digits and bank offset.
  genvar r;
  generate
    for (r = 0; r < ROWS; r = r + 1) begin : g_row
      reg  [KW_W-1:0]  init_kx;
      reg  [GS_W-1:0]  init_g;
      reg  [IB_OW-1:0] init_off;
      reg  [KW_W-1:0]  kx;
      reg  [GS_W-1:0]  g;
      reg  [IB_OW-1:0] off;

      wire [GS_W:0]    g_sum   = {1'b0, g} + {1'b0, d_dg};
      wire             g_carry = (g_sum >= {1'b0, d_gs});
      wire [GS_W-1:0]  g_next  = g_carry ? g_sum[GS_W-1:0] - d_gs : g_sum[GS_W-1:0];
      wire [KW_W:0]    kx_sum  = {1'b0, kx} + {1'b0, d_dkx} + {{KW_W{1'b0}}, g_carry};
      wire             x_carry = (kx_sum >= {1'b0, d_kw});
      wire [KW_W-1:0]  kx_next = x_carry ? kx_sum[KW_W-1:0] - d_kw : kx_sum[KW_W-1:0];

      always @(posedge clk) begin
        if (rst) begin
          init_kx  <= {KW_W{1'b0}};
          init_g   <= r;
          init_off <= {IB_OW{1'b0}};
        end else if (rt_wr_en && rt_wr_row == r) begin
          {init_off, init_g, init_kx} <= rt_wr_data;
        end
      end

      always @(posedge clk) begin
        if (restart) begin
          kx  <= init_kx;
          g   <= init_g;
          off <= init_off;
        end else if (streaming) begin
          kx  <= kx_next;
          g   <= g_next;
          off <= off + d_step + (g_carry ? d_cg : {IB_OW{1'b0}}) + (x_carry ? d_cx : {IB_OW{1'b0}});
        end
      end

      wire [IB_OW-1:0] row_off = pix + off;
      assign ib_rd_addr[r*IB_AW +: IB_AW] = ${addr(p.ibuf.doubleBuffered, 'row_off')};
    end
  endgenerate

  wire [WB_OW-1:0] w_off = d_wbuf_base + ${p.wbuf.offsetBits <= p.countBits ? 's_cnt[WB_OW-1:0]' : "{{(WB_OW-CNT_W){1'b0}}, s_cnt}"};

  assign busy       = (state != S_IDLE);
  assign a_bits     = d_a_bits;
  assign w_bits     = d_w_bits;
  assign a_signed   = d_a_signed;
  assign w_signed   = d_w_signed;
  assign ib_rd_en   = streaming;
  assign wb_rd_addr = ${p.wbuf.doubleBuffered ? '{d_wb_half, w_off}' : 'w_off'};
  assign acc_mode   = d_acc;
  assign ob_start   = accept;
  assign ob_base    = ${p.obuf.doubleBuffered ? '{desc[F_OB_HALF], desc[F_OBUF_BASE +: OB_OW]}' : 'desc[F_OBUF_BASE +: OB_OW]'};

endmodule

\`default_nettype wire
`;
  return { name: 'tile_controller', text, ports, params };
}
