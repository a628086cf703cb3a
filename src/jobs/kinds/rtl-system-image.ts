// 'rtl-system-image': images of a data set through a whole quantized network as one network program
// (rtl/net-program.ts, under the cycle simulator's tilings) on the generated system under Verilator
// (bitfusion_system on the DRAM model, rtl/system-run.ts) -> per image whether every tensor and the logits equal
// the integer model, the top-1 beside onnxruntime's on the QDQ model, and per layer the system's cycles beside the
// cycle simulator's. Like 'rtl-image', the spec carries the generated Verilog's hash.
import type { HwConfig } from '../../../hw/config.js';
import { tensorCodes } from '../../../rtl/net-exec.js';
import { type NetProgram, compileNetwork } from '../../../rtl/net-program.js';
import { rtlParams } from '../../../rtl/params.js';
import { type SystemLayerCycles, systemLayerCycles } from '../../../rtl/system-layers.js';
import { runProgramOnSystem } from '../../../rtl/system-run.js';
import { decodeBatch } from '../../data/decode-batch.js';
import { sampleName } from '../../data/dataset.js';
import type { HwqModel } from '../../intmodel/format.js';
import { runNetwork, top1 } from '../../intmodel/run-network.js';
import type { QdqForm } from '../../quant/qdq.js';
import { openDataRef } from '../data-ref.js';
import { type FileRef, registerJob } from '../job.js';
import { type RtlImageSpec, designOf, layerSimCycles, modelOf, sessionOf, simTiling } from './rtl-image.js';

export const RTL_SYSTEM_IMAGE = 'rtl-system-image';

/** An 'rtl-image' spec without the layer simulator: the system runs on its own event build. */
export type RtlSystemImageSpec = Omit<RtlImageSpec, 'sim'>;

export interface SystemLayerRun extends SystemLayerCycles {
  /** The cycle simulator's cycles for the layer on the same config (compute, and in all with DRAM stalls). */
  simComputeCycles: number;
  simTotalCycles: number;
}

export interface SystemImageRun {
  image: string;
  label: number;
  /** The logits (the last layer's accumulators) and every tensor the program writes equal the integer model's. */
  logitsEqual: boolean;
  tensorsEqual: boolean;
  top1: number;
  qdqTop1: number | null;
  qdqForm: QdqForm | null;
  /** Cycles of each run from `run` to its halt (to the host step, then to the end), and in all. */
  segmentCycles: number[];
  cycles: number;
  layers: SystemLayerRun[];
}

// Kept per process: a worker runs image after image of one model on one design.
const programs = new Map<string, NetProgram>();

/** The network program of `model` for `cfg` under the simulator's tilings, compiled once per process. */
export function programOf(model: HwqModel, ref: FileRef, cfg: HwConfig): NetProgram {
  const key = `${ref.sha256}:${JSON.stringify(cfg)}`;
  let prog = programs.get(key);
  if (!prog) {
    prog = compileNetwork(model, cfg, rtlParams(cfg), ref.path, simTiling(cfg));
    programs.set(key, prog);
  }
  return prog;
}

export async function runSystemImages(s: RtlSystemImageSpec): Promise<SystemImageRun[]> {
  const model = modelOf(s.model);
  designOf(s.config, s.design);
  const prog = programOf(model, s.model, s.config);
  const inp = model.network.input;
  const qdq = s.qdq ? await sessionOf(s.qdq) : null;
  const simCycles = layerSimCycles(s.config);
  const irOf = new Map(model.layers.map((l) => [l.header.name, l.header.layer]));
  const out: SystemImageRun[] = [];
  for (const sample of openDataRef(s.data)) {
    const x = decodeBatch([sample.source], s.input);
    const want = runNetwork(model, x, s.model.path);
    const got = runProgramOnSystem(prog, s.config, x);
    const logitsEqual = got.accumulators.length === want.accumulators.length && got.accumulators.every((v, i) => v === want.accumulators[i]);
    const tensorsEqual = [...want.tensors].every(([name, t]) => prog.tensors.get(name)!.copies.every((c) => tensorCodes(got.memory, c).every((v, i) => v === t.codes[i])));
    let qdqTop1: number | null = null;
    if (qdq) {
      const o = await qdq.ort.run({ [qdq.ort.inputNames[0]]: { dims: [1, inp.c, inp.h, inp.w], data: x } });
      qdqTop1 = top1(o.get(qdq.ort.outputNames[0])!.data as Float32Array);
    }
    const layers = systemLayerCycles(prog, got.instrCycles).map((l) => {
      const sim = simCycles(irOf.get(l.name)!);
      return { ...l, simComputeCycles: sim.compute, simTotalCycles: sim.total };
    });
    const segmentCycles = got.segments.map((g) => g.cycles);
    out.push({
      image: sampleName(sample), label: sample.label, logitsEqual, tensorsEqual,
      top1: top1(Array.from(want.logits, (_, c) => got.accumulators[c] * want.scales[c])), qdqTop1, qdqForm: qdq?.form ?? null,
      segmentCycles, cycles: segmentCycles.reduce((a, b) => a + b, 0), layers,
    });
  }
  return out;
}

export const rtlSystemImageKind = registerJob<RtlSystemImageSpec, SystemImageRun[]>({ kind: RTL_SYSTEM_IMAGE, run: runSystemImages });
