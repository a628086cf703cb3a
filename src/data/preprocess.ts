// Turning decoded pixels into a model's input: optional bilinear resize (of the shorter side, or just enough to
// cover the output size), a center crop, channel order, then (v/255 - mean) / std, written as CHW floats (HWC for
// channels-last models). Presets match models/README.md.
import { UserError, unknownChoice } from '../errors.js';
import type { RawImage } from './image.js';

export type ChannelOrder = 'rgb' | 'bgr' | 'gray';
export const CHANNEL_ORDERS: readonly ChannelOrder[] = ['rgb', 'bgr', 'gray'];

export const TENSOR_LAYOUTS = ['nchw', 'nhwc'] as const;
/** nchw: channels first (PyTorch exports); nhwc: channels last (TensorFlow exports). */
export type TensorLayout = (typeof TENSOR_LAYOUTS)[number];

export interface PreprocessSpec {
  /** Preset name it came from (for reports), or 'custom'. */
  name: string;
  /** Output height and width: the center crop. */
  height: number;
  width: number;
  /** Before cropping (bilinear): a number resizes the shorter side to that many pixels; 'cover' scales the image,
   *  keeping its aspect ratio, to the smallest size that covers height x width. Unset: no resize. */
  resize?: number | 'cover';
  channels: ChannelOrder;
  /** Per output channel, on the [0,1] scale. */
  mean: number[];
  std: number[];
  /** How each image is written: C x H x W (unset, nchw) or H x W x C (nhwc). */
  layout?: TensorLayout;
}

export const PRESET_NAMES = ['imagenet', 'cifar10', 'fashion-mnist'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

export const PRESETS: Record<PresetName, PreprocessSpec> = {
  // The 227x227 val images and the short-side-256 calib images are both center-cropped without resizing.
  imagenet: { name: 'imagenet', height: 224, width: 224, channels: 'rgb', mean: IMAGENET_MEAN, std: IMAGENET_STD },
  // The CIFAR-10 models in ../shared/models were trained with the ImageNet statistics (models/README.md).
  cifar10: { name: 'cifar10', height: 32, width: 32, channels: 'rgb', mean: IMAGENET_MEAN, std: IMAGENET_STD },
  'fashion-mnist': { name: 'fashion-mnist', height: 28, width: 28, channels: 'gray', mean: [0.286], std: [0.353] },
};

export interface PreprocessOverrides {
  resize?: number | 'cover';
  /** A square side, or height and width. */
  crop?: number | { height: number; width: number };
  layout?: TensorLayout;
  channels?: ChannelOrder;
  mean?: number[];
  std?: number[];
}

export function outputChannels(spec: PreprocessSpec): number {
  return spec.channels === 'gray' ? 1 : 3;
}

/** Preset plus explicit overrides; a one-value mean/std is repeated for every channel. */
export function resolvePreprocess(preset: string, o: PreprocessOverrides = {}): PreprocessSpec {
  if (!(PRESET_NAMES as readonly string[]).includes(preset)) throw unknownChoice('preprocess preset', preset, PRESET_NAMES);
  const base = PRESETS[preset as PresetName];
  // the layout moves values, it does not change them: a preset stays itself in either
  const changed = Object.entries(o).some(([k, v]) => k !== 'layout' && v !== undefined);
  const channels = o.channels ?? base.channels;
  if (!CHANNEL_ORDERS.includes(channels)) throw unknownChoice('channel order', channels, CHANNEL_ORDERS);
  const n = channels === 'gray' ? 1 : 3;
  const fit = (what: string, v: number[] | undefined, dflt: number[]): number[] => {
    const src = v ?? (dflt.length === n ? dflt : dflt.length === 1 ? dflt : undefined);
    if (!src) throw new UserError(`preset '${preset}' has ${dflt.length} ${what} values but channel order '${channels}' needs ${n}; pass --${what}`);
    if (src.length === 1) return Array(n).fill(src[0]);
    if (src.length !== n) throw new UserError(`${what} has ${src.length} values; channel order '${channels}' needs ${n} (or 1)`);
    return src.slice();
  };
  // Preset statistics are in RGB order; explicit values are in output channel order.
  const ordered = (v: number[]): number[] => (channels === 'bgr' && base.channels === 'rgb' ? v.slice().reverse() : v);
  const mean = fit('mean', o.mean, ordered(base.mean));
  const std = fit('std', o.std, ordered(base.std));
  if (std.some((s) => !(s > 0))) throw new UserError(`std values must be positive, got ${std.join(', ')}`);
  const crop = typeof o.crop === 'number' ? { height: o.crop, width: o.crop } : o.crop;
  const cropSizes = typeof o.crop === 'number' ? [['crop', o.crop]] as const : [['crop height', crop?.height], ['crop width', crop?.width]] as const;
  const sizes = [...cropSizes, ['resize', o.resize === 'cover' ? undefined : o.resize]] as const;
  for (const [what, v] of sizes) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new UserError(`invalid ${what} ${v}: it must be a positive integer`);
  }
  if (o.layout !== undefined && !TENSOR_LAYOUTS.includes(o.layout)) throw unknownChoice('layout', o.layout, TENSOR_LAYOUTS);
  return {
    name: changed ? 'custom' : base.name,
    height: crop?.height ?? base.height,
    width: crop?.width ?? base.width,
    resize: o.resize ?? base.resize,
    channels,
    mean,
    std,
    ...(o.layout === 'nhwc' ? { layout: o.layout } : {}),
  };
}

