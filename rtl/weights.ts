// Weight memory images of a quantized model (.hwq) for the generated core: each layer's integer weights
// packed the way the tile compiler (compileLayer) lays them into the WBUF, so a host can copy them into the
// buffer tile by tile.
//
// Image layout of one layer: one line per WBUF word address, in the order groups -> column tiles -> steps.
// A line holds every WBUF bank's 32-bit word at that address, bank b = r*cols + c in bits [32*b +: 32]
// (bank 0 least significant), written as one hex number ($readmemh of a rows*cols*32-bit wide memory).
// Column tile j of group g covers output channels g*N + j*cols + c; its step s sits on line
// (g*colTiles + j)*S + s, which the host writes at wbuf_base + s of the tile's half. Inside a bank word,
// reduction element k = (s*rows + r)*P + q is pair q (packWord), P = pairsPerCycle(mode); elements past K
// and channels past N are zero.
import { HwConfig } from '../hw/config.js';
import { FuMode, modeName, operandRange, pairsPerCycle } from '../hw/fusion-unit.js';
import { hardwareMode } from '../src/intmodel/hardware-modes.js';
import { gemmView } from '../src/model/ir.js';
import type { HwqLayer, HwqLayerHeader, HwqModel } from '../src/intmodel/format.js';
import { UserError } from '../src/errors.js';
import { reductionSlot, reductionSteps } from './compile.js';
import { packWord, unpackWord } from './pack.js';
import { RtlParams } from './params.js';

export interface LayerModeChoice {
  mode: FuMode;
  aSigned: boolean;
  wSigned: boolean;
}

/** One column tile's lines in a layer image. */
export interface ImageTile {
  group: number;
  /** First output channel of the tile inside its group, and how many of the tile's columns are real. */
  n0: number;
  channels: number;
  firstLine: number;
  lines: number;
}

export interface LayerImagePlan {
  name: string;
  kind: string;
  /** The Fusion Unit mode the layer runs in (precisions raised to 2/4/8 bits). */
  mode: FuMode;
  aSigned: boolean;
  wSigned: boolean;
  wBits: number;
  aBits: number;
  weightShape: number[];
  groups: number;
  /** Per group GEMM: reduction K and output channels N. */
  K: number;
  N: number;
  pairs: number;
  steps: number;
  colTiles: number;
  lines: number;
  /**
   * False when S exceeds the core's per-tile maxSteps: the host then runs each column tile as continuation
   * tiles of maxSteps steps (rtl/compile.ts compileLayer), tile i taking lines firstLine + i*maxSteps onwards.
   */
  fitsOneTile: boolean;
  tiles: ImageTile[];
}

export interface LayerImage {
  plan: LayerImagePlan;
  /** lines x banks words: line i bank b at [i*banks + b]. */
  words: Uint32Array;
}

/** The mode a layer runs in on `cfg`, or a UserError naming the layer and what the config supports. */
export function layerMode(h: HwqLayerHeader, cfg: HwConfig, source: string): LayerModeChoice {
  if (h.aBits === null || !h.act) {
    throw new UserError(`'${source}' layer '${h.name}' reads float activations (weight-only quantization): the integer core needs quantized activations (quantize with activation bits)`);
  }
  const mode = hardwareMode({ a: h.aBits, w: h.wBits }, cfg, (m) => new UserError(
    `'${source}' layer '${h.name}': ${m.operand} of ${m.bits} bits cannot run on config '${cfg.name}' (maxBits ${cfg.maxBits}: the Fusion Unit runs ` +
    `${m.widths.join(', ')}-bit operands; narrower precisions are raised to the next of them)`));
  return { mode, aSigned: h.act.signed, wSigned: true };
}

