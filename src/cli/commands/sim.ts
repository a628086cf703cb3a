// `hwq sim <model>`: how long a network takes on a Bit Fusion array at a precision, and why (per layer).
import type { Argv, CommandModule } from 'yargs';
import { stringify } from 'csv-stringify/sync';
import { loadConfig } from '../../../hw/presets.js';
import { NetworkSimResult, LayerSimResult } from '../../../sim/types.js';
import { parsePrecision } from '../../../sim/precision.js';
import { dramBytes } from '../../../sim/energy.js';
import { loadNetwork } from '../network-source.js';
import { CommonSimArgs, DEFAULT_CONFIG, commonSimOptions, precisionOptions, simulationSteps } from '../sim-options.js';
import { driveSteps, progress } from '../progress.js';
import { wantProgress } from '../flags.js';
import { Column, bytes, formatTable, grouped } from '../table.js';
import { Network, computeLayers } from '../../model/ir.js';
import { UserError } from '../../errors.js';

interface SimArgs extends CommonSimArgs {
  network: string;
  precision?: string;
  'per-layer': boolean;
  json: boolean;
  csv: boolean;
}

const SIM_PROGRESS_DELAY_MS = 1000;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function shapeOf(net: Network, name: string): string {
  const l = computeLayers(net).find((x) => x.name === name);
  if (!l) return '';
  if (l.kind === 'conv') {
    const g = l.groups > 1 ? (l.groups === l.inC ? ' dw' : ` g${l.groups}`) : '';
    return `${l.inC}>${l.outC} ${l.kernel[0]}x${l.kernel[1]}/${l.stride[0]}${g} @${l.output.h}x${l.output.w}`;
  }
  if (l.kind === 'fc') return `${l.inFeatures}>${l.outFeatures} fc`;
  return `${l.m}x${l.k}x${l.n}${l.steps > 1 ? ` x${l.steps}` : ''}`;
}

const LAYER_COLUMNS: Column[] = [
  { header: 'layer' }, { header: 'shape' }, { header: 'prec' }, { header: 'cycles', numeric: true },
  { header: 'compute', numeric: true }, { header: 'stall', numeric: true }, { header: 'util', numeric: true },
  { header: 'DRAM', numeric: true }, { header: 'energy uJ', numeric: true }, { header: 'mapping' },
];

/** With a board's timing in the config, the stalls it adds are shown on their own, after the stall column. */
const OVERHEAD_COLUMN: Column = { header: 'overhead', numeric: true };
const STALL = LAYER_COLUMNS.findIndex((c) => c.header === 'stall');

function layerRow(net: Network, l: LayerSimResult, overhead: boolean): string[] {
  const hw = l.hwPrecision.a !== l.precision.a || l.hwPrecision.w !== l.precision.w ? ` (${l.hwPrecision.a}/${l.hwPrecision.w})` : '';
  const row = [
    l.name, shapeOf(net, l.name), `a${l.precision.a}w${l.precision.w}${hw}`, grouped(l.totalCycles), grouped(l.computeCycles),
    grouped(l.stallCycles), pct(l.utilization), bytes(dramBytes(l.dram)), (l.energy.totalPJ / 1e6).toFixed(2), l.mapping,
  ];
  if (overhead) row.splice(STALL + 1, 0, grouped(l.overheadCycles ?? 0));
  return row;
}

/** What the human report says about a model file that was already quantized. */
export function quantizedNote(net: Network): string | undefined {
  const q = net.quantized;
  if (!q) return undefined;
  if (q.dynamicActivations) {
    return 'note: dynamically quantized model (DynamicQuantizeLinear + ConvInteger/MatMulInteger): A8W8, activations quantized at run time ' +
      'from each input\'s range';
  }
  return `note: ${q.format} quantized model: per-layer precisions read from its quantized types`;
}

