// `--model bitfusion-ref`: a reproduction of the published Bit Fusion analytic simulator over the project's
// IR. Every conv, fully connected and matmul layer is mapped by the published model's search
// (sim/ref/tiling.ts); pooling and elementwise layers cost nothing in that model and are left out of
// `layers`. Identical layer shapes are searched once.
import { type ComputeLayer, type Network, type Precision, computeLayers, layerMacs } from '../../src/model/ir.js';
import { type HwConfig, dramBitsPerCycle, supportedWidths, tileCapacity, unreadSettings } from '../../hw/config.js';
import { hardwareMode } from '../../src/intmodel/hardware-modes.js';
import { UserError } from '../../src/errors.js';
import { finishSteps } from '../steps.js';
import type { EnergyBreakdown, LayerSimResult, NetworkSimResult } from '../types.js';
import { type RefArch, type RefMapping, type RefProblem, perfFactor, searchMapping } from './tiling.js';

export interface RefOptions {
  batch: number;
  precisionOf: (layer: ComputeLayer, index: number) => Precision;
}

/** The accelerator in the model's terms: tile capacities in bits, energies per bit for tie-breaking. */
export function refArch(cfg: HwConfig): RefArch {
  const unread = unreadSettings(cfg, 'ref');
  if (unread.length) {
    const what = `${unread.join(', ')} ${unread.length > 1 ? 'are' : 'is'}`;
    const why = "(a board's timing is read by the cycle model only); use --model cycle";
    throw new UserError(`config '${cfg.name}': ${what} not modelled by the published Bit Fusion simulator ${why}`);
  }
  // The published model fits a tile in half of each buffer and overlaps every transfer but the first and last:
  // it has no single-buffered schedule to offer.
  for (const b of ['ibuf', 'wbuf', 'obuf'] as const) {
    if (!cfg[b].doubleBuffered) {
      throw new UserError(`config '${cfg.name}': ${b}.doubleBuffered false is not modelled by the published Bit Fusion simulator (it assumes double-buffered IBUF, WBUF and OBUF); use --model cycle`);
    }
  }
  const e = cfg.energy;
  return {
    rows: cfg.rows,
    cols: cfg.cols,
    maxBits: cfg.maxBits,
    minBits: supportedWidths(cfg)[0],
    ibufTileBits: tileCapacity(cfg.ibuf) * 8,
    wbufTileBits: tileCapacity(cfg.wbuf) * 8,
    obufTileBits: tileCapacity(cfg.obuf) * 8,
    dramBitsPerCycle: dramBitsPerCycle(cfg),
    accumulatorBits: cfg.accumulatorBits,
    pjPerBusyCycle: busyCyclePJ(cfg),
    pjPerIbufBit: e.ibufPJPerByte / 8,
    pjPerWbufBit: e.wbufPJPerByte / 8,
    pjPerObufBit: e.obufPJPerByte / 8,
    pjPerDramBit: e.dramPJPerByte / 8,
    pjPerCycle: e.staticPJPerCycle,
  };
}

/** Every BitBrick of every unit fires in a compute cycle (the published model charges core energy per busy cycle). */
function busyCyclePJ(cfg: HwConfig): number {
  return cfg.rows * cfg.cols * cfg.bitBricksPerUnit * cfg.energy.bitBrickPJ;
}

function checkPrecision(layer: ComputeLayer, p: Precision, cfg: HwConfig): void {
  hardwareMode(p, cfg, (m) => {
    const name = m.operand === 'activations' ? 'activation' : 'weight';
    return new UserError(`layer '${layer.name}': ${name} precision ${m.bits} is not supported by config '${cfg.name}' (valid: integers 1..${cfg.maxBits})`);
  });
}

/**
 * How the published model sees a layer: one convolution (per group) and how many times it repeats.
 * The first conv, the one reading the network input, runs with im2col (the published simulator keys on
 * "the data tensor has no producing op").
 */
export function refProblem(layer: ComputeLayer, batch: number, p: Precision): { problem: RefProblem; repeat: number } {
  const base = { aBits: p.a, wBits: p.w, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, spanH: 1, spanW: 1, outH: 1, outW: 1, im2col: false };
  switch (layer.kind) {
    case 'conv': {
      const [kh, kw] = layer.kernel;
      const [dh, dw] = layer.dilation;
      return {
        problem: {
          ...base,
          batch,
          outH: layer.output.h,
          outW: layer.output.w,
          kernelH: kh,
          kernelW: kw,
          strideH: layer.stride[0],
          strideW: layer.stride[1],
          spanH: dh * (kh - 1) + 1,
          spanW: dw * (kw - 1) + 1,
          inC: layer.inC / layer.groups,
          outC: layer.outC / layer.groups,
          im2col: layer.inputs.includes('input'),
        },
        // Groups are independent convolutions run one after another.
        repeat: layer.groups,
      };
    }
    case 'fc':
      return { problem: { ...base, batch, inC: layer.inFeatures, outC: layer.outFeatures }, repeat: 1 };
    case 'matmul':
      // The m rows of each product are the batch of a 1x1 conv, as the published model treats MatMul.
      return { problem: { ...base, batch: batch * layer.m, inC: layer.k, outC: layer.n }, repeat: layer.steps };
  }
}

