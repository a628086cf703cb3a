// Whole-network simulation with the cycle-accurate model: each compute layer through the layer model at
// its precision; pooling and elementwise layers are folded into the output path and take no array cycles (the
// array runs conv, fc and matmul layers only, as in the Bit Fusion paper).
import { HwConfig } from '../hw/config.js';
import { pairsPerCycle } from '../hw/fusion-unit.js';
import { hardwareMode } from '../src/intmodel/hardware-modes.js';
import { ComputeLayer, Network, Precision, computeLayers, layerMacs } from '../src/model/ir.js';
import { layerEnergy } from './energy.js';
import { loopNest } from './loop-nest.js';
import { bestLayerTiming, describeMapping } from './layer-model.js';
import { LayerSimResult, NetworkSimResult } from './types.js';
import { UserError } from '../src/errors.js';
import { finishSteps } from './steps.js';

export interface SimOptions {
  batch: number;
  precisionOf: (layer: ComputeLayer, index: number) => Precision;
  /** Label of the precision setting for the result ('a4w4', 'mixed'). */
  precisionLabel: string;
}

/** The layer model's best schedule of a layer at a precision: its mapping, cycles and traffic. */
export function layerTiming(l: ComputeLayer, cfg: HwConfig, p: Precision, batch: number): ReturnType<typeof bestLayerTiming> {
  const mode = hardwareMode(p, cfg);
  // Operands live in memory at their real width; the output is written at this layer's activation width.
  return bestLayerTiming({ nest: loopNest(l, batch), cfg, mode, aBits: p.a, wBits: p.w, outBits: Math.max(p.a, 2), layerName: l.name });
}

export function simulateLayer(l: ComputeLayer, cfg: HwConfig, p: Precision, batch: number): LayerSimResult {
  const mode = hardwareMode(p, cfg);
  const hp = { a: mode.a, w: mode.w };
  const t = layerTiming(l, cfg, p, batch);
  const macs = layerMacs(l) * batch;
  const units = cfg.rows * cfg.cols;
  const energy = layerEnergy(cfg.energy, {
    unitWords: t.unitWords,
    bricksPerUnit: cfg.bitBricksPerUnit,
    ibufBytes: t.ibufReadBytes + t.dram.input,
    wbufBytes: t.wbufReadBytes + t.dram.weight,
    obufBytes: t.obufAccessBytes + t.dram.outputRead,
    dram: t.dram,
    cycles: t.totalCycles,
  });
  return {
    name: l.name,
    kind: l.kind,
    precision: { ...p },
    hwPrecision: hp,
    macs,
    computeCycles: t.computeCycles,
    stallCycles: t.totalCycles - t.computeCycles,
    totalCycles: t.totalCycles,
    ...(cfg.board ? { overheadCycles: t.overheadCycles } : {}),
    utilization: macs / (t.totalCycles * units * pairsPerCycle(mode)),
    dram: t.dram,
    bufferBytes: { ibuf: t.ibufReadBytes + t.dram.input, wbuf: t.wbufReadBytes + t.dram.weight, obuf: t.obufAccessBytes + t.dram.outputRead },
    energy,
    mapping: describeMapping(t.mapping),
  };
}

export function summarize(simulator: NetworkSimResult['simulator'], net: Network, cfg: HwConfig, label: string, batch: number, layers: LayerSimResult[]): NetworkSimResult {
  const sum = (f: (l: LayerSimResult) => number) => layers.reduce((s, l) => s + f(l), 0);
  const totalCycles = sum((l) => l.totalCycles);
  const latencyMs = totalCycles / (cfg.clockMHz * 1e3);
  const macs = sum((l) => l.macs);
  return {
    simulator,
    model: net.name,
    config: cfg.name,
    precision: label,
    batch,
    macs,
    totalCycles,
    computeCycles: sum((l) => l.computeCycles),
    stallCycles: sum((l) => l.stallCycles),
    latencyMs,
    energyUJ: sum((l) => l.energy.totalPJ) / 1e6,
    opsPerSecond: latencyMs > 0 ? (2 * macs) / (latencyMs / 1e3) : 0,
    layers,
  };
}

/** The simulation one compute layer at a time: yields how many layers are done, returns the result. */
export function* simulateNetworkSteps(net: Network, cfg: HwConfig, opts: SimOptions): Generator<number, NetworkSimResult> {
  if (!Number.isInteger(opts.batch) || opts.batch < 1) throw new UserError(`batch ${opts.batch} must be a positive integer`);
  const layers: LayerSimResult[] = [];
  for (const [i, l] of computeLayers(net).entries()) {
    layers.push(simulateLayer(l, cfg, opts.precisionOf(l, i), opts.batch));
    yield layers.length;
  }
  return summarize('cycle', net, cfg, opts.precisionLabel, opts.batch, layers);
}

export function simulateNetwork(net: Network, cfg: HwConfig, opts: SimOptions): NetworkSimResult {
  return finishSteps(simulateNetworkSteps(net, cfg, opts));
}