export function formatSimReport(net: Network, r: NetworkSimResult, perLayer: boolean): string {
  const lines: string[] = [];
  lines.push(`${r.model} on ${r.config} at ${r.precision}, batch ${r.batch} (${r.simulator === 'cycle' ? 'cycle-accurate model' : 'published Bit Fusion analytic model'})`);
  const note = quantizedNote(net);
  if (note) lines.push(note);
  lines.push('');
  const layers = perLayer ? r.layers : [...r.layers].sort((a, b) => b.totalCycles - a.totalCycles).slice(0, 5);
  if (!perLayer) lines.push(`Slowest ${layers.length} of ${r.layers.length} compute layers (--per-layer for all):`);
  const overhead = r.layers.some((l) => l.overheadCycles !== undefined);
  const columns = overhead ? [...LAYER_COLUMNS.slice(0, STALL + 1), OVERHEAD_COLUMN, ...LAYER_COLUMNS.slice(STALL + 1)] : LAYER_COLUMNS;
  lines.push(formatTable(columns, layers.map((l) => layerRow(net, l, overhead))));
  const dram = r.layers.reduce((s, l) => s + dramBytes(l.dram), 0);
  const e = r.layers.reduce((s, l) => ({ c: s.c + l.energy.computePJ, b: s.b + l.energy.bufferPJ, d: s.d + l.energy.dramPJ }), { c: 0, b: 0, d: 0 });
  lines.push(`total cycles     ${grouped(r.totalCycles)}  (compute ${grouped(r.computeCycles)}, stalls ${grouped(r.stallCycles)}, ${pct(r.stallCycles / r.totalCycles)})`);
  if (overhead) {
    const fixed = r.layers.reduce((s, l) => s + (l.overheadCycles ?? 0), 0);
    lines.push(`board overheads  ${grouped(fixed)} fixed cycles per tile and layer, in the stalls (DRAM latency is in the transfers)`);
  }
  lines.push(`latency          ${r.latencyMs.toFixed(3)} ms per batch  (${(r.latencyMs / r.batch).toFixed(3)} ms per image)`);
  lines.push(`MACs             ${grouped(r.macs)}`);
  lines.push(`throughput       ${(r.opsPerSecond / 1e9).toFixed(1)} GOP/s effective (2 ops per MAC)`);
  lines.push(`DRAM traffic     ${bytes(dram)}`);
  lines.push(`energy           ${r.energyUJ.toFixed(1)} uJ  (compute ${(e.c / 1e6).toFixed(1)}, buffers ${(e.b / 1e6).toFixed(1)}, DRAM ${(e.d / 1e6).toFixed(1)})`);
  return lines.join('\n') + '\n';
}

export function simCsv(r: NetworkSimResult): string {
  return stringify(
    r.layers.map((l) => ({
      model: r.model, config: r.config, simulator: r.simulator, batch: r.batch, layer: l.name, kind: l.kind,
      a: l.precision.a, w: l.precision.w, hw_a: l.hwPrecision.a, hw_w: l.hwPrecision.w, macs: l.macs,
      cycles: l.totalCycles, compute_cycles: l.computeCycles, stall_cycles: l.stallCycles, utilization: l.utilization.toFixed(4),
      dram_input: l.dram.input, dram_weight: l.dram.weight, dram_output_write: l.dram.outputWrite, dram_output_read: l.dram.outputRead,
      energy_pj: Math.round(l.energy.totalPJ), mapping: l.mapping,
    })),
    { header: true },
  );
}

export const command: CommandModule<{}, SimArgs> = {
  command: 'sim <network>',
  describe: 'Simulate a network on a Bit Fusion array: cycles, stalls, traffic, energy per layer',
  builder: (y: Argv) =>
    commonSimOptions(y)
      .positional('network', { type: 'string', demandOption: true, describe: 'Zoo name (see `hwq zoo`) or a path to an .onnx file' })
      .option('precision', {
        type: 'string',
        describe: 'Every compute layer at a<A>w<W>; also written --a8w8, --a8w4, --a4w4, --a<A>w<W>. '
          + 'Default: the network\'s own per-layer precisions, else a8w8',
      })
      .option('per-layer', { type: 'boolean', default: false, describe: 'Show every compute layer (default: the 5 slowest)' })
      .option('json', { type: 'boolean', describe: 'Print the result as JSON' })
      .option('csv', { type: 'boolean', describe: 'Print the per-layer results as CSV' })
      .conflicts('json', 'csv')
      .example('hwq sim resnet18 --a4w4', 'ResNet-18 with every layer at 4-bit activations and weights')
      .example('hwq sim resnet18 --a4w4 --first-last 8 --config vc709 --per-layer', 'the quantizer\'s default on the VC709 board')
      .example('hwq sim model.onnx --a8w4 --json', 'your own network, machine-readable') as unknown as Argv<SimArgs>,
  handler: async (argv) => {
    const net = loadNetwork(argv.network, argv['input-shape']);
    const cfg = loadConfig(argv.config ?? DEFAULT_CONFIG);
    const uniform = argv.precision !== undefined ? parsePrecision(argv.precision) : undefined;
    const layers = computeLayers(net).length;
    if (layers === 0) throw new UserError(`${argv.network} has no conv, fc or matmul layer to simulate`);
    // Most simulations take a fraction of a second: unless asked for, the bar appears only for long ones.
    const bar = progress(`sim ${layers} layers`, wantProgress(argv.progress), argv.progress ? 0 : SIM_PROGRESS_DELAY_MS);
    const r = await driveSteps(simulationSteps(net, cfg, argv.model, argv.batch, precisionOptions(argv, uniform)), layers, bar);
    if (argv.json) process.stdout.write(JSON.stringify(net.quantized ? { ...r, quantized: net.quantized } : r, null, 2) + '\n');
    else if (argv.csv) process.stdout.write(simCsv(r));
    else process.stdout.write(formatSimReport(net, r, argv['per-layer']));
  },
};

export default command;
