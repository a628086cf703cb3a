// A whole .hwq network on the generated core: the network executor (src/intmodel/run-network.ts) drives the
// layers, and every compute step runs on bitfusion_layer under a simulator instead of the integer model. All
// layers share one compiled simulator model (the Verilator build is cached by the design's sources, rtl/sim.ts);
// each layer is one run of it: reset, the layer's per-channel tables, its tiles and output passes back to back.
//
// What the host does between layers, and why:
//   - im2col of the input codes (padding with the input zero point): the output path writes a pixel's channels
//     in consecutive words, the layout a 1x1 convolution or an fc reads; a kxk convolution reads patches, so the
//     host unpacks the codes and lays the patches out (rtl/layer.ts compiles the tiles from them);
//   - the residual operand of a fused Add: rescaled to the Add's grid, and for the option-A shortcut subsampled
//     and padded with zero-point channels (residualCodes); the output path adds it as packed words;
//   - the pools (average onto the fc's grid, max): the core has no pooling unit;
//   - the input image's quantization;
//   - the last layer's logits: the core's output path only writes requantized codes, so the host reads the
//     int32 accumulators back from OBUF (checkLayer checks every one of them against the model).
import type { HwConfig } from '../hw/config.js';
import type { ComputeLayer } from '../src/model/ir.js';
import { fuWidth, pairsPerCycle } from '../hw/fusion-unit.js';
import type { ActQuant } from '../src/intmodel/activation.js';
import type { HwqModel } from '../src/intmodel/format.js';
import { hardwareMode } from '../src/intmodel/hardware-modes.js';
import { type ComputeStep, type NetworkResult, type StepRunner, integerRunner, runNetwork } from '../src/intmodel/run-network.js';
import type { RtlDesign } from './generate.js';
import { type OutputFormat, compileIntegerLayer, layerCycles, stepCycles } from './layer.js';
import { checkLayerFast } from './layer-fast.js';
import { checkLayer } from './layer-verify.js';
import type { ElementBits } from './output-path.js';
import type { Simulator } from './verify.js';
import { layerMode } from './weights.js';

export interface RtlLayerRun {
  name: string;
  /** Tiles and output passes of the layer's program. */
  tiles: number;
  passes: number;
  /** Cycles from each step's start to its done pulse, summed: as the RTL ran, and the layer compiler's model. */
  rtlCycles: number;
  modelCycles: number;
  /** The model's cycles split into the tiles' and the output passes'. */
  tileCycles: number;
  passCycles: number;
  /** The cycle-accurate simulator's cycles for the layer on the same config (compute, and in all with DRAM stalls). */
  simComputeCycles: number;
  simTotalCycles: number;
  /** The layer's output (codes, or the last layer's accumulators) equals the integer model's, bit for bit. */
  equal: boolean;
  /** What checkLayer found wrong (tile writes, output words, accumulators, cycles); empty when the RTL matches. */
  problems: string[];
}

/** The cycle simulator's cycles for a layer (compute, and in all with the DRAM stalls it models); rtl/ does not import sim/. */
export type LayerSimCycles = (l: ComputeLayer) => { compute: number; total: number };

export interface RtlNetworkRun {
  layers: RtlLayerRun[];
  rtl: NetworkResult;
  reference: NetworkResult;
  /** The logits (the last layer's accumulators) of the RTL chain equal the integer model's. */
  logitsEqual: boolean;
}

/** How the core writes a step's codes: the grid's width raised to a Fusion Unit width, packed as its reader's mode reads them. */
function outputFormat(model: HwqModel, out: ActQuant, cfg: HwConfig, source: string): OutputFormat {
  const bits = fuWidth(out.bits, 8) as ElementBits;
  const reader = model.layers.find((l) => l.header.act === out);
  const mode = reader ? layerMode(reader.header, cfg, source).mode : hardwareMode({ a: bits, w: bits }, cfg);
  return { bits, perWord: pairsPerCycle(mode), signed: out.signed };
}

