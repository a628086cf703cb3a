// What the quantization experiments measure: the precision settings, the method variants (the columns of
// the comparison table), the per-model run parameters and the experiments (which rows each one needs).
// Shared by the experiment drivers in scripts/ (quant-experiments.ts, quant-report.ts, quant-reproduce.ts) and the benchmark.
export { BITSPLIT_DAMP } from '../quant/recipes.js';

export interface Setting {
  label: string;
  /** Activation bits, null: float activations (weight-only). */
  a: number | null;
  w: number;
}

export const SETTINGS: Setting[] = [
  ...[8, 7, 6, 5, 4, 3].map((w) => ({ label: `W${w}`, a: null, w })),
  { label: 'A8W8', a: 8, w: 8 }, { label: 'A8W4', a: 8, w: 4 }, { label: 'A6W6', a: 6, w: 6 }, { label: 'A4W4', a: 4, w: 4 }, { label: 'A3W3', a: 3, w: 3 },
];

export interface Variant {
  /** The method's name in the tables and the results' method column. */
  name: string;
  /** The recipe it runs (src/quant/recipes.ts). */
  recipe: string;
  /** Only on these models (stems), when the variant changes nothing elsewhere. */
  models?: string[];
  /** A study of one option rather than a method of the comparison table: on the models of STUDY_LIMITS it runs at
   *  the listed settings only (MobileNetV2's runs take minutes each). */
  study?: boolean;
  applies(s: Setting): boolean;
}

const always = () => true;
const withActs = (s: Setting) => s.a !== null;
/** A variant named as its recipe. */
const same = (name: string, more: Omit<Variant, 'name' | 'recipe'>): Variant => ({ name, recipe: name, ...more });

export const VARIANTS: Variant[] = [
  same('tflite', { applies: always }),
  same('mse', { applies: always }),
  same('lp', { applies: always }),
  // KL calibrates activations only (its weights are tflite's): no weight-only rows.
  same('kl', { applies: withActs }),
  same('tflite+bc', { applies: always }),
  same('lapq', { applies: always }),
  // The LAPQ paper's own configuration: bias correction of the weights at every point of the search.
  same('lapq+bc', { study: true, applies: always }),
  same('bitsplit', { applies: always }),
  same('bitsplit+ecaq', { applies: withActs }),
  // ECAQ on depthwise layers only (the ResNets have none): there the channel scales fold into the weight scales exactly.
  same('bitsplit+ecaq-dw', { study: true, models: ['mobilenetv2'], applies: withActs }),
  same('bitsplit-float-inputs', { study: true, applies: (s) => s.w <= 4 }),
  same('bitsplit-unquantized-fit', { study: true, applies: withActs }),
  same('bitsplit-acts-after', { study: true, applies: withActs }),
  same('bitsplit+lapq-acts', { study: true, applies: withActs }),
  same('bitsplit-acts-after-kl', { study: true, applies: withActs }),
  // Bit-split with a ridge towards the float weights (--damp), against the calibration draw's noise.
  same('bitsplit-damp', { study: true, applies: always }),
  same('bitsplit+bc', { applies: always }),
  // Empirical bias correction: each layer's mean output through the quantized network set to the float one's.
  same('bitsplit+ebc', { study: true, applies: always }),
  same('bitsplit-acts-after+ecaq-dw', { study: true, models: ['mobilenetv2'], applies: withActs }),
  // Output-error activation clips (omse): with the quantized fit, after the fit, and after it with the depthwise inputs per channel.
  same('bitsplit-omse', { study: true, applies: withActs }),
  same('bitsplit-acts-after-omse', { study: true, models: ['mobilenetv2'], applies: withActs }),
  same('bitsplit-acts-after-omse+ecaq-dw', { models: ['mobilenetv2'], applies: withActs }),
  // MobileNetV2's best A6W6 (the recipe bitsplit-mnv2): the above with a damped fit.
  { name: 'bitsplit-acts-after-omse+ecaq-dw-damp', recipe: 'bitsplit-mnv2', study: true, models: ['mobilenetv2'], applies: withActs },
  // The same with SmoothQuant's activation smoothing on the layers that read many channels (alpha 0.5, its default).
  { name: 'bitsplit-acts-after-omse+ecaq-dw-damp-smooth', recipe: 'bitsplit-mnv2-smooth', study: true, models: ['mobilenetv2'], applies: withActs },
  // ... with the strength (or none) chosen per layer by its output error (--smooth auto)
  { name: 'bitsplit-acts-after-omse+ecaq-dw-damp-smooth-auto', recipe: 'bitsplit-mnv2-smooth-auto', study: true, models: ['mobilenetv2'], applies: withActs },
  same('bitsplit-acts-after+ecaq-dw+ebc', { study: true, models: ['mobilenetv2'], applies: withActs }),
  same('bitsplit-acts-after+ebc', { study: true, applies: withActs }),
  // Power-of-two levels are recommended for M <= 4 bits only (above that they fall back to Bit-split).
  same('log', { applies: (s) => s.w <= 4 }),
];

