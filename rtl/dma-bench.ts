// The DMA engine's simulation bench: axi_dma_bench.v wires axi_dma to axi_dram_model, a command FIFO the
// stimulus fills, and a local memory with a registered read (a buffer bank), and brings every handshake out
// to a port. runDmaBench() loads both memories through back doors, queues commands, runs the generic
// per-cycle harness (rtl/sim.ts) and turns the response into the same trace simulateDma() gives, plus the
// DRAM's contents read back at the end.
import { AxiDmaParams, DmaTrace, DramTiming, QueuedCommand } from './axi-model.js';
import { axiDmaModule } from './modules/axi-dma.js';
import { DramModelParams, axiDramModelModule } from './modules/axi-dram-model.js';
import { SimTop, cycleInputs, runIcarus, runVerilator, valueOf } from './sim.js';
import { Port, Provenance, VerilogModule, clog2, header, moduleHead } from './verilog.js';

/** Commands the bench's FIFO holds. */
const CQ_DEPTH = 8;

export interface DmaBenchSetup {
  dma: AxiDmaParams;
  dram: DramTiming;
  /** DRAM size in beats (power of two). */
  dramWords: number;
}

function benchPorts(s: DmaBenchSetup): Port[] {
  const a = s.dma;
  const d = a.dataBits;
  const p = (name: string, dir: 'input' | 'output', width: number): Port => ({ name, dir, width });
  return [
    p('clk', 'input', 1), p('rst', 'input', 1),
    p('cq_push', 'input', 1), p('cq_write', 'input', 1), p('cq_addr', 'input', a.addrBits), p('cq_len', 'input', a.lenBits),
    p('cq_sel', 'input', a.selBits), p('cq_local', 'input', a.localAddrBits),
    p('bd_we', 'input', 1), p('bd_addr', 'input', clog2(s.dramWords)), p('bd_wdata', 'input', d),
    p('lm_we', 'input', 1), p('lm_sel', 'input', a.selBits), p('lm_addr', 'input', a.localAddrBits), p('lm_wdata', 'input', d),
    p('cmd_fire', 'output', 1), p('done', 'output', 1), p('err', 'output', 1),
    p('ar_fire', 'output', 1), p('araddr', 'output', a.addrBits), p('arlen', 'output', 8),
    p('aw_fire', 'output', 1), p('awaddr', 'output', a.addrBits), p('awlen', 'output', 8),
    p('r_fire', 'output', 1), p('w_fire', 'output', 1), p('wlast', 'output', 1), p('wdata', 'output', d), p('b_fire', 'output', 1),
    p('lw_en', 'output', 1), p('lw_sel', 'output', a.selBits), p('lw_addr', 'output', a.localAddrBits), p('lw_data', 'output', d),
    p('lr_en', 'output', 1), p('lr_sel', 'output', a.selBits), p('lr_addr', 'output', a.localAddrBits),
    p('bd_rdata', 'output', d),
  ];
}

function conn(indent: string, c: Record<string, string>): string {
  const names = Object.keys(c);
  const w = Math.max(...names.map((n) => n.length));
  return names.map((n, i) => `${indent}.${n.padEnd(w)} (${c[n]})${i < names.length - 1 ? ',' : ''}`).join('\n');
}