function problemKey(p: RefProblem): string {
  return [p.batch, p.outH, p.outW, p.kernelH, p.kernelW, p.strideH, p.strideW, p.spanH, p.spanW, p.inC, p.outC, p.aBits, p.wBits, p.im2col ? 1 : 0].join(',');
}

export function describeMapping(m: RefMapping): string {
  const order = m.order.length ? m.order.join('>') : 'single tile';
  const t = m.tile;
  return `order ${order}; tile b${t.b} oh${t.oh} ow${t.ow} ic${t.ic} oc${t.oc}; ${m.dataflow}`;
}

function layerResult(layer: ComputeLayer, batch: number, p: Precision, m: RefMapping, repeat: number, cfg: HwConfig): LayerSimResult {
  const e = cfg.energy;
  const computeCycles = m.computeCycles * repeat;
  const stallCycles = m.stallCycles * repeat;
  const totalCycles = computeCycles + stallCycles;
  const bytes = (bits: number): number => (bits * repeat) / 8;
  const dram = { input: bytes(m.dram.act), weight: bytes(m.dram.wgt), outputWrite: bytes(m.dram.outWrite), outputRead: bytes(m.dram.outRead) };
  const bufferBytes = { ibuf: bytes(m.buffer.ibuf), wbuf: bytes(m.buffer.wbuf), obuf: bytes(m.buffer.obuf) };
  const computePJ = computeCycles * busyCyclePJ(cfg);
  const bufferPJ = bufferBytes.ibuf * e.ibufPJPerByte + bufferBytes.wbuf * e.wbufPJPerByte + bufferBytes.obuf * e.obufPJPerByte;
  const dramPJ = (dram.input + dram.weight + dram.outputWrite + dram.outputRead) * e.dramPJPerByte;
  const staticPJ = totalCycles * e.staticPJPerCycle;
  const energy: EnergyBreakdown = { computePJ, bufferPJ, dramPJ, staticPJ, totalPJ: computePJ + bufferPJ + dramPJ + staticPJ };
  const macs = layerMacs(layer) * batch;
  const mode = hardwareMode(p, cfg);
  const hwPrecision = { a: mode.a, w: mode.w };
  const peakPerCycle = cfg.rows * cfg.cols * perfFactor(hwPrecision.a, hwPrecision.w, { maxBits: cfg.maxBits, minBits: supportedWidths(cfg)[0] });
  return {
    name: layer.name,
    kind: layer.kind,
    precision: { ...p },
    hwPrecision,
    macs,
    computeCycles,
    stallCycles,
    totalCycles,
    utilization: totalCycles > 0 ? macs / (totalCycles * peakPerCycle) : 0,
    dram,
    bufferBytes,
    energy,
    mapping: repeat > 1 ? `${describeMapping(m)}; x${repeat}` : describeMapping(m),
  };
}

function precisionLabel(ps: Precision[]): string {
  if (ps.length === 0) return 'none';
  const first = ps[0];
  return ps.every((p) => p.a === first.a && p.w === first.w) ? `a${first.a}w${first.w}` : 'mixed';
}

export function simulateRef(net: Network, cfg: HwConfig, opts: RefOptions): NetworkSimResult {
  return finishSteps(simulateRefSteps(net, cfg, opts));
}

/** The simulation one compute layer at a time: yields how many layers are done, returns the result. */
export function* simulateRefSteps(net: Network, cfg: HwConfig, opts: RefOptions): Generator<number, NetworkSimResult> {
  if (!Number.isInteger(opts.batch) || opts.batch < 1) {
    throw new UserError(`batch must be a positive integer (got ${opts.batch})`);
  }
  const arch = refArch(cfg);
  const memo = new Map<string, RefMapping>();
  const layers: LayerSimResult[] = [];
  const precisions: Precision[] = [];
  for (const [i, layer] of computeLayers(net).entries()) {
    const p = opts.precisionOf(layer, i);
    checkPrecision(layer, p, cfg);
    precisions.push(p);
    const { problem, repeat } = refProblem(layer, opts.batch, p);
    const key = problemKey(problem);
    let m = memo.get(key);
    if (!m) {
      try {
        m = searchMapping(problem, arch);
      } catch (e) {
        if (e instanceof RangeError) throw new UserError(`layer '${layer.name}' on config '${cfg.name}': ${e.message}`);
        throw e;
      }
      memo.set(key, m);
    }
    layers.push(layerResult(layer, opts.batch, p, m, repeat, cfg));
    yield layers.length;
  }

  const sum = (f: (l: LayerSimResult) => number): number => layers.reduce((s, l) => s + f(l), 0);
  const totalCycles = sum((l) => l.totalCycles);
  const macs = sum((l) => l.macs);
  const seconds = totalCycles / (cfg.clockMHz * 1e6);
  return {
    simulator: 'bitfusion-ref',
    model: net.name,
    config: cfg.name,
    precision: precisionLabel(precisions),
    batch: opts.batch,
    macs,
    totalCycles,
    computeCycles: sum((l) => l.computeCycles),
    stallCycles: sum((l) => l.stallCycles),
    latencyMs: seconds * 1e3,
    energyUJ: sum((l) => l.energy.totalPJ) / 1e6,
    opsPerSecond: seconds > 0 ? (2 * macs) / seconds : 0,
    layers,
  };
}
