// The memory engines' simulation bench: mem_engine_bench.v wires mem_loader (read channels) and mem_storer
// (write channels) to one axi_dram_model, as the system top merges them, with a command FIFO per engine the
// stimulus fills, a staging buffer and OBUF banks with registered reads for the storer, and every local write,
// read and handshake brought out to a port. runEngineBench() loads the memories through back doors, queues the
// commands, runs the per-cycle harness (rtl/sim.ts) and returns the trace in the cycle model's form
// (rtl/mem-engine-model.ts EngineTrace) plus the DRAM's words read back at the end.
import { DramTiming } from './axi-model.js';
import { EngineTrace, LOADER_OPS, MemEngineParams, QueuedEngineCommand, STORER_OPS, fieldsBits, obBankBits, wbBankBits } from './mem-engine-model.js';
import { memLoaderModule, memLoaderParamList } from './modules/mem-loader.js';
import { memStorerModule, memStorerParamList } from './modules/mem-storer.js';
import { axiDramModelModule } from './modules/axi-dram-model.js';
import { SimTop, cycleInputs, runVerilator, valueOf } from './sim.js';
import { Port, Provenance, VerilogModule, clog2, header, moduleHead } from './verilog.js';

/** Commands each of the bench's FIFOs holds: a whole run's, so the stimulus can queue them all at once. */
const CQ_DEPTH = 64;
/** Staging words the bench models (the engine's address is wider; tests stay below this). */
const SM_AW = 12;

export interface EngineBenchSetup {
  e: MemEngineParams;
  dram: DramTiming;
  /** DRAM size in beats (power of two). */
  dramBeats: number;
}

function benchPorts(s: EngineBenchSetup): Port[] {
  const { e } = s;
  const d = e.dataBits;
  const fw = Math.max(fieldsBits(LOADER_OPS), fieldsBits(STORER_OPS));
  const p = (name: string, dir: 'input' | 'output', width: number): Port => ({ name, dir, width });
  return [
    p('clk', 'input', 1), p('rst', 'input', 1),
    p('cq_push', 'input', 1), p('cq_storer', 'input', 1), p('cq_op', 'input', 8), p('cq_fields', 'input', fw),
    p('bd_we', 'input', 1), p('bd_addr', 'input', clog2(s.dramBeats)), p('bd_wdata', 'input', d),
    p('sm_we', 'input', 1), p('sm_addr', 'input', SM_AW), p('sm_wdata', 'input', 32),
    p('om_we', 'input', 1), p('om_bank', 'input', obBankBits(e)), p('om_addr', 'input', e.obAddrBits), p('om_wdata', 'input', e.obWordBits),
    p('ld_fire', 'output', 1), p('ld_done', 'output', 1), p('ld_err', 'output', 1),
    p('sr_fire', 'output', 1), p('sr_done', 'output', 1), p('sr_err', 'output', 1),
    p('ar_fire', 'output', 1), p('araddr', 'output', e.addrBits), p('arlen', 'output', 8),
    p('aw_fire', 'output', 1), p('awaddr', 'output', e.addrBits), p('awlen', 'output', 8), p('w_fire', 'output', 1), p('wlast', 'output', 1),
    p('ib_wr_en', 'output', 1), p('ib_wr_mask', 'output', e.rows), p('ib_wr_addr', 'output', e.ibAddrBits), p('ib_wr_data', 'output', 32),
    p('wb_wr_en', 'output', 1), p('wb_wr_bank', 'output', wbBankBits(e)), p('wb_wr_addr', 'output', e.wbAddrBits), p('wb_wr_data', 'output', 32),
    p('pt_wr_en', 'output', 1), p('pt_wr_sel', 'output', 2), p('pt_wr_addr', 'output', e.chAddrBits), p('pt_wr_data', 'output', 32),
    p('rb_wr_en', 'output', 1), p('rb_wr_addr', 'output', e.rbAddrBits), p('rb_wr_data', 'output', 32),
    p('st_rd_en', 'output', 1), p('st_rd_addr', 'output', e.stAddrBits),
    p('ob_rd_en', 'output', 1), p('ob_rd_bank', 'output', obBankBits(e)), p('ob_rd_addr', 'output', e.obAddrBits),
    p('bd_rdata', 'output', d),
  ];
}

