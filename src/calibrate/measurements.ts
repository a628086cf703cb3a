// The measured runs `hwq calibrate` fits to: a CSV with columns network, precision, latency_ms and optionally
// batch and layer. Every bad row is refused naming its line; nothing is fitted from a file with one.
import { parse } from 'csv-parse/sync';
import { Network, computeLayers } from '../model/ir.js';
import { parsePrecision } from '../../sim/precision.js';
import { UserError } from '../errors.js';

export interface Measurement {
  /** Line of the CSV file the row is on (for messages). */
  line: number;
  /** As written: a zoo name or a model file. */
  network: string;
  net: Network;
  /** 'a8w4', or 'file': the precisions the network carries (a .hwq or quantized model's, a bf-* benchmark's). */
  precision: string;
  batch: number;
  /** A compute layer's name as `hwq sim` prints it; absent for the whole network. */
  layer?: string;
  /** Time of one batch (the whole network or the layer), ms. */
  latencyMs: number;
}

export const REQUIRED_COLUMNS = ['network', 'precision', 'latency_ms'];
export const OPTIONAL_COLUMNS = ['batch', 'layer'];
export const OWN_PRECISIONS = 'file';

/**
 * Parses the CSV text (`src` names the file in messages); `load` resolves a network as `hwq sim` does and is
 * called once per distinct name.
 */
export function parseMeasurements(text: string, src: string, load: (spec: string) => Network): Measurement[] {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { info: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as unknown as typeof records;
  } catch (e) {
    throw new UserError(`${src}: not a readable CSV file (${(e as Error).message})`);
  }
  if (records.length === 0) throw new UserError(`${src} is empty: it needs a header row with ${REQUIRED_COLUMNS.join(', ')} and one row per run`);
  const header = records[0].record.map((h) => h.toLowerCase());
  const valid = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];
  for (const h of header) {
    if (!valid.includes(h)) throw new UserError(`${src} line ${records[0].info.lines}: unknown column '${h}' (valid columns: ${valid.join(', ')})`);
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) {
    const what = `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
    throw new UserError(`${src} line ${records[0].info.lines}: ${what} (needs ${REQUIRED_COLUMNS.join(', ')}; optional ${OPTIONAL_COLUMNS.join(', ')})`);
  }
  const repeated = header.find((h, i) => header.indexOf(h) !== i);
  if (repeated) throw new UserError(`${src} line ${records[0].info.lines}: column '${repeated}' appears twice`);
  if (records.length === 1) throw new UserError(`${src} has a header but no runs: add one row per measured run`);
  const nets = new Map<string, Network>();
  const seen = new Map<string, number>();
  return records.slice(1).map(({ record, info }) => {
    const at = `${src} line ${info.lines}`;
    if (record.length !== header.length) throw new UserError(`${at}: ${record.length} fields, the header has ${header.length}`);
    const cell = (c: string) => (header.includes(c) ? record[header.indexOf(c)] : '');
    const network = cell('network');
    if (!network) throw new UserError(`${at}: network is empty: give a zoo name, an .onnx or a .hwq model`);
    let net = nets.get(network);
    if (!net) {
      try {
        net = load(network);
      } catch (e) {
        if (e instanceof UserError) throw new UserError(`${at}: ${e.message}`);
        throw e;
      }
      nets.set(network, net);
    }
    const precision = cell('precision');
    if (precision.toLowerCase() !== OWN_PRECISIONS) {
      try {
        parsePrecision(precision);
      } catch (e) {
        throw new UserError(`${at}: ${(e as Error).message}, or '${OWN_PRECISIONS}' for the network's own precisions`);
      }
    }
    const batchText = cell('batch');
    const batch = batchText === '' ? 1 : /^\d+$/.test(batchText) ? Number(batchText) : NaN;
    if (!(batch >= 1 && batch <= 1e6)) throw new UserError(`${at}: batch '${batchText}' must be a positive integer`);
    const latencyText = cell('latency_ms');
    const latencyMs = /^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(latencyText) ? Number(latencyText) : NaN;
    if (!(latencyMs > 0 && Number.isFinite(latencyMs))) throw new UserError(`${at}: latency_ms '${latencyText}' must be a positive number of milliseconds`);
    const layer = cell('layer') || undefined;
    if (layer !== undefined) {
      const names = computeLayers(net).map((l) => l.name);
      if (!names.includes(layer)) {
        const some = names.slice(0, 6).join(', ');
        throw new UserError(`${at}: layer '${layer}' is not a compute layer of ${network} (its compute layers: ${some}${names.length > 6 ? ', ...' : ''})`);
      }
    }
    const key = JSON.stringify([network, precision.toLowerCase(), batch, layer ?? null]);
    const first = seen.get(key);
    if (first !== undefined) throw new UserError(`${at}: the same run as line ${first} (give each network, precision, batch and layer once)`);
    seen.set(key, info.lines);
    return { line: info.lines, network, net, precision: precision.toLowerCase(), batch, layer, latencyMs };
  });
}
