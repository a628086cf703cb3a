// bitfusion_system.v: the accelerator that runs a network program on its own: the sequencer fetches the
// instructions, the loader and the storer move words between memory (one AXI4 master port) and the core's
// buffers, the core runs the tiles and the output unit the passes, whose words wait in the staging buffer.
import { descriptorBits, rowTableBits } from '../descriptor.js';
import type { MemEngineParams } from '../mem-engine-model.js';
import { outputDescriptorBits } from '../output-path.js';
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, VerilogParam, clog2, header, moduleHead } from '../verilog.js';
import { axiPorts } from './axi-ports.js';
import { layerTopParams, layerTopPorts } from './layer-top.js';
import { memLoaderParamList, memLoaderPorts } from './mem-loader.js';
import { memStorerParamList, memStorerPorts } from './mem-storer.js';
import { maxPayloadWords, sequencerParams, sequencerPorts } from './sequencer.js';
import { stagingParams, stagingPorts, stagingWords } from './staging-buffer.js';

/** Instruction memory of the generated system: 16k words (ResNet-32's program takes about half). */
export const IM_ADDR_BITS = 14;

export interface SystemParams {
  imAddrBits: number;
  engines: MemEngineParams;
}

export function systemPorts(p: RtlParams, s: SystemParams): Port[] {
  const seq = sequencerPorts(p, { imAddrBits: s.imAddrBits });
  const host = ['im_we', 'im_waddr', 'im_wdata', 'run', 'run_pc', 'busy', 'pc', 'halted', 'stop_code', 'stop_pc', 'stop_arg']
    .map((n) => ({ ...seq.find((x) => x.name === n)!, reg: false }));
  return [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'rst', dir: 'input', width: 1, comment: 'synchronous, active high' },
    ...host,
    { name: 'err', dir: 'output', width: 1, reg: true, comment: 'a memory engine refused a command or saw an error response since run' },
    ...axiPorts('master', s.engines.addrBits, s.engines.dataBits),
  ];
}

/** `.NAME(value)` lists, six to a line. */
function paramList(ps: VerilogParam[]): string {
  const items = ps.map((x) => `.${x.name}(${x.value})`);
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += 6) lines.push(items.slice(i, i + 6).join(', '));
  return lines.join(',\n    ');
}

function instance(mod: string, name: string, params: VerilogParam[], ports: Port[], conn: (port: string) => string): string {
  const w = Math.max(...ports.map((x) => x.name.length));
  return `  ${mod} #(\n    ${paramList(params)}\n  ) ${name} (\n${ports.map((x, i) => `    .${x.name.padEnd(w)} (${conn(x.name)})${i < ports.length - 1 ? ',' : ''}`).join('\n')}\n  );\n`;
}

