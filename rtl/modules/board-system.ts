// board_system.v: the accelerator as a host reaches it over a serial line: host_link turns the UART's commands
// into word reads and writes, which the address map (rtl/board-map.ts) sends to the memory (axi_bram's host port),
// the instruction memory or the status registers; host_link's start runs bitfusion_system, whose AXI4 master
// port the same axi_bram answers. Portable: no vendor primitive, so the board top adds only clock and pins, and a
// simulator runs it as it is (rtl/board-sim.ts).
import { BOARD_ADDR_BITS, BOARD_MEM_WORDS, BOARD_WINDOW, FLAG, STATUS_REG, STATUS_REGS, STOP_CODE_LSB } from '../board-map.js';
import { hostLinkParams } from '../host-link.js';
import { hostLinkPorts } from './host-link.js';
import { memEngineParams } from '../mem-engine-model.js';
import { axiDmaParams } from '../axi-model.js';
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead } from '../verilog.js';
import { axiBramModule, axiBramPorts } from './axi-bram.js';
import { axiPorts } from './axi-ports.js';
import { axiWordPortModule } from './axi-word-port.js';
import { IM_ADDR_BITS, systemPorts } from './system.js';

export interface BoardSystemParams {
  /** UART bit time in clock cycles (uartDivisor of the clock; a simulation overrides it with a few cycles). */
  clksPerBit: number;
  /** Memory words behind the memory window (a power of two): axi_bram's size, or the window's reach into external memory. */
  memWords: number;
  /**
   * 'bram': axi_bram inside (board_system); 'axi': the memory is outside, on an AXI4 master port that the system
   * and the host's word port (axi_word_port) share (board_system_axi, for a DRAM controller).
   */
  memory: 'bram' | 'axi';
}

export function boardSystemParams(p: RtlParams, memory: 'bram' | 'axi' = 'bram'): BoardSystemParams {
  return { clksPerBit: hostLinkParams(p.clockMHz).clksPerBit, memWords: memory === 'bram' ? BOARD_MEM_WORDS : 2 ** (BOARD_ADDR_BITS - 1), memory };
}

export const boardSystemName = (b: Pick<BoardSystemParams, 'memory'>): string => (b.memory === 'bram' ? 'board_system' : 'board_system_axi');

/** The AXI4 port's widths: the memory engines' (bitfusion_system as generated). */
export function boardBus(p: RtlParams): { dataBits: number; addrBits: number } {
  const e = memEngineParams(p, axiDmaParams(p).dataBits);
  return { dataBits: e.dataBits, addrBits: e.addrBits };
}

/**
 * What the board adds to the generated design: axi_bram (sized by `b`, board_system sets it again) and
 * board_system; with `axi` also axi_word_port and board_system_axi, the variant for an external memory.
 */
export function boardModules(p: RtlParams, prov: Provenance, b: BoardSystemParams = boardSystemParams(p), axi = false): VerilogModule[] {
  const bus = boardBus(p);
  const ext = boardSystemParams(p, 'axi');
  return [
    axiBramModule({ ...bus, beats: b.memWords / (bus.dataBits / 32) }, prov), boardSystemModule(p, b, prov),
    ...(axi ? [axiWordPortModule({ ...bus, wordAddrBits: clog2(ext.memWords) }, prov), boardSystemModule(p, { ...ext, clksPerBit: b.clksPerBit }, prov)] : []),
  ];
}

export function boardSystemPorts(p: RtlParams, memory: 'bram' | 'axi' = 'bram'): Port[] {
  const bus = boardBus(p);
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    { name: 'uart_rxd', dir: 'input', width: 1, comment: 'from the host' },
    { name: 'uart_txd', dir: 'output', width: 1, comment: 'to the host' },
    { name: 'busy', dir: 'output', width: 1, comment: 'status (LEDs): the program is running' },
    { name: 'done', dir: 'output', width: 1, comment: 'halted since the last start' },
    { name: 'err', dir: 'output', width: 1, comment: 'a memory engine saw an error since the last start' },
    { name: 'stop_code', dir: 'output', width: 2, comment: 'why it last halted: 0 end, 1 host step, 2 bad opcode' },
    ...(memory === 'axi' ? axiPorts('master', bus.addrBits, bus.dataBits) : []),
  ];
}

