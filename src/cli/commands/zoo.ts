// `hwq zoo [--json]`: lists the built-in networks with their size, as a table or as JSON for scripts.
import type { Argv, CommandModule } from 'yargs';
import { computeLayers, networkMacs, networkParams, type Shape3 } from '../../model/ir.js';
import { getNetwork, zooNames } from '../../model/zoo.js';
import { formatTable } from '../table.js';

export interface ZooRow {
  name: string;
  description: string;
  computeLayers: number;
  /** Multiply-accumulates per sample (conv, fc, matmul). */
  macs: number;
  /** Weights plus biases. */
  params: number;
  input: Shape3;
}

export function zooRows(): ZooRow[] {
  return zooNames().map((name) => {
    const net = getNetwork(name);
    return {
      name,
      description: net.description,
      computeLayers: computeLayers(net).length,
      macs: networkMacs(net),
      params: networkParams(net),
      input: { ...net.input },
    };
  });
}

const fmtShape = (s: Shape3): string => `${s.c}x${s.h}x${s.w}`;

/** A plain-text table: left-aligned text columns, right-aligned numbers. */
export function formatZooTable(rows: readonly ZooRow[]): string {
  const columns = [
    { header: 'name' }, { header: 'description' }, { header: 'compute layers', numeric: true },
    { header: 'MACs (G)', numeric: true }, { header: 'params (M)', numeric: true }, { header: 'input' },
  ];
  return formatTable(columns, rows.map((r) => [
    r.name,
    r.description,
    String(r.computeLayers),
    (r.macs / 1e9).toFixed(3),
    (r.params / 1e6).toFixed(2),
    fmtShape(r.input),
  ]));
}

interface ZooArgs {
  json: boolean;
}

export const command: CommandModule<{}, ZooArgs> = {
  command: 'zoo',
  describe: 'List the built-in networks (name, size, input shape)',
  builder: (y: Argv) =>
    y.option('json', { type: 'boolean', default: false, describe: 'Print a JSON array instead of a table' }),
  handler: (argv) => {
    const rows = zooRows();
    process.stdout.write(argv.json ? JSON.stringify(rows, null, 2) + '\n' : formatZooTable(rows));
  },
};

export default command;
