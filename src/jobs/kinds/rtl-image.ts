// 'rtl-image': images of a data set through a whole quantized network on the generated Bit Fusion core under
// Verilator (rtl/network.ts) -> per image whether the logits and every layer equal the integer model, the top-1
// beside onnxruntime's on the QDQ model, and per layer the core's cycles beside the layer model's and the cycle
// simulator's. The spec carries the hash of the generated Verilog, so a worker whose generator differs (another
// hwq version) refuses the job instead of running other RTL under the same key.
import { createHash } from 'node:crypto';
import type { HwConfig } from '../../../hw/config.js';
import { type RtlDesign, generateRtl, sourcesOf } from '../../../rtl/generate.js';
import { type LayerSimCycles, type NetworkSim, type RtlLayerRun, runNetworkOnRtl } from '../../../rtl/network.js';
import { layerTiming, simulateLayer } from '../../../sim/simulate.js';
import type { TilingFor } from '../../../rtl/net-program.js';
import { decodeBatch } from '../../data/decode-batch.js';
import { sampleName } from '../../data/dataset.js';
import type { InputSpec } from '../../data/input-spec.js';
import { UserError } from '../../errors.js';
import { type HwqModel, readHwq } from '../../intmodel/format.js';
import { top1 } from '../../intmodel/run-network.js';
import { type OrtModel, openModel } from '../../onnx/run.js';
import { decodeModel } from '../../onnx/proto.js';
import { type QdqForm, qdqFormOf } from '../../quant/qdq.js';
import { openDataRef } from '../data-ref.js';
import { type DataRef, type FileRef, readFileRef, registerJob } from '../job.js';

export const RTL_IMAGE = 'rtl-image';

export interface RtlImageSpec {
  /** The .hwq model, and the QDQ ONNX model whose onnxruntime top-1 is compared (none: not compared). */
  model: FileRef;
  qdq?: FileRef;
  config: HwConfig;
  /** designHash of the Verilog generated for `config`. */
  design: string;
  data: DataRef;
  input: InputSpec;
  sim: NetworkSim;
}

export interface ImageRun {
  image: string;
  label: number;
  logitsEqual: boolean;
  top1: number;
  /** onnxruntime's top-1 on the QDQ model, or null without one. */
  qdqTop1: number | null;
  /** The QDQ model's form (`hwq quantize --qdq-form`), null without one or for a model hwq did not write. */
  qdqForm: QdqForm | null;
  layers: RtlLayerRun[];
}

/** `hwq sim`'s cycles for one layer at its own precision on `cfg`, batch 1. */
export function layerSimCycles(cfg: HwConfig): LayerSimCycles {
  return (l) => {
    const r = simulateLayer(l, cfg, l.precision ?? { a: 8, w: 8 }, 1);
    return { compute: r.computeCycles, total: r.totalCycles };
  };
}

/** The cycle simulator's tiling of each layer (its best mapping at the layer's precision, batch 1), for the network program. */
export function simTiling(cfg: HwConfig): TilingFor {
  return (l) => {
    const m = layerTiming(l, cfg, l.precision ?? { a: 8, w: 8 }, 1).mapping;
    return { outRowTile: m.outRowTile, outColTile: m.outColTile, outChanTile: m.outChanTile, inChanTile: m.inChanTile, order: [...m.order] };
  };
}

/** The generated design's identity: a hash of every Verilog source. */
export function designHash(design: RtlDesign): string {
  const h = createHash('sha256');
  for (const [name, text] of sourcesOf(design)) h.update(name).update('\0').update(text).update('\0');
  return h.digest('hex');
}

// Kept per process: a worker runs image after image of one model on one design.
const models = new Map<string, HwqModel>();
const designs = new Map<string, RtlDesign>();
const sessions = new Map<string, Promise<{ ort: OrtModel; form: QdqForm | null }>>();

export function modelOf(ref: FileRef): HwqModel {
  let m = models.get(ref.sha256);
  if (!m) {
    m = readHwq(new Uint8Array(readFileRef(ref)), ref.path);
    models.set(ref.sha256, m);
  }
  return m;
}

export function designOf(cfg: HwConfig, want: string): RtlDesign {
  const key = JSON.stringify(cfg);
  let d = designs.get(key);
  if (!d) {
    d = generateRtl(cfg);
    designs.set(key, d);
  }
  const got = designHash(d);
  if (got !== want) {
    throw new UserError(`the Verilog this hwq generates for config '${cfg.name}' (sha256 ${got.slice(0, 12)}) is not the job's (${want.slice(0, 12)}): `
      + 'run the job with the same hwq version that made it');
  }
  return d;
}

export function sessionOf(ref: FileRef): Promise<{ ort: OrtModel; form: QdqForm | null }> {
  let s = sessions.get(ref.sha256);
  if (!s) {
    const bytes = new Uint8Array(readFileRef(ref));
    s = openModel(bytes).then((ort) => ({ ort, form: qdqFormOf(decodeModel(bytes, ref.path)) }));
    sessions.set(ref.sha256, s);
  }
  return s;
}

export async function runRtlImages(s: RtlImageSpec): Promise<ImageRun[]> {
  const model = modelOf(s.model);
  const design = designOf(s.config, s.design);
  const inp = model.network.input;
  const qdq = s.qdq ? await sessionOf(s.qdq) : null;
  const ort = qdq?.ort;
  const out: ImageRun[] = [];
  for (const sample of openDataRef(s.data)) {
    const x = decodeBatch([sample.source], s.input);
    const r = runNetworkOnRtl(model, x, s.config, design, s.model.path, layerSimCycles(s.config), s.sim);
    let qdqTop1: number | null = null;
    if (ort) {
      const o = await ort.run({ [ort.inputNames[0]]: { dims: [1, inp.c, inp.h, inp.w], data: x } });
      qdqTop1 = top1(o.get(ort.outputNames[0])!.data as Float32Array);
    }
    out.push({ image: sampleName(sample), label: sample.label, logitsEqual: r.logitsEqual, top1: top1(r.rtl.logits), qdqTop1, qdqForm: qdq?.form ?? null, layers: r.layers });
  }
  return out;
}

export const rtlImageKind = registerJob<RtlImageSpec, ImageRun[]>({ kind: RTL_IMAGE, run: runRtlImages });
