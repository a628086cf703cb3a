// bitfusion_layer.v: the core with its output unit, what runs a whole layer: tiles (with continuation) fill
// OBUF with finished accumulators, then an output pass turns them into the next layer's activation words.
import { outputDescriptorBits } from '../output-path.js';
import { RtlParams } from '../params.js';
import { Port, Provenance, VerilogModule, VerilogParam, header, moduleHead } from '../verilog.js';
import { coreParams, corePorts } from './core.js';
import { outputUnitParams, outputUnitPorts } from './output-unit.js';

const OU_HOST = [
  'pt_wr_en', 'pt_wr_sel', 'pt_wr_addr', 'pt_wr_data', 'rb_wr_en', 'rb_wr_addr', 'rb_wr_data', 'act_wr_en', 'act_wr_addr', 'act_wr_count', 'act_wr_data',
];
/** Core ports wired inside bitfusion_layer only: the all-banks OBUF read goes to the output unit. */
const CORE_INNER = new Set(['ob_rd_wide']);

export function layerTopPorts(p: RtlParams): Port[] {
  const ou = outputUnitPorts(p);
  const byName = (n: string) => ou.find((x) => x.name === n)!;
  return [
    ...corePorts(p).filter((x) => !CORE_INNER.has(x.name)),
    { name: 'op_start', dir: 'input', width: 1, comment: 'output pass start (when op_busy and busy are low)' },
    { name: 'op_desc', dir: 'input', width: outputDescriptorBits(p), widthExpr: 'OP_DESC_W', comment: 'pass descriptor (rtl/output-path.ts)' },
    { name: 'op_busy', dir: 'output', width: 1, comment: 'the output unit owns the OBUF read port' },
    { name: 'op_done', dir: 'output', width: 1 },
    ...OU_HOST.map(byName),
  ];
}

export function layerTopParams(p: RtlParams): VerilogParam[] {
  const core = coreParams(p);
  const extra = outputUnitParams(p).filter((x) => !core.some((c) => c.name === x.name));
  return [...core, ...extra];
}

export function layerTopModule(p: RtlParams, prov: Provenance): VerilogModule {
  const ports = layerTopPorts(p);
  const params = layerTopParams(p);
  const coreNames = corePorts(p).map((x) => x.name);
  const coreConn = (n: string) => (n === 'ob_rd_addr' ? 'core_rd_addr' : n === 'ob_rd_wide' ? 'ob_wide' : n);
  const nw = Math.max(...coreNames.map((n) => n.length), ...OU_HOST.map((n) => n.length), 'ob_rd_data'.length);
  const conn = (pairs: Array<[string, string]>) => pairs.map(([a, b], i) => `    .${a.padEnd(nw)} (${b})${i < pairs.length - 1 ? ',' : ''}`).join('\n');
  const plist = (ps: VerilogParam[]) => {
    const items = ps.map((x) => `.${x.name}(${x.name})`);
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += 6) lines.push(items.slice(i, i + 6).join(', '));
    return lines.join(',\n    ');
  };
  const text = header('bitfusion_layer', [
    'The Bit Fusion core with its output unit. The host runs a layer as tiles (start/desc, rtl/compile.ts),',
    'continuation tiles adding to the partial sums in OBUF, then an output pass (op_start/op_desc) that',
    'requantizes every finished accumulator of an OBUF half into packed activation words (act_wr_*). While',
    'op_busy the output unit drives the OBUF read address and takes every bank\'s word at it; the host reads',
    'OBUF one word at a time (ob_rd_*) otherwise.',
  ], prov) + '`default_nettype none\n\n' + moduleHead('bitfusion_layer', params, ports) + `
  wire [OB_AW-1:0]      ou_rd_addr, core_rd_addr;
  wire [COLS*ACC_W-1:0] ob_wide;

  assign core_rd_addr = op_busy ? ou_rd_addr : ob_rd_addr;

  bitfusion_core #(
    ${plist(coreParams(p))}
  ) u_core (
${conn(coreNames.map((n) => [n, coreConn(n)]))}
  );

  output_unit #(
    ${plist(outputUnitParams(p))}
  ) u_out (
${conn([
    ['clk', 'clk'], ['rst', 'rst'], ['start', 'op_start'], ['desc', 'op_desc'], ['busy', 'op_busy'], ['done', 'op_done'],
    ['ob_rd_addr', 'ou_rd_addr'], ['ob_rd_data', 'ob_wide'],
    ...OU_HOST.map((n): [string, string] => [n, n]),
  ])}
  );

endmodule

\`default_nettype wire
`;
  return { name: 'bitfusion_layer', text, ports, params };
}