function layerPlan(h: HwqLayerHeader, choice: LayerModeChoice, p: RtlParams, source: string): LayerImagePlan {
  const bad = (m: string) => new UserError(`'${source}' layer '${h.name}': ${m}`);
  const total = h.weightShape[0];
  const K = h.weightShape.slice(1).reduce((a, b) => a * b, 1);
  const groups = h.layer.kind === 'conv' ? h.layer.groups : 1;
  if (!Number.isInteger(groups) || groups < 1 || total % groups !== 0) throw bad(`${total} output channels do not split into ${groups} groups`);
  const N = total / groups;
  const view = gemmView(h.layer);
  if (view.reduction !== K || view.cols !== N) {
    throw bad(`weight shape [${h.weightShape.join(', ')}] does not match the layer's GEMM (reduction ${view.reduction}, ${view.cols} outputs per group)`);
  }
  const P = pairsPerCycle(choice.mode);
  const S = reductionSteps(K, choice.mode, p.rows);
  const colTiles = Math.ceil(N / p.cols);
  const tiles: ImageTile[] = [];
  for (let g = 0; g < groups; g++) for (let j = 0; j < colTiles; j++) {
    tiles.push({ group: g, n0: j * p.cols, channels: Math.min(p.cols, N - j * p.cols), firstLine: (g * colTiles + j) * S, lines: S });
  }
  return {
    name: h.name, kind: h.kind, mode: choice.mode, aSigned: choice.aSigned, wSigned: choice.wSigned, wBits: h.wBits, aBits: h.aBits!,
    weightShape: [...h.weightShape], groups, K, N, pairs: P, steps: S, colTiles, lines: groups * colTiles * S,
    fitsOneTile: S <= p.maxSteps, tiles,
  };
}

/** The packed WBUF image of one layer (see the file comment for the layout). */
export function layerImage(l: HwqLayer, cfg: HwConfig, p: RtlParams, source: string): LayerImage {
  const h = l.header;
  const choice = layerMode(h, cfg, source);
  const plan = layerPlan(h, choice, p, source);
  const [lo, hi] = operandRange(choice.mode.w, true);
  for (let i = 0; i < l.weights.length; i++) {
    const v = l.weights[i];
    if (v < lo || v > hi) throw new UserError(`'${source}' layer '${h.name}': weight ${i} = ${v} is outside the ${h.wBits}-bit range it claims (${lo}..${hi} at the ${choice.mode.w}-bit unit width)`);
  }
  const R = p.rows;
  const C = p.cols;
  const B = R * C;
  const P = plan.pairs;
  const { K, N, steps: S } = plan;
  const words = new Uint32Array(plan.lines * B);
  const pairs = new Int32Array(B * P);
  for (const t of plan.tiles) {
    for (let s = 0; s < S; s++) {
      pairs.fill(0);
      for (let r = 0; r < R; r++) for (let q = 0; q < P; q++) {
        const k = (s * R + r) * P + q;
        if (k >= K) continue;
        for (let c = 0; c < t.channels; c++) pairs[(r * C + c) * P + q] = l.weights[(t.group * N + t.n0 + c) * K + k];
      }
      const line = t.firstLine + s;
      for (let b = 0; b < B; b++) words[line * B + b] = packWord(pairs.subarray(b * P, b * P + P), choice.mode.w);
    }
  }
  return { plan, words };
}

/** The inverse of layerImage: canonical weights ([outC][K]) from an image's words, for checks. */
export function unpackLayerImage(plan: LayerImagePlan, words: Uint32Array, p: RtlParams): Int8Array {
  const B = p.rows * p.cols;
  const out = new Int8Array(plan.groups * plan.N * plan.K);
  for (const t of plan.tiles) {
    for (let k = 0; k < plan.K; k++) {
      const { s, r, q } = reductionSlot(k, p.rows, plan.pairs);
      for (let c = 0; c < t.channels; c++) {
        const word = words[(t.firstLine + s) * B + r * p.cols + c];
        out[(t.group * plan.N + t.n0 + c) * plan.K + k] = unpackWord(word, plan.mode.w, plan.pairs, plan.wSigned)[q];
      }
    }
  }
  return out;
}

