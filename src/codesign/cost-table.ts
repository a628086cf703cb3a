// What each precision candidate of each layer costs on a config, from the cycle-accurate model: cycles (stalls
// included), energy, and the packed weight bytes. The simulator runs each layer on its own (a network's figures are
// the sums of its layers', sim/simulate.ts), so a mix's cost is the sum of its layers' entries exactly.
import type { HwConfig } from '../../hw/config.js';
import { type ComputeLayer, type Network, type Precision, computeLayers, layerParams } from '../model/ir.js';
import { simulateLayer } from '../../sim/simulate.js';

/** The widths a Fusion Unit fuses to: every candidate runs at a hardware mode, so none is padded. */
export const CANDIDATE_WIDTHS = [2, 4, 8] as const;

export interface LayerCost {
  cycles: number;
  energyUJ: number;
  /** Weights packed at the candidate's width, biases at 32 bits. */
  weightBytes: number;
}

export interface LayerCosts {
  name: string;
  candidates: Precision[];
  costs: LayerCost[];
}

export interface CostTable {
  config: string;
  clockMHz: number;
  batch: number;
  layers: LayerCosts[];
}

export type Objective = 'latency' | 'energy' | 'size';
export const OBJECTIVES: readonly Objective[] = ['latency', 'energy', 'size'];

/** Every activation x weight pair of `widths`, weights varying fastest. */
export function candidateGrid(widths: readonly number[] = CANDIDATE_WIDTHS): Precision[] {
  return widths.flatMap((a) => widths.map((w) => ({ a, w })));
}

export function packedWeightBytes(l: ComputeLayer, wBits: number): number {
  const biases = l.kind === 'conv' ? (l.bias ? l.outC : 0) : l.kind === 'fc' ? (l.bias ? l.outFeatures : 0) : l.bias ? l.n : 0;
  return Math.ceil(((layerParams(l) - biases) * wBits) / 8) + 4 * biases;
}

/** `candidatesOf(layer, index)` lists each compute layer's candidates (at least one). */
export function costTable(net: Network, cfg: HwConfig, candidatesOf: (l: ComputeLayer, i: number) => Precision[], batch = 1): CostTable {
  const layers = computeLayers(net).map((l, i) => {
    const candidates = candidatesOf(l, i);
    const costs = candidates.map((p) => {
      const r = simulateLayer(l, cfg, p, batch);
      return { cycles: r.totalCycles, energyUJ: r.energy.totalPJ / 1e6, weightBytes: packedWeightBytes(l, p.w) };
    });
    return { name: l.name, candidates, costs };
  });
  return { config: cfg.name, clockMHz: cfg.clockMHz, batch, layers };
}

/** A candidate's cost in the objective's unit: milliseconds, microjoules or bytes. */
export function objectiveCost(t: CostTable, c: LayerCost, objective: Objective): number {
  if (objective === 'latency') return c.cycles / (t.clockMHz * 1e3);
  return objective === 'energy' ? c.energyUJ : c.weightBytes;
}

/** The objective's total for one candidate index per layer. */
export function mixCost(t: CostTable, choice: number[], objective: Objective): number {
  return t.layers.reduce((s, l, i) => s + objectiveCost(t, l.costs[choice[i]], objective), 0);
}