export function dmaBenchModule(s: DmaBenchSetup, prov: Provenance): VerilogModule {
  const a = s.dma;
  const ports = benchPorts(s);
  const axi = ['araddr', 'arlen', 'arvalid', 'arready', 'rdata', 'rresp', 'rlast', 'rvalid', 'rready', 'awaddr', 'awlen', 'awvalid', 'awready',
    'wdata', 'wstrb', 'wlast', 'wvalid', 'wready', 'bresp', 'bvalid', 'bready'];
  const dmaConn: Record<string, string> = {
    clk: 'clk', rst: 'rst', cmd_valid: 'cq_count != 0', cmd_ready: 'cmd_ready', cmd_write: 'cq_write_q[cq_head]', cmd_addr: 'cq_addr_q[cq_head]',
    cmd_len: 'cq_len_q[cq_head]', cmd_sel: 'cq_sel_q[cq_head]', cmd_local: 'cq_local_q[cq_head]', done: 'done', err: 'err',
    lw_en: 'lw_en', lw_sel: 'lw_sel', lw_addr: 'lw_addr', lw_data: 'lw_data', lr_en: 'lr_en', lr_sel: 'lr_sel', lr_addr: 'lr_addr', lr_data: 'lr_q',
    ...Object.fromEntries(axi.map((n) => [`m_axi_${n}`, `axi_${n}`])),
    m_axi_arsize: '', m_axi_arburst: '', m_axi_arcache: '', m_axi_arprot: '', m_axi_awsize: '', m_axi_awburst: '', m_axi_awcache: '', m_axi_awprot: '',
  };
  const dramConn: Record<string, string> = {
    clk: 'clk', rst: 'rst', ...Object.fromEntries(axi.map((n) => [`s_axi_${n}`, `axi_${n}`])),
    bd_we: 'bd_we', bd_addr: 'bd_addr', bd_wdata: 'bd_wdata', bd_rdata: 'bd_rdata',
  };
  const d = a.dataBits;
  const axiWidth: Record<string, string> = {
    araddr: '[ADDR_W-1:0]', awaddr: '[ADDR_W-1:0]', arlen: '[7:0]', awlen: '[7:0]',
    rdata: '[DATA_W-1:0]', wdata: '[DATA_W-1:0]', wstrb: '[DATA_W/8-1:0]', rresp: '[1:0]', bresp: '[1:0]',
  };
  const dmaParams: Record<string, string> = {
    DATA_W: `${d}`, ADDR_W: `${a.addrBits}`, LEN_W: `${a.lenBits}`, SEL_W: `${a.selBits}`, LADDR_W: `${a.localAddrBits}`,
    MAX_OUT: `${a.maxOutstanding}`, FIFO_D: `${a.fifoDepth}`,
  };
  const dramParams: Record<string, string> = {
    DATA_W: `${d}`, ADDR_W: `${a.addrBits}`, WORDS: `${s.dramWords}`, WA_W: `${clog2(s.dramWords)}`, LATENCY: `${s.dram.latency}`,
    BW_BYTES: `${s.dram.bytesPerCycle}`, QDEPTH: `${s.dram.queueDepth}`,
  };
  const text = header('axi_dma_bench', [
    'SIMULATION ONLY: axi_dma against axi_dram_model with a command FIFO and a local memory, every handshake',
    'brought out for the cycle-by-cycle comparison with simulateDma (rtl/axi-model.ts).',
  ], prov) + moduleHead('axi_dma_bench', [], ports) + `
  localparam DATA_W  = ${d};
  localparam ADDR_W  = ${a.addrBits};
  localparam LEN_W   = ${a.lenBits};
  localparam SEL_W   = ${a.selBits};
  localparam LADDR_W = ${a.localAddrBits};
  localparam CQ_D    = ${CQ_DEPTH};

  reg               cq_write_q [0:CQ_D-1];
  reg [ADDR_W-1:0]  cq_addr_q  [0:CQ_D-1];
  reg [LEN_W-1:0]   cq_len_q   [0:CQ_D-1];
  reg [SEL_W-1:0]   cq_sel_q   [0:CQ_D-1];
  reg [LADDR_W-1:0] cq_local_q [0:CQ_D-1];
  integer           cq_head, cq_count;
  wire              cmd_ready;

  reg [DATA_W-1:0] lmem [0:(1 << (SEL_W + LADDR_W)) - 1];
  reg [DATA_W-1:0] lr_q;

${axi.map((n) => `  wire ${(axiWidth[n] ?? '').padEnd(16)}axi_${n};`).join('\n')}

  axi_dma #(
${conn('    ', dmaParams)}
  ) u_dma (
${conn('    ', dmaConn)}
  );

  axi_dram_model #(
${conn('    ', dramParams)}
  ) u_dram (
${conn('    ', dramConn)}
  );

  assign cmd_fire = cq_count != 0 && cmd_ready;
  assign ar_fire  = axi_arvalid && axi_arready;
  assign araddr   = axi_araddr;
  assign arlen    = axi_arlen;
  assign aw_fire  = axi_awvalid && axi_awready;
  assign awaddr   = axi_awaddr;
  assign awlen    = axi_awlen;
  assign r_fire   = axi_rvalid && axi_rready;
  assign w_fire   = axi_wvalid && axi_wready;
  assign wlast    = axi_wlast;
  assign wdata    = axi_wdata;
  assign b_fire   = axi_bvalid && axi_bready;

  always @(posedge clk) begin
    if (rst) begin
      cq_head <= 0;
      cq_count <= 0;
    end else begin
      if (cq_push) begin
        cq_write_q[(cq_head + cq_count) % CQ_D] <= cq_write;
        cq_addr_q[(cq_head + cq_count) % CQ_D]  <= cq_addr;
        cq_len_q[(cq_head + cq_count) % CQ_D]   <= cq_len;
        cq_sel_q[(cq_head + cq_count) % CQ_D]   <= cq_sel;
        cq_local_q[(cq_head + cq_count) % CQ_D] <= cq_local;
      end
      if (cmd_fire) cq_head <= (cq_head + 1) % CQ_D;
      cq_count <= cq_count + (cq_push ? 1 : 0) - (cmd_fire ? 1 : 0);
    end
    if (lw_en) lmem[{lw_sel, lw_addr}] <= lw_data;
    if (lm_we) lmem[{lm_sel, lm_addr}] <= lm_wdata;
    if (lr_en) lr_q <= lmem[{lr_sel, lr_addr}];
  end
endmodule
`;
  return { name: 'axi_dma_bench', text, ports, params: [] };
}

export interface DmaBenchRun {
  /** Back-door loads before the commands: DRAM beat index -> word, and local (sel, addr) -> word. */
  dramInit: Map<number, bigint>;
  localInit: Array<{ sel: number; addr: number; data: bigint }>;
  /** Commands and the cycle each is pushed into the bench's FIFO (it is valid to the engine one cycle later). */
  commands: Array<{ push: number; write: boolean; addr: number; len: number; sel: number; local: number }>;
  /** Cycles to run the commands (from the first push), then DRAM beats to read back. */
  runCycles: number;
  readBack: number[];
}