/** $readmemh text: `//` comment lines, then one hex line per address, bank 0 in the low bits. */
export function memText(words: Uint32Array, banks: number, comments: string[]): string {
  const lines = comments.map((c) => `// ${c}`);
  const n = words.length / banks;
  for (let i = 0; i < n; i++) {
    let line = '';
    for (let b = banks - 1; b >= 0; b--) line += words[i * banks + b].toString(16).padStart(8, '0');
    lines.push(line);
  }
  return lines.join('\n') + '\n';
}

/** Parses memText output (comments and blank lines skipped) back into words. */
export function parseMem(text: string, banks: number): Uint32Array {
  const lines = text.split('\n').map((l) => l.replace(/\/\/.*$/, '').trim()).filter((l) => l !== '');
  const out = new Uint32Array(lines.length * banks);
  lines.forEach((l, i) => {
    if (!/^[0-9a-f]+$/i.test(l) || l.length !== banks * 8) throw new RangeError(`mem line ${i}: expected ${banks * 8} hex digits, got '${l.slice(0, 40)}${l.length > 40 ? '...' : ''}'`);
    for (let b = 0; b < banks; b++) {
      const end = l.length - 8 * b;
      out[i * banks + b] = parseInt(l.slice(end - 8, end), 16) >>> 0;
    }
  });
  return out;
}

export interface WeightManifest {
  format: 'hwq-rtl-weights';
  version: 1;
  model: string;
  source: string;
  config: string;
  array: { rows: number; cols: number };
  wbuf: { banks: number; wordBits: number; tileDepth: number; maxSteps: number };
  layout: string;
  layers: Array<LayerImagePlan & { file: string; mode: FuMode; modeName: string }>;
}

function fileName(i: number, name: string): string {
  return `L${String(i).padStart(3, '0')}_${name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 60)}.mem`;
}

/**
 * Every quantized layer's image and the manifest, as (relative file name -> text) under `dir`. Checks
 * every layer before producing anything, so bad input throws before a file exists.
 */
export function weightFiles(model: HwqModel, cfg: HwConfig, p: RtlParams, source: string, dir = 'weights'): Map<string, string> {
  if (model.layers.length === 0) throw new UserError(`'${source}' has no quantized layers`);
  const images = model.layers.map((l) => layerImage(l, cfg, p, source));
  const banks = p.rows * p.cols;
  const files = new Map<string, string>();
  const layers: WeightManifest['layers'] = [];
  images.forEach((img, i) => {
    const file = fileName(i, img.plan.name);
    const pl = img.plan;
    files.set(`${dir}/${file}`, memText(img.words, banks, [
      `layer ${pl.name} (${pl.kind}), mode ${modeName(pl.mode)} a_signed=${pl.aSigned ? 1 : 0} w_signed=1, weights [${pl.weightShape.join(', ')}]`,
      `${p.rows}x${p.cols} array, ${pl.groups} group(s) x ${pl.colTiles} column tile(s) x ${pl.steps} step(s); one line = ${banks} WBUF banks x 32 bits, bank 0 lowest`,
    ]));
    layers.push({ ...pl, file, modeName: modeName(pl.mode) });
  });
  const manifest: WeightManifest = {
    format: 'hwq-rtl-weights', version: 1, model: model.header.name, source, config: cfg.name,
    array: { rows: p.rows, cols: p.cols },
    wbuf: { banks, wordBits: p.wbuf.wordBits, tileDepth: p.wbuf.tileDepth, maxSteps: p.maxSteps },
    layout: 'line (group*colTiles + tile)*steps + s holds WBUF address wbuf_base + s of that column tile; bank b = r*cols + c at bits [32*b +: 32]; ' +
      'reduction element k = (s*rows + r)*pairs + q is pair q of the bank word (bits [q*wBits +: wBits], two\'s complement); ' +
      'output channel of column c = group*N + n0 + c',
    layers,
  };
  files.set(`${dir}/manifest.json`, JSON.stringify(manifest, null, 2) + '\n');
  return files;
}
