// 'sim-point': one simulation of a sweep, network x resolved config x precision setting x batch x simulator
// model -> the whole-network figures (the per-layer breakdown stays behind: sweeps do not print it).
// Networks are loaded once per process and kept by source, so a worker runs many points on one import.
import { HwConfig } from '../../../hw/config.js';
import { Network } from '../../model/ir.js';
import { PrecisionOptions } from '../../../sim/precision.js';
import { NetworkSimResult } from '../../../sim/types.js';
import { loadNetwork } from '../../cli/network-source.js';
import { runSimulation } from '../../cli/sim-options.js';
import { FileRef, readFileRef, registerJob } from '../job.js';

export const SIM_POINT = 'sim-point';

/** A zoo network by name, or a model file (.onnx / .hwq) by content, with an .onnx file's per-sample input dims. */
export type NetworkSource = { zoo: string } | { file: FileRef; inputShape?: number[] };

export interface SimPointSpec {
  network: NetworkSource;
  config: HwConfig;
  precision: PrecisionOptions;
  batch: number;
  model: string;
}

export type SimPointResult = Omit<NetworkSimResult, 'layers' | 'model' | 'config'>;

const networks = new Map<string, Network>();

function sourceId(s: NetworkSource): string {
  return 'zoo' in s ? `zoo:${s.zoo}` : `file:${s.file.sha256}:${s.inputShape?.join('x') ?? ''}`;
}

export function networkOf(s: NetworkSource): Network {
  const id = sourceId(s);
  let net = networks.get(id);
  if (!net) {
    if ('file' in s) readFileRef(s.file);
    net = loadNetwork('zoo' in s ? s.zoo : s.file.path, 'zoo' in s ? undefined : s.inputShape);
    networks.set(id, net);
  }
  return net;
}

export function simPoint(spec: SimPointSpec): SimPointResult {
  const r = runSimulation(networkOf(spec.network), spec.config, spec.model, spec.batch, spec.precision);
  const { layers: _layers, model: _model, config: _config, ...summary } = r;
  return summary;
}

export const simPointJob = registerJob<SimPointSpec, SimPointResult>({ kind: SIM_POINT, run: simPoint, batchable: true });