export function boardSystemModule(p: RtlParams, b: BoardSystemParams, prov: Provenance): VerilogModule {
  const bus = boardBus(p);
  const perBeat = bus.dataBits / 32;
  const name = boardSystemName(b);
  const ext = b.memory === 'axi';
  if (b.memWords < 2 * perBeat || 2 ** clog2(b.memWords) !== b.memWords) throw new Error(`${name}: ${b.memWords} memory words must be a power of two of at least two beats`);
  if (clog2(b.memWords) > BOARD_ADDR_BITS - 1) throw new Error(`${name}: ${b.memWords} memory words exceed the memory window (2^${BOARD_ADDR_BITS - 1})`);
  const link = hostLinkParams(p.clockMHz);
  if (link.memAddrBits !== BOARD_ADDR_BITS) throw new Error(`internal: host_link's ${link.memAddrBits}-bit address is not the map's ${BOARD_ADDR_BITS}`);
  const params: VerilogParam[] = [
    { name: 'CLKS_PER_BIT', value: b.clksPerBit, comment: 'UART bit time in cycles: clock / baud' },
    ...(ext ? [] : [{ name: 'MEM_BEATS', value: b.memWords / perBeat, comment: 'memory size in AXI beats (power of two)' }]),
  ];
  const ports = boardSystemPorts(p, b.memory);
  const sys = systemPorts(p, { imAddrBits: IM_ADDR_BITS, engines: memEngineParams(p, bus.dataBits) });
  const axi = axiPorts('master', bus.addrBits, bus.dataBits);
  const slaveNames = new Set(axiBramPorts({ ...bus, beats: 2 }).map((x) => x.name));
  const bram = axiBramModule({ ...bus, beats: b.memWords / perBeat }, prov);
  const rng = (n: number) => (n > 1 ? `[${n - 1}:0] ` : '');
  const sysAxi = (n: string) => n.replace('m_axi_', 'sys_axi_');
  const hostAxi = (n: string) => n.replace('m_axi_', 'hp_axi_');
  const sysConn: Record<string, string> = {
    im_we: 'mem_we && win == W_IMEM', im_waddr: 'mem_addr[IM_AW-1:0]', im_wdata: 'mem_wdata', run: 'start', run_pc: 'start_arg[IM_AW-1:0]',
    busy: 'sys_busy', pc: 'sys_pc', halted: 'halted', stop_code: 'sys_stop_code', stop_pc: 'stop_pc', stop_arg: 'stop_arg', err: 'sys_err',
  };
  const sysW = Math.max(...sys.map((x) => x.name.length));
  const linkConn: Record<string, string> = { busy: 'sys_busy', done: 'halted' };
  const bramConn: Array<[string, string]> = [
    ['clk', 'clk'], ['rst', 'rst'],
    ...axi.filter((x) => slaveNames.has(x.name.replace('m_axi_', 's_axi_'))).map((x): [string, string] => [x.name.replace('m_axi_', 's_axi_'), sysAxi(x.name)]),
    ['h_we', 'mem_we && !win[1]'], ['h_re', 'mem_re && !win[1]'], ['h_addr', 'mem_addr[MEM_HA_W-1:0]'], ['h_wdata', 'mem_wdata'], ['h_rdata', 'bram_rdata'],
  ];
  const portConn: Array<[string, string]> = [
    ['clk', 'clk'], ['rst', 'rst'], ['h_we', 'mem_we && host_mem'], ['h_re', 'mem_re && host_mem'], ['h_addr', 'mem_addr[MEM_HA_W-1:0]'],
    ['h_wdata', 'mem_wdata'], ['h_rdata', 'hp_rdata'], ['h_rvalid', 'hp_rvalid'], ['busy', 'hp_busy'], ['lost', 'hp_lost'],
    ...axi.map((x): [string, string] => [x.name, hostAxi(x.name)]),
  ];
  const conn = (pairs: Array<[string, string]>) => {
    const w = Math.max(...pairs.map(([n]) => n.length));
    return pairs.map(([a, x], i) => `    .${a.padEnd(w)} (${x})${i < pairs.length - 1 ? ',' : ''}`).join('\n');
  };
  const win = BOARD_WINDOW;
  const regs: Record<keyof typeof STATUS_REG, string> = {
    flags: 'flags', pc: `{{(32-IM_AW){1'b0}}, sys_pc}`, stopPc: `{{(32-IM_AW){1'b0}}, stop_pc}`, stopArg: `{16'd0, stop_arg}`, runCycles: 'run_cycles',
    memWords: `32'd${b.memWords}`, imWords: `32'd${2 ** IM_ADDR_BITS}`, array: `{16'd${p.rows}, 16'd${p.cols}}`,
  };
  const regW = clog2(STATUS_REGS);
  // The external port: the host's word port while it has a transaction in flight, else the system. The host
  // reaches memory only while the system is idle, and the system has nothing in flight then (the sequencer
  // waits for every engine's last response before it halts), so neither sees the other's responses.
  const mux = axi.map((x) => {
    const sig = x.name.replace('m_axi_', '');
    if (x.dir === 'output') return `  assign ${x.name} = hp_busy ? ${hostAxi(x.name)} : ${sysAxi(x.name)};`;
    if (/valid$|ready$/.test(sig)) return `  assign ${sysAxi(x.name)} = ${x.name} && !hp_busy;\n  assign ${hostAxi(x.name)} = ${x.name} && hp_busy;`;
    return `  assign ${sysAxi(x.name)} = ${x.name};\n  assign ${hostAxi(x.name)} = ${x.name};`;
  });
  const memory = ext ? `  // ---- external memory: the host's word port and the system share the AXI4 master port ----
  wire        host_mem = !win[1] && !sys_busy;   // a memory access the host may make now
  wire        hp_busy, hp_rvalid, hp_lost;
  wire [31:0] hp_rdata;
  /* verilator lint_off UNUSEDSIGNAL */
${axi.map((x) => `  wire ${rng(x.width)}${hostAxi(x.name)};`).join('\n')}
  /* verilator lint_on UNUSEDSIGNAL */

  axi_word_port #(.DATA_W(DATA_W), .ADDR_W(ADDR_W), .HA_W(MEM_HA_W)) u_hport (
${conn(portConn)}
  );

${mux.join('\n')}

  // A memory access while the system runs is refused (a read answers 0): lost stays set until a reset.
  reg lost;
  always @(posedge clk) begin
    if (rst) lost <= 1'b0;
    else if (hp_lost || ((mem_we || mem_re) && !win[1] && sys_busy)) lost <= 1'b1;
  end
` : `  axi_bram #(
    ${bram.params.map((x) => `.${x.name}(${x.name === 'BEATS' ? 'MEM_BEATS' : x.name === 'HA_W' ? 'MEM_HA_W' : x.name === 'BA_W' ? '$clog2(MEM_BEATS)' : x.name})`).join(', ')}
  ) u_mem (
${conn(bramConn)}
  );
  wire lost = 1'b0;
`;
  const text = header(name, [
    'The accelerator behind the host link: UART commands (host_link) read and write 32-bit words of a 24-bit',
    'word address space whose top two bits pick a window (rtl/board-map.ts):',
    ext ? `  ${win.memory}x  memory, through axi_word_port and the AXI4 master port (refused while the system runs)`
      : `  ${win.memory}x  memory, axi_bram's host port (the RAM wraps above MEM_BEATS beats)`,
    `  ${win.imem.toString(2)}  the sequencer's instruction memory, write only (while the sequencer is idle)`,
    `  ${win.status.toString(2)}  status registers, read only: ${Object.entries(STATUS_REG).map(([k, v]) => `${v} ${k}`).join(', ')}`,
    'A start command runs bitfusion_system at start_arg (its first instruction word); host_link\'s status reports',
    ext ? 'busy and done (a halt since the start). The memory is outside, on the m_axi port (a DRAM controller).'
      : 'busy and done (a halt since the start). The system\'s memory is the same axi_bram, on its AXI4 port.',
  ], prov) + '`default_nettype none\n\n' + moduleHead(name, params, ports) + `
  localparam MEM_AW   = ${BOARD_ADDR_BITS};         // host_link word address
  localparam IM_AW    = ${IM_ADDR_BITS};         // instruction memory word address
  localparam DATA_W   = ${bus.dataBits};         // AXI4 beat
  localparam ADDR_W   = ${bus.addrBits};         // AXI4 byte address
  localparam MEM_HA_W = ${ext ? `${clog2(b.memWords)};         // memory word address: the memory window` : '$clog2(MEM_BEATS * (DATA_W / 32));  // memory word address'}
  localparam TO_W     = $clog2(${link.timeoutCycles / link.clksPerBit} * CLKS_PER_BIT + 1);
  localparam [TO_W-1:0] TIMEOUT = ${link.timeoutCycles / link.clksPerBit} * CLKS_PER_BIT;  // host_link drops a frame after this much silence
  localparam [1:0] W_IMEM = 2'd${win.imem}, W_STATUS = 2'd${win.status};

  // ---- host link ----
  wire              mem_we, mem_re, start;
  wire [MEM_AW-1:0] mem_addr;
  wire [31:0]       mem_wdata, mem_rdata, start_arg${ext ? '' : ', bram_rdata'};
  wire              mem_rvalid;
  wire [1:0]        win = mem_addr[MEM_AW-1 -: 2];
  wire              halted, sys_busy, sys_err;
  wire [IM_AW-1:0]  sys_pc, stop_pc;
  wire [1:0]        sys_stop_code;
  wire [15:0]       stop_arg;

  host_link #(
    .CLKS_PER_BIT(CLKS_PER_BIT), .WORD_W(32), .MEM_AW(MEM_AW), .TIMEOUT(TIMEOUT), .TO_W(TO_W)
  ) u_link (
${conn(hostLinkPorts(link).map((x): [string, string] => [x.name, linkConn[x.name] ?? x.name]))}
  );

  // ---- the system ----
  /* verilator lint_off UNUSEDSIGNAL */