/** Where the study variants run on the slow models: the settings of MobileNetV2's targets, and A4W4. */
export const STUDY_LIMITS: Record<string, string[]> = { mobilenetv2: ['W4', 'A8W4', 'A6W6', 'A4W4'] };

/** Whether the compare plan measures `v` at `s` on model `stem` (the report shows the others as not applicable). */
export function inPlan(stem: string, v: Variant, s: Setting): boolean {
  if (!v.applies(s) || (v.models && !v.models.includes(stem))) return false;
  const limit = STUDY_LIMITS[stem];
  return !v.study || !limit || limit.includes(s.label);
}

/** Run parameters of one model: calibration images and positions per layer of the reconstruction methods,
 *  LAPQ's loss-evaluation budget, the p of the lp methods. */
export interface ModelRunConfig {
  calib: number;
  positions: number;
  lapqEvals: number;
  p: number;
}

/** CIFAR-10 ResNets as the Bit-split paper's protocol sets them (256 images, 12,000 positions); MobileNetV2 as the reference run
 *  (128 images, 8,000 positions), which keeps a Bit-split run within the 5-minute budget. */
export function modelRunConfig(stem: string): ModelRunConfig {
  return stem === 'mobilenetv2' ? { calib: 128, positions: 8000, lapqEvals: 200, p: 2.4 } : { calib: 256, positions: 12000, lapqEvals: 300, p: 2.4 };
}

export interface PlannedRun {
  setting: Setting;
  variant: Variant;
  calib: number;
  /** Seed of the calibration sample and of the sampled positions (0 unless an experiment varies it). */
  seed?: number;
}

export interface ExperimentPlan {
  model(stem: string): ModelRunConfig;
  runs(stem: string): PlannedRun[];
}

const variant = (name: string): Variant => VARIANTS.find((v) => v.name === name)!;
const setting = (label: string): Setting => SETTINGS.find((s) => s.label === label)!;

/** The paper's Fig. 7: A8W4 against the number of calibration images, Bit-split beside TF-Lite and TensorRT (KL). */
export const CALIB_SIZES = [1, 2, 8, 32, 128, 512];
export const CALIB_SIZE_METHODS = ['tflite', 'kl', 'bitsplit'];
export const A6W6_CALIB_SIZES = [128, 256, 512];
export const A6W6_CALIB_METHODS = ['bitsplit-acts-after-omse+ecaq-dw', 'bitsplit-acts-after+ecaq-dw'];
/** Other draws of the calibration images and of the sampled positions (seed 0 is the compare row). */
export const DRAW_SEEDS = [1, 2, 3];
/** A (setting, variant, images) measured again over DRAW_SEEDS, and the experiment whose rows hold the draws. */
export interface DrawnRun { experiment: 'a6w6-seeds' | 'target-seeds'; setting: string; method: string; calib: number }
/** MobileNetV2 A6W6, whose top-1 differences are a few images: the four variants of the 128-image rows, and the
 *  recipe with 512 images (seed 0 there is the a6w6-calib row); the paper calibrates ImageNet models on 1,024 images. */
const A6W6_DRAWS: DrawnRun[] = [
  ...['bitsplit-acts-after', 'bitsplit-acts-after+ecaq-dw', 'bitsplit-acts-after-omse', 'bitsplit-acts-after-omse+ecaq-dw']
    .map((method) => ({ experiment: 'a6w6-seeds' as const, setting: 'A6W6', method, calib: 128 })),
  { experiment: 'a6w6-seeds', setting: 'A6W6', method: 'bitsplit-acts-after-omse+ecaq-dw', calib: 512 },
];
/** The accuracy targets: largest allowed drop from float for a setting, and the variants drawn again there
 *  (target-seeds: plain Bit-split and the best variants; MobileNetV2's A6W6 also has a6w6-seeds). */
export interface Target { setting: string; maxDrop: number; drawn: string[] }
/** The same four targets on both CIFAR-10 ResNets, drawn with plain and damped Bit-split; on ResNet-20, whose
 *  reference-implementation figures, also the activation variants that beat them on one draw
 *  (LAPQ clips at A8W4, ECAQ at A4W4). */