/** Bilinear resampling with half-pixel centers (align_corners = false), rounded back to bytes. */
export function resizeBilinear(img: RawImage, outW: number, outH: number): RawImage {
  const { width: w, height: h, channels: c, data } = img;
  const out = new Uint8Array(outW * outH * c);
  const sx = w / outW;
  const sy = h / outH;
  const x0s = new Int32Array(outW);
  const x1s = new Int32Array(outW);
  const fxs = new Float64Array(outW);
  for (let x = 0; x < outW; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(x0s[x] + 1, w - 1);
    fxs[x] = fx - x0s[x];
  }
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const wx = fxs[x];
      const a = (y0 * w + x0s[x]) * c, b = (y0 * w + x1s[x]) * c, d = (y1 * w + x0s[x]) * c, e = (y1 * w + x1s[x]) * c;
      for (let k = 0; k < c; k++) {
        const top = data[a + k] + (data[b + k] - data[a + k]) * wx;
        const bot = data[d + k] + (data[e + k] - data[d + k]) * wx;
        out[(y * outW + x) * c + k] = Math.round(top + (bot - top) * wy);
      }
    }
  }
  return { width: outW, height: outH, channels: c, data: out };
}

/** Scales so the shorter side becomes `side` (the longer keeps the aspect ratio, rounded). */
export function resizeShorterSide(img: RawImage, side: number): RawImage {
  const { width: w, height: h } = img;
  if (Math.min(w, h) === side) return img;
  const outW = w <= h ? side : Math.round((w * side) / h);
  const outH = w <= h ? Math.round((h * side) / w) : side;
  return resizeBilinear(img, outW, outH);
}

/** Scales (keeping the aspect ratio) to the smallest size that covers outW x outH: up or down. */
export function resizeToCover(img: RawImage, outW: number, outH: number): RawImage {
  const scale = Math.max(outW / img.width, outH / img.height);
  const w = Math.max(outW, Math.round(img.width * scale));
  const h = Math.max(outH, Math.round(img.height * scale));
  return w === img.width && h === img.height ? img : resizeBilinear(img, w, h);
}

/** The image at its pre-crop size: the requested resize, then an upscale only if it is smaller than the crop. */
export function fitForCrop(img: RawImage, spec: PreprocessSpec): RawImage {
  const r = spec.resize;
  let cur = r === 'cover' ? resizeToCover(img, spec.width, spec.height) : r !== undefined ? resizeShorterSide(img, r) : img;
  if (cur.width < spec.width || cur.height < spec.height) {
    const scale = Math.max(spec.width / cur.width, spec.height / cur.height);
    cur = resizeBilinear(cur, Math.max(spec.width, Math.round(cur.width * scale)), Math.max(spec.height, Math.round(cur.height * scale)));
  }
  return cur;
}

/** 256-entry tables per output channel: (v/255 - mean)/std, so normalizing is one lookup per value. */
export function normalizeTables(spec: PreprocessSpec): Float32Array[] {
  return spec.mean.map((m, c) => {
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = (v / 255 - m) / spec.std[c];
    return t;
  });
}

/** Writes one image as C x H x W floats (H x W x C when spec.layout is nhwc) into `out` at `offset`. */
export function preprocessInto(img: RawImage, spec: PreprocessSpec, out: Float32Array, offset: number, tables = normalizeTables(spec)): void {
  const src = fitForCrop(img, spec);
  const { width: W, height: H } = spec;
  const ox = Math.floor((src.width - W) / 2);
  const oy = Math.floor((src.height - H) / 2);
  const sc = src.channels;
  const d = src.data;
  const plane = W * H;
  // One channel is the same in both layouts; three are planes (nchw) or interleaved per pixel (nhwc).
  const [channelStride, pixelStride] = spec.layout === 'nhwc' ? [1, 3] : [plane, 1];
  if (spec.channels === 'gray') {
    const t = tables[0];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const p = ((y + oy) * src.width + x + ox) * sc;
        // ITU-R BT.601 luma for colour input; gray input is used as is.
        const v = sc === 1 ? d[p] : Math.round(0.299 * d[p] + 0.587 * d[p + 1] + 0.114 * d[p + 2]);
        out[offset + y * W + x] = t[v];
      }
    }
    return;
  }
  // Output channel k reads source channel order[k]; gray sources repeat their one channel.
  const order = spec.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  for (let k = 0; k < 3; k++) {
    const t = tables[k];
    const sk = sc === 1 ? 0 : order[k];
    const base = offset + k * channelStride;
    for (let y = 0; y < H; y++) {
      let p = ((y + oy) * src.width + ox) * sc + sk;
      const row = base + y * W * pixelStride;
      for (let x = 0; x < W; x++, p += sc) out[row + x * pixelStride] = t[d[p]];
    }
  }
}

export function preprocess(img: RawImage, spec: PreprocessSpec): Float32Array {
  const out = new Float32Array(outputChannels(spec) * spec.height * spec.width);
  preprocessInto(img, spec, out, 0);
  return out;
}