${axi.map((x) => `  wire ${rng(x.width)}${sysAxi(x.name)};`).join('\n')}
  /* verilator lint_on UNUSEDSIGNAL */

  bitfusion_system u_sys (
${conn(sys.map((x) => [x.name, sysConn[x.name] ?? sysAxi(x.name)]))}
  );

${memory}
  // ---- status: done holds from a halt to the next start; run_cycles counts the running cycles since the start ----
  reg        done_q;
  reg [31:0] run_cycles;
  always @(posedge clk) begin
    if (rst || start) begin
      done_q     <= 1'b0;
      run_cycles <= 32'd0;
    end else begin
      if (halted) done_q <= 1'b1;
      if (sys_busy) run_cycles <= run_cycles + 32'd1;
    end
  end

  reg [31:0] flags;
  always @* begin
    flags = 32'd0;
    flags[${FLAG.done}] = done_q;
    flags[${FLAG.busy}] = sys_busy;
    flags[${FLAG.err}] = sys_err;
    flags[${STOP_CODE_LSB + 1}:${STOP_CODE_LSB}] = sys_stop_code;
    flags[${FLAG.lost}] = lost;
  end

  // The registers and the instruction memory's window (it reads 0) answer a read the cycle after mem_re, as the
  // block RAM does${ext ? '; the external memory answers on hp_rvalid' : ''}.
  reg        from_mem, local_rvalid;
  reg [31:0] reg_q;
  always @(posedge clk) begin
    local_rvalid <= mem_re && !rst${ext ? ' && !host_mem' : ''};
    if (mem_re) begin
      from_mem <= !win[1];
      reg_q    <= 32'd0;
      if (win == W_STATUS) begin
        case (mem_addr[${regW - 1}:0])
${Object.entries(STATUS_REG).map(([k, v]) => `          ${regW}'d${v}: reg_q <= ${regs[k as keyof typeof STATUS_REG]};`).join('\n')}
          default: reg_q <= 32'd0;
        endcase
      end
    end
  end
${ext ? `  assign mem_rvalid = local_rvalid || hp_rvalid;
  assign mem_rdata  = hp_rvalid ? hp_rdata : reg_q;
  wire unused_sel   = from_mem;  // a refused memory read answers reg_q's 0` : `  assign mem_rvalid = local_rvalid;
  assign mem_rdata  = from_mem ? bram_rdata : reg_q;`}

  assign busy      = sys_busy;
  assign done      = done_q;
  assign err       = sys_err;
  assign stop_code = sys_stop_code;

  // Some address bits reach no window (the memory wraps, the registers repeat); the start argument is wider than a pc.
  wire unused_bits = &{1'b0, mem_addr[MEM_AW-3:0], start_arg[31:IM_AW]};

endmodule

\`default_nettype wire
`;
  return { name, text, ports, params };
}