const resnetTargets = (extra: Record<string, string[]>): Target[] =>
  ([['W4', 0.7], ['W3', 4], ['A8W4', 0.5], ['A4W4', 1.5]] as const).map(([setting, maxDrop]) => ({ setting, maxDrop, drawn: ['bitsplit', 'bitsplit-damp', ...(extra[setting] ?? [])] }));
export const TARGETS: Record<string, Target[]> = {
  resnet20: resnetTargets({ A8W4: ['bitsplit+lapq-acts'], A4W4: ['bitsplit+ecaq'] }),
  resnet32: resnetTargets({}),
  mobilenetv2: [
    { setting: 'W4', maxDrop: 3.5, drawn: ['bitsplit', 'bitsplit-damp'] },
    { setting: 'A8W4', maxDrop: 4, drawn: ['bitsplit-acts-after-omse+ecaq-dw', 'bitsplit-acts-after-omse+ecaq-dw-damp'] },
    { setting: 'A6W6', maxDrop: 1.7, drawn: ['bitsplit-acts-after-omse+ecaq-dw-damp', 'bitsplit-acts-after-omse+ecaq-dw-damp-smooth', 'bitsplit-acts-after-omse+ecaq-dw-damp-smooth-auto'] },
  ],
};
/** Every drawn run on model `stem`. */
export function drawnRuns(stem: string): DrawnRun[] {
  const targets = (TARGETS[stem] ?? []).flatMap((t) => t.drawn.map((method) => ({ experiment: 'target-seeds' as const, setting: t.setting, method, calib: modelRunConfig(stem).calib })));
  return [...(stem === 'mobilenetv2' ? A6W6_DRAWS : []), ...targets];
}

const drawPlan = (experiment: DrawnRun['experiment']) => (stem: string): PlannedRun[] =>
  drawnRuns(stem).filter((d) => d.experiment === experiment).flatMap((d) => DRAW_SEEDS.map((seed) => ({ setting: setting(d.setting), variant: variant(d.method), calib: d.calib, seed })));

export const EXPERIMENT_PLANS: Record<string, ExperimentPlan> = {
  compare: {
    model: modelRunConfig,
    runs: (stem) => SETTINGS.flatMap((s) => VARIANTS.filter((v) => inPlan(stem, v, s)).map((v) => ({ setting: s, variant: v, calib: modelRunConfig(stem).calib }))),
  },
  'calib-size': {
    model: modelRunConfig,
    runs: () => CALIB_SIZE_METHODS.flatMap((m) => CALIB_SIZES.map((n) => ({ setting: setting('A8W4'), variant: variant(m), calib: n }))),
  },
  // MobileNetV2 A6W6, the tightest target, against the calibration images of its best variants.
  'a6w6-calib': {
    model: modelRunConfig,
    runs: (stem) => (stem !== 'mobilenetv2' ? [] : A6W6_CALIB_METHODS.flatMap((m) => A6W6_CALIB_SIZES.map((n) => ({ setting: setting('A6W6'), variant: variant(m), calib: n })))),
  },
  'a6w6-seeds': { model: modelRunConfig, runs: drawPlan('a6w6-seeds') },
  'target-seeds': { model: modelRunConfig, runs: drawPlan('target-seeds') },
};

export const RESULT_COLUMNS = [
  'model', 'experiment', 'setting', 'method', 'calib_images', 'positions', 'lapq_evals', 'top1', 'top5', 'float_top1', 'drop', 'eval_images', 'quant_seconds', 'eval_seconds', 'session', 'seed',
  // images only the float / only the quantized model classifies right, and the paired standard error of the drop
  'only_float', 'only_quantized', 'drop_se',
] as const;

/**
 * How a row's QDQ model was run. 'exact': weight dequantization folded, activation Q/DQ unoptimized
 * (src/onnx/fold-dequant.ts), the graph as written on any CPU; rows without it were measured before
 * 2026-11-27 at graph optimization 'basic', whose integer rewrites saturate on CPUs without VNNI.
 */
export const EXACT_SESSION = 'exact';

export type ResultRow = Record<(typeof RESULT_COLUMNS)[number], string>;

/** A row's identity; rows written before the seed column have seed 0. */
export function resultKey(r: Pick<ResultRow, 'experiment' | 'setting' | 'method' | 'calib_images'> & { seed?: string }): string {
  return `${r.experiment}|${r.setting}|${r.method}|${r.calib_images}|${Number(r.seed || 0)}`;
}

/** 'cifar10-resnet20.onnx' -> 'resnet20'. */
export function modelStem(file: string): string {
  return file.replace(/\.onnx$/, '').replace(/^[a-z0-9]+-/, '');
}