export interface DmaBenchResult {
  trace: DmaTrace;
  /** Harness cycle of the first push: model cycle numbers are harness cycles. */
  firstPush: number;
  readBack: Map<number, bigint>;
  errSeen: boolean;
}

/** Where the commands of a run become valid in the harness's cycle numbering (after reset and the loads). */
export function queuedCommands(run: DmaBenchRun, firstPush: number): QueuedCommand[] {
  return run.commands.map((c) => ({ write: c.write, addr: c.addr, len: c.len, sel: c.sel, local: c.local, validFrom: firstPush + c.push + 1 }));
}

/** The first harness cycle after reset and the back-door loads. */
export function firstPushCycle(run: DmaBenchRun): number {
  return 2 + Math.max(run.dramInit.size, run.localInit.length);
}

export function runDmaBench(sim: 'verilator' | 'icarus', setup: DmaBenchSetup, run: DmaBenchRun, prov: Provenance): DmaBenchResult {
  const bench = dmaBenchModule(setup, prov);
  const dramModel = axiDramModelModule({ ...setup.dram, dataBits: setup.dma.dataBits, addrBits: setup.dma.addrBits, words: setup.dramWords }, prov);
  const sources = new Map([axiDmaModule(setup.dma, prov), dramModel, bench].map((m) => [`${m.name}.v`, m.text]));
  const top: SimTop = { name: bench.name, ports: bench.ports, clock: 'clk' };
  const { cycles, at } = cycleInputs();
  const dramEntries = [...run.dramInit];
  dramEntries.forEach(([addr, data], i) => Object.assign(at(2 + i), { bd_we: 1n, bd_addr: BigInt(addr), bd_wdata: data }));
  run.localInit.forEach((w, i) => Object.assign(at(2 + i), { lm_we: 1n, lm_sel: BigInt(w.sel), lm_addr: BigInt(w.addr), lm_wdata: w.data }));
  const first = firstPushCycle(run);
  for (const c of run.commands) {
    Object.assign(at(first + c.push), {
      cq_push: 1n, cq_write: c.write ? 1n : 0n, cq_addr: BigInt(c.addr), cq_len: BigInt(c.len), cq_sel: BigInt(c.sel), cq_local: BigInt(c.local),
    });
  }
  const end = first + run.runCycles;
  run.readBack.forEach((addr, i) => (at(end + i).bd_addr = BigInt(addr)));
  at(end + run.readBack.length);
  const ins = bench.ports.filter((p) => p.dir === 'input' && p.name !== 'clk');
  const stim = cycles.map((c) => ins.map((p) => c[p.name] ?? 0n));
  const resp = sim === 'verilator' ? runVerilator(sources, top, stim) : runIcarus(sources, top, stim);
  const outs = bench.ports.filter((p) => p.dir === 'output').map((p) => p.name);
  const col = Object.fromEntries(outs.map((n, i) => [n, i]));
  const num = (row: string[], n: string): number => {
    const v = valueOf(row[col[n]]);
    if (v === null) throw new Error(`axi_dma_bench: ${n} is unknown (x/z)`);
    return Number(v);
  };
  const big = (row: string[], n: string, k: number): bigint => {
    const v = valueOf(row[col[n]]);
    if (v === null) throw new Error(`axi_dma_bench: ${n} is unknown (x/z) in cycle ${k}`);
    return v;
  };
  const trace: DmaTrace = { accepted: [], done: [], ar: [], aw: [], r: [], w: [], b: [], lw: [], lr: [] };
  let errSeen = false;
  for (let k = 2; k < end; k++) {
    const row = resp[k];
    if (num(row, 'cmd_fire')) trace.accepted.push(k);
    if (num(row, 'done')) trace.done.push(k);
    if (num(row, 'err')) errSeen = true;
    if (num(row, 'ar_fire')) trace.ar.push({ cycle: k, addr: num(row, 'araddr'), len: num(row, 'arlen') + 1 });
    if (num(row, 'aw_fire')) trace.aw.push({ cycle: k, addr: num(row, 'awaddr'), len: num(row, 'awlen') + 1 });
    if (num(row, 'r_fire')) trace.r.push(k);
    if (num(row, 'w_fire')) trace.w.push({ cycle: k, data: big(row, 'wdata', k), last: num(row, 'wlast') === 1 });
    if (num(row, 'b_fire')) trace.b.push(k);
    if (num(row, 'lw_en')) trace.lw.push({ cycle: k, sel: num(row, 'lw_sel'), addr: num(row, 'lw_addr'), data: big(row, 'lw_data', k) });
    if (num(row, 'lr_en')) trace.lr.push({ cycle: k, sel: num(row, 'lr_sel'), addr: num(row, 'lr_addr') });
  }
  const readBack = new Map(run.readBack.map((addr, i) => [addr, big(resp[end + i], 'bd_rdata', end + i)]));
  return { trace, firstPush: first, readBack, errSeen };
}