export function systemModule(p: RtlParams, s: SystemParams, prov: Provenance): VerilogModule {
  const ports = systemPorts(p, s);
  const params: VerilogParam[] = [
    { name: 'IM_AW', value: s.imAddrBits, comment: 'instruction memory word address' },
    { name: 'ADDR_W', value: s.engines.addrBits, comment: 'AXI byte address' },
    { name: 'DATA_W', value: s.engines.dataBits, comment: 'AXI data' },
  ];
  const e = s.engines;
  const payBits = maxPayloadWords(p) * 32;
  const ldPorts = memLoaderPorts(e);
  const stPorts = memStorerPorts(e);
  const ldFields = ldPorts.find((x) => x.name === 'cmd_fields')!.width;
  const stFields = stPorts.find((x) => x.name === 'cmd_fields')!.width;
  // The engines read the low payload bits; a longer tile or pass payload (the sequencer decodes those itself) leaves the rest.
  const engineFields = Math.max(ldFields, stFields);
  const unreadFields = engineFields < payBits ? `, fields[${payBits - 1}:${engineFields}]` : '';
  const stAw = clog2(stagingWords(p));
  const axi = (n: string) => (n.startsWith('m_axi_') ? n : null);
  const text = header('bitfusion_system', [
    'The accelerator running a network program (rtl/net-program.ts) without host help: the host writes the',
    'program into the sequencer\'s instruction memory and the model and image into memory, pulses run, and',
    'waits for halted: at a host step (stop_code 1) it works on memory and runs again at stop_pc; at the end',
    '(stop_code 0) it reads the logits from memory.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('bitfusion_system', params, ports) + `
  // ---- sequencer ----
  wire [${payBits - 1}:0] fields;
  wire [7:0]   cmd_op;
  wire         ld_valid, ld_ready, ld_done, ld_err, st_valid, st_ready, st_done, st_err;
  wire         tile_start, tile_busy, tile_done, op_start, op_busy, op_done;
  wire [${descriptorBits(p) - 1}:0] tile_desc;
  wire [${outputDescriptorBits(p) - 1}:0] op_desc;
  wire         rt_wr_en;
  wire [${Math.max(1, clog2(p.rows)) - 1}:0] rt_wr_row;
  wire [${rowTableBits(p) - 1}:0] rt_wr_data;

${instance('net_sequencer', 'u_seq', sequencerParams(p, { imAddrBits: s.imAddrBits }), sequencerPorts(p, { imAddrBits: s.imAddrBits }), (n) => n)}
  // ---- memory engines ----
  wire         ib_wr_en, wb_wr_en, pt_wr_en, rb_wr_en;
  wire [${p.rows - 1}:0] ib_wr_mask;
  wire [${p.ibuf.addrBits - 1}:0] ib_wr_addr;
  wire [31:0]  ib_wr_data, wb_wr_data, pt_wr_data, rb_wr_data;
  wire [${clog2(p.rows * p.cols) - 1}:0] wb_wr_bank;
  wire [${p.wbuf.addrBits - 1}:0] wb_wr_addr;
  wire [1:0]   pt_wr_sel;
  wire [${p.output.chAddrBits - 1}:0] pt_wr_addr;
  wire [${p.output.resAddrBits - 1}:0] rb_wr_addr;
  wire         st_rd_en;
  /* verilator lint_off UNUSEDSIGNAL */
  wire         ob_rd_en;
  /* verilator lint_on UNUSEDSIGNAL */
  wire [${e.stAddrBits - 1}:0] st_rd_addr;
  wire [31:0]  st_rd_data;
  wire [${clog2(p.cols) > 0 ? clog2(p.cols) - 1 : 0}:0] ob_rd_bank;
  wire [${p.obuf.addrBits - 1}:0] ob_rd_addr;
  wire [${p.accBits - 1}:0] ob_rd_data;

${instance('mem_loader', 'u_ld', memLoaderParamList(e), ldPorts, (n) => axi(n) ?? ({
    cmd_valid: 'ld_valid', cmd_ready: 'ld_ready', cmd_op: 'cmd_op', cmd_fields: `fields[${ldFields - 1}:0]`, done: 'ld_done', err: 'ld_err',
  } as Record<string, string>)[n] ?? n)}
${instance('mem_storer', 'u_st', memStorerParamList(e), stPorts, (n) => axi(n) ?? ({
    cmd_valid: 'st_valid', cmd_ready: 'st_ready', cmd_op: 'cmd_op', cmd_fields: `fields[${stFields - 1}:0]`, done: 'st_done', err: 'st_err',
  } as Record<string, string>)[n] ?? n)}
  // The staging buffer is smaller than the output unit's and the storer's address reach; the storer's OBUF read
  // needs no enable (the port reads every cycle).
  wire unused_bits = &{1'b0, ob_rd_en, st_rd_addr[${e.stAddrBits - 1}:${stAw}], act_wr_addr[${p.output.outAddrBits - 1}:${stAw}]${unreadFields}};

  always @(posedge clk) begin
    if (rst || run) err <= 1'b0;
    else if ((ld_done && ld_err) || (st_done && st_err)) err <= 1'b1;
  end

  // ---- core and output unit; the output words wait in the staging buffer ----
  wire         act_wr_en;
  wire [${p.output.outAddrBits - 1}:0] act_wr_addr;
  wire [${clog2(p.cols + 1) - 1}:0] act_wr_count;
  wire [${p.cols * 32 - 1}:0] act_wr_data;
  /* verilator lint_off UNUSEDSIGNAL */
  wire         ib_rd_en;
  wire [${p.cols - 1}:0] ob_wr_en;
  /* verilator lint_on UNUSEDSIGNAL */

${instance('bitfusion_layer', 'u_layer', layerTopParams(p), layerTopPorts(p), (n) => ({
    ib_wr_en: "1'b0", ib_wr_bank: `${Math.max(1, clog2(p.rows))}'d0`, ib_wr_mask: `ib_wr_en ? ib_wr_mask : ${p.rows}'d0`, start: 'tile_start', desc: 'tile_desc', busy: 'tile_busy', done: 'tile_done',
  } as Record<string, string>)[n] ?? n)}
${instance('staging_buffer', 'u_stage', stagingParams(p), stagingPorts(p), (n) => ({
    clk: 'clk', wr_en: 'act_wr_en', wr_addr: `act_wr_addr[${stAw - 1}:0]`, wr_count: 'act_wr_count', wr_data: 'act_wr_data', rd_en: 'st_rd_en',
    rd_addr: `st_rd_addr[${stAw - 1}:0]`, rd_data: 'st_rd_data',
  } as Record<string, string>)[n])}
endmodule

\`default_nettype wire
`;
  return { name: 'bitfusion_system', text, ports, params };
}