function conn(indent: string, c: Record<string, string>): string {
  const names = Object.keys(c);
  const w = Math.max(...names.map((n) => n.length));
  return names.map((n, i) => `${indent}.${n.padEnd(w)} (${c[n]})${i < names.length - 1 ? ',' : ''}`).join('\n');
}

const READ = ['araddr', 'arlen', 'arvalid', 'arready', 'rdata', 'rresp', 'rlast', 'rvalid', 'rready'];
const WRITE = ['awaddr', 'awlen', 'awvalid', 'awready', 'wdata', 'wstrb', 'wlast', 'wvalid', 'wready', 'bresp', 'bvalid', 'bready'];
const ATTRS = (pre: 'ar' | 'aw') => Object.fromEntries(['size', 'burst', 'cache', 'prot'].map((a) => [`m_axi_${pre}${a}`, '']));

export function engineBenchModule(s: EngineBenchSetup, prov: Provenance): VerilogModule {
  const { e } = s;
  const ports = benchPorts(s);
  const fw = Math.max(fieldsBits(LOADER_OPS), fieldsBits(STORER_OPS));
  const params = (list: Array<{ name: string; value: number }>) => Object.fromEntries(list.map((q) => [q.name, `${q.value}`]));
  const axiWidth: Record<string, string> = {
    araddr: '[ADDR_W-1:0]', awaddr: '[ADDR_W-1:0]', arlen: '[7:0]', awlen: '[7:0]',
    rdata: '[DATA_W-1:0]', wdata: '[DATA_W-1:0]', wstrb: '[DATA_W/8-1:0]', rresp: '[1:0]', bresp: '[1:0]',
  };
  const loaderConn: Record<string, string> = {
    clk: 'clk', rst: 'rst', cmd_valid: 'lq_count != 0', cmd_ready: 'ld_ready', cmd_op: 'lq_op[lq_head]', cmd_fields: `lq_fields[lq_head][${fieldsBits(LOADER_OPS) - 1}:0]`,
    done: 'ld_done', err: 'ld_err',
    ...Object.fromEntries(['ib_wr_en', 'ib_wr_mask', 'ib_wr_addr', 'ib_wr_data', 'wb_wr_en', 'wb_wr_bank', 'wb_wr_addr', 'wb_wr_data',
      'pt_wr_en', 'pt_wr_sel', 'pt_wr_addr', 'pt_wr_data', 'rb_wr_en', 'rb_wr_addr', 'rb_wr_data'].map((n) => [n, n])),
    ...Object.fromEntries(READ.map((n) => [`m_axi_${n}`, `axi_${n}`])), ...ATTRS('ar'),
  };
  const storerConn: Record<string, string> = {
    clk: 'clk', rst: 'rst', cmd_valid: 'sq_count != 0', cmd_ready: 'sr_ready', cmd_op: 'sq_op[sq_head]', cmd_fields: `sq_fields[sq_head][${fieldsBits(STORER_OPS) - 1}:0]`,
    done: 'sr_done', err: 'sr_err', st_rd_en: 'st_rd_en', st_rd_addr: 'st_rd_addr', st_rd_data: 'st_q', ob_rd_en: 'ob_rd_en', ob_rd_bank: 'ob_rd_bank',
    ob_rd_addr: 'ob_rd_addr', ob_rd_data: 'ob_q',
    ...Object.fromEntries(WRITE.map((n) => [`m_axi_${n}`, `axi_${n}`])), ...ATTRS('aw'),
  };
  const dramConn: Record<string, string> = {
    clk: 'clk', rst: 'rst', ...Object.fromEntries([...READ, ...WRITE].map((n) => [`s_axi_${n}`, `axi_${n}`])),
    bd_we: 'bd_we', bd_addr: 'bd_addr', bd_wdata: 'bd_wdata', bd_rdata: 'bd_rdata',
  };
  const dramParams = {
    DATA_W: `${e.dataBits}`, ADDR_W: `${e.addrBits}`, WORDS: `${s.dramBeats}`, WA_W: `${clog2(s.dramBeats)}`, LATENCY: `${s.dram.latency}`,
    BW_BYTES: `${s.dram.bytesPerCycle}`, QDEPTH: `${s.dram.queueDepth}`,
  };
  const queue = (q: string) => `  reg  [7:0]        ${q}_op     [0:CQ_D-1];
  reg  [FW-1:0]     ${q}_fields [0:CQ_D-1];
  integer           ${q}_head, ${q}_count;`;
  const queueLogic = (q: string, push: string, fire: string) => `      if (${push}) begin
        ${q}_op[(${q}_head + ${q}_count) % CQ_D]     <= cq_op;
        ${q}_fields[(${q}_head + ${q}_count) % CQ_D] <= cq_fields;
      end
      if (${fire}) ${q}_head <= (${q}_head + 1) % CQ_D;
      ${q}_count <= ${q}_count + (${push} ? 1 : 0) - (${fire} ? 1 : 0);`;
  const obw = obBankBits(e);
  const text = header('mem_engine_bench', [
    'SIMULATION ONLY: mem_loader and mem_storer on one axi_dram_model, a command FIFO each, a staging buffer and',
    'OBUF banks with registered reads, every handshake and local port brought out for the comparison with the',
    'cycle model (rtl/mem-engine-sim.ts).',
  ], prov) + moduleHead('mem_engine_bench', [], ports) + `
  localparam DATA_W = ${e.dataBits};
  localparam ADDR_W = ${e.addrBits};
  localparam FW     = ${fw};
  localparam CQ_D   = ${CQ_DEPTH};

${queue('lq')}
${queue('sq')}
  wire              ld_ready, sr_ready;

  reg  [31:0]       smem [0:(1 << ${SM_AW}) - 1];
  reg  [${e.obWordBits - 1}:0]       omem [0:(1 << ${obw + e.obAddrBits}) - 1];
  reg  [31:0]       st_q;
  reg  [${e.obWordBits - 1}:0]       ob_q;

${[...READ, ...WRITE].map((n) => `  wire ${(axiWidth[n] ?? '').padEnd(16)}axi_${n};`).join('\n')}

  mem_loader #(
${conn('    ', params(memLoaderParamList(e)))}
  ) u_loader (
${conn('    ', loaderConn)}
  );

  mem_storer #(
${conn('    ', params(memStorerParamList(e)))}
  ) u_storer (
${conn('    ', storerConn)}
  );

  axi_dram_model #(
${conn('    ', dramParams)}
  ) u_dram (
${conn('    ', dramConn)}
  );

  assign ld_fire = lq_count != 0 && ld_ready;
  assign sr_fire = sq_count != 0 && sr_ready;
  assign ar_fire = axi_arvalid && axi_arready;
  assign araddr  = axi_araddr;
  assign arlen   = axi_arlen;
  assign aw_fire = axi_awvalid && axi_awready;
  assign awaddr  = axi_awaddr;
  assign awlen   = axi_awlen;
  assign w_fire  = axi_wvalid && axi_wready;
  assign wlast   = axi_wlast;

  always @(posedge clk) begin
    if (rst) begin
      lq_head <= 0;
      lq_count <= 0;
      sq_head <= 0;
      sq_count <= 0;
    end else begin
${queueLogic('lq', 'cq_push && !cq_storer', 'ld_fire')}
${queueLogic('sq', 'cq_push && cq_storer', 'sr_fire')}
    end
    if (sm_we) smem[sm_addr] <= sm_wdata;
    if (om_we) omem[{om_bank, om_addr}] <= om_wdata;
    if (st_rd_en) st_q <= smem[st_rd_addr[${SM_AW - 1}:0]];
    if (ob_rd_en) ob_q <= omem[{ob_rd_bank, ob_rd_addr}];
  end
endmodule
`;
  return { name: 'mem_engine_bench', text, ports, params: [] };
}