/**
 * How each layer runs: checkLayer (rtl/layer-verify.ts) on the per-cycle harness of a simulator, or
 * 'verilator-events': checkLayerFast (rtl/layer-fast.ts) on the event-driven Verilator build, the same checks
 * with the operands and accumulators moved through the buffers directly.
 */
export type NetworkSim = Simulator | 'verilator-events';

function sameCodes(a: Int32Array | undefined, b: Int32Array | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs `image` through the network on the core; `onLayer` sees each layer as it finishes. */
export function runNetworkOnRtl(
  model: HwqModel, image: ArrayLike<number>, cfg: HwConfig, design: RtlDesign, source: string, simCycles: LayerSimCycles,
  sim: NetworkSim = 'verilator', onLayer: (l: RtlLayerRun) => void = () => undefined,
): RtlNetworkRun {
  const p = design.params;
  const layers: RtlLayerRun[] = [];
  // The integer model's result of each step of the RTL chain, for the reference run (see reference below).
  const wants = new Map<number, { s: ComputeStep; accumulators: boolean; want: Int32Array }>();
  const onCore = (s: ComputeStep, accumulators: boolean): Int32Array => {
    const h = model.layers[s.index];
    const choice = layerMode(h.header, cfg, source);
    // The last layer's output pass is not used: its codes are written as 8-bit signed words and dropped.
    const out: OutputFormat = s.out ? outputFormat(model, s.out, cfg, source) : { bits: 8, perWord: 4, signed: true };
    const L = s.out ? s.integer : { ...s.integer, min: -128, max: 127 };
    const program = compileIntegerLayer(L, s.input, p, {
      aBits: h.header.aBits!, wBits: h.header.wBits, aSigned: choice.aSigned, out, residual: s.residual,
    });
    const res = sim === 'verilator-events' ? checkLayerFast(design, program) : checkLayer(design, sim, program);
    const want = accumulators ? integerRunner.accumulators(s) : integerRunner.codes(s);
    wants.set(s.index, { s, accumulators, want });
    // checkLayer compares every accumulator the host reads back with the model: with no problems they are want's.
    const got = accumulators ? (res.problems.length === 0 ? want : new Int32Array(want.length)) : res.codes;
    const simLayer = simCycles(h.header.layer);
    const run: RtlLayerRun = {
      name: h.header.name,
      tiles: program.steps.filter((x) => x.kind === 'tile').length,
      passes: program.steps.filter((x) => x.kind === 'output').length,
      rtlCycles: res.rtlCycles,
      modelCycles: layerCycles(program, p),
      tileCycles: program.steps.filter((x) => x.kind === 'tile').reduce((sum, x) => sum + stepCycles(x, p), 0),
      passCycles: program.steps.filter((x) => x.kind === 'output').reduce((sum, x) => sum + stepCycles(x, p), 0),
      simComputeCycles: simLayer.compute,
      simTotalCycles: simLayer.total,
      equal: res.problems.length === 0 && got.length === want.length && got.every((v, i) => v === want[i]),
      problems: res.problems,
    };
    layers.push(run);
    onLayer(run);
    return got;
  };
  const runner: StepRunner = { codes: (s) => onCore(s, false), accumulators: (s) => onCore(s, true) };
  const rtl = runNetwork(model, image, source, runner);
  // The reference chain runs the same plan from the same image, so its step i is the RTL chain's step i (the same
  // integer layer) as long as its inputs are: then its result is the one computed above, and only steps whose
  // inputs differ (after a layer the core got wrong) are computed again.
  const reuse = (s: ComputeStep, accumulators: boolean): Int32Array => {
    const w = wants.get(s.index);
    if (w && w.accumulators === accumulators && sameCodes(w.s.input, s.input) && sameCodes(w.s.residual, s.residual)) return w.want;
    return accumulators ? integerRunner.accumulators(s) : integerRunner.codes(s);
  };
  const reference = runNetwork(model, image, source, { codes: (s) => reuse(s, false), accumulators: (s) => reuse(s, true) });
  const logitsEqual = rtl.accumulators.length === reference.accumulators.length && rtl.accumulators.every((v, i) => v === reference.accumulators[i]);
  return { layers, rtl, reference, logitsEqual };
}