export interface EngineBenchRun {
  which: 'loader' | 'storer';
  /** DRAM contents in words before the commands (beats of zeros are not loaded). */
  memory: Uint32Array;
  staging?: Uint32Array;
  obuf?: Int32Array[];
  /** Commands and the cycle (after the loads) each is pushed into its FIFO; valid to the engine a cycle later. */
  commands: Array<{ push: number; op: number; fields: bigint }>;
  runCycles: number;
  /** Read the DRAM back (words 0 .. memory.length) after the run. */
  readBack: boolean;
}

export interface EngineBenchResult {
  trace: EngineTrace;
  /** Harness cycle of the first push. */
  firstPush: number;
  memory: Uint32Array;
}

function loads(s: EngineBenchSetup, run: EngineBenchRun): { dram: Array<[number, bigint]>; sm: number[]; om: Array<[number, number, number]> } {
  const k = s.e.dataBits / 32;
  const dram: Array<[number, bigint]> = [];
  for (let b = 0; b * k < run.memory.length; b++) {
    let v = 0n;
    for (let i = k - 1; i >= 0; i--) v = (v << 32n) | BigInt(run.memory[b * k + i] ?? 0);
    if (v !== 0n) dram.push([b, v]);
  }
  const sm: number[] = [];
  if (run.staging && run.staging.length > 2 ** SM_AW) throw new Error(`engine bench: the staging buffer holds ${2 ** SM_AW} words`);
  run.staging?.forEach((v, i) => sm.push(i, v));
  const om: Array<[number, number, number]> = [];
  run.obuf?.forEach((bank, b) => bank.forEach((v, a) => { if (v !== 0) om.push([b, a, v]); }));
  return { dram, sm, om };
}

/** The first harness cycle after reset and the back-door loads. */
export function firstPushCycle(s: EngineBenchSetup, run: EngineBenchRun): number {
  const l = loads(s, run);
  return 2 + Math.max(l.dram.length, l.sm.length / 2, l.om.length);
}

/** Where the commands of a run become valid in the harness's cycle numbering. */
export function queuedEngineCommands(run: EngineBenchRun, firstPush: number): QueuedEngineCommand[] {
  return run.commands.map((c) => ({ op: c.op, fields: c.fields, validFrom: firstPush + c.push + 1 }));
}

export function runEngineBench(setup: EngineBenchSetup, run: EngineBenchRun, prov: Provenance): EngineBenchResult {
  const { e } = setup;
  const k = e.dataBits / 32;
  if (run.commands.length > CQ_DEPTH) throw new Error(`engine bench: ${run.commands.length} commands, the FIFO holds ${CQ_DEPTH}`);
  const bench = engineBenchModule(setup, prov);
  const dramModel = axiDramModelModule({ ...setup.dram, dataBits: e.dataBits, addrBits: e.addrBits, words: setup.dramBeats }, prov);
  const sources = new Map([memLoaderModule(e, prov), memStorerModule(e, prov), dramModel, bench].map((m) => [`${m.name}.v`, m.text]));
  const top: SimTop = { name: bench.name, ports: bench.ports, clock: 'clk' };
  const { cycles, at } = cycleInputs();
  const l = loads(setup, run);
  l.dram.forEach(([b, v], i) => Object.assign(at(2 + i), { bd_we: 1n, bd_addr: BigInt(b), bd_wdata: v }));
  for (let i = 0; i < l.sm.length; i += 2) Object.assign(at(2 + i / 2), { sm_we: 1n, sm_addr: BigInt(l.sm[i]), sm_wdata: BigInt(l.sm[i + 1] >>> 0) });
  const obMask = 2n ** BigInt(e.obWordBits) - 1n;
  l.om.forEach(([b, a, v], i) => Object.assign(at(2 + i), { om_we: 1n, om_bank: BigInt(b), om_addr: BigInt(a), om_wdata: BigInt(v) & obMask }));
  const first = firstPushCycle(setup, run);
  for (const c of run.commands) {
    Object.assign(at(first + c.push), { cq_push: 1n, cq_storer: run.which === 'storer' ? 1n : 0n, cq_op: BigInt(c.op), cq_fields: c.fields });
  }
  const end = first + run.runCycles;
  const beats = run.readBack ? Math.ceil(run.memory.length / k) : 0;
  for (let b = 0; b < beats; b++) at(end + b).bd_addr = BigInt(b);
  at(end + beats);
  const ins = bench.ports.filter((p) => p.dir === 'input' && p.name !== 'clk');
  const stim = cycles.map((c) => ins.map((p) => c[p.name] ?? 0n));
  const resp = runVerilator(sources, top, stim);
  const outs = bench.ports.filter((p) => p.dir === 'output').map((p) => p.name);
  const col = Object.fromEntries(outs.map((n, i) => [n, i]));
  const big = (row: string[], n: string, c: number): bigint => {
    const v = valueOf(row[col[n]]);
    if (v === null) throw new Error(`mem_engine_bench: ${n} is unknown (x/z) in cycle ${c}`);
    return v;
  };
  const trace: EngineTrace = { accepted: [], done: [], err: [], req: [], w: [], writes: [], reads: [] };
  const pre = run.which === 'loader' ? 'ld' : 'sr';
  for (let c = 2; c < end; c++) {
    const row = resp[c];
    const n = (name: string) => Number(big(row, name, c));
    if (n(`${pre}_fire`)) trace.accepted.push(c);
    if (n(`${pre}_done`)) {
      trace.done.push(c);
      trace.err.push(n(`${pre}_err`) === 1);
    }
    if (n('ar_fire')) trace.req.push({ cycle: c, addr: n('araddr'), beats: n('arlen') + 1 });
    if (n('aw_fire')) trace.req.push({ cycle: c, addr: n('awaddr'), beats: n('awlen') + 1 });
    if (n('w_fire')) trace.w.push({ cycle: c, last: n('wlast') === 1 });
    if (n('ib_wr_en')) trace.writes.push({ cycle: c, port: 'ib', sel: n('ib_wr_mask'), addr: n('ib_wr_addr'), data: n('ib_wr_data') });
    if (n('wb_wr_en')) trace.writes.push({ cycle: c, port: 'wb', sel: n('wb_wr_bank'), addr: n('wb_wr_addr'), data: n('wb_wr_data') });
    if (n('pt_wr_en')) trace.writes.push({ cycle: c, port: 'pt', sel: n('pt_wr_sel'), addr: n('pt_wr_addr'), data: n('pt_wr_data') });
    if (n('rb_wr_en')) trace.writes.push({ cycle: c, port: 'rb', sel: 0, addr: n('rb_wr_addr'), data: n('rb_wr_data') });
    if (n('st_rd_en')) trace.reads.push({ cycle: c, port: 'st', sel: 0, addr: n('st_rd_addr') });
    if (n('ob_rd_en')) trace.reads.push({ cycle: c, port: 'ob', sel: n('ob_rd_bank'), addr: n('ob_rd_addr') });
  }
  const memory = new Uint32Array(run.memory.length);
  for (let b = 0; b < beats; b++) {
    const v = big(resp[end + b], 'bd_rdata', end + b);
    for (let i = 0; i < k && b * k + i < memory.length; i++) memory[b * k + i] = Number((v >> BigInt(32 * i)) & 0xffffffffn);
  }
  return { trace, firstPush: first, memory };
}
