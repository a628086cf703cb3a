// The quantizer benchmark: calibration + tflite A4W4 quantization of MobileNetV2 on 256 images, and
// evaluation throughput on the 1,300 ImageNet validation images (decoding included).
import { loadModel } from '../src/onnx/proto.js';
import { openDataSet } from '../src/data/dataset.js';
import { batches } from '../src/data/batches.js';
import { PRESETS } from '../src/data/preprocess.js';
import { quantizeModel } from '../src/quant/quantize.js';
import { toQdqBytes } from '../src/quant/qdq.js';
import { evaluate } from '../src/eval/evaluate.js';
import { sharedPath } from '../src/experiments/shared-models.js';

/** Peak resident memory while `fn` runs, sampled every 50 ms. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peakMB: number; seconds: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, peakMB: Math.max(peak, process.memoryUsage().rss) / 2 ** 20, seconds: (performance.now() - t0) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

/** Bit-split A4W4 end to end (calibration decoding included), as the quantizer's speed goals state them (reports/bench/quant.md). */
async function bitsplitEndToEnd(file: string, preset: 'cifar10' | 'imagenet', calibDir: string[], images: number, positions: number): Promise<{ seconds: number; peakMB: number }> {
  const modelPath = sharedPath('models', file);
  const spec = PRESETS[preset];
  const calib = openDataSet(sharedPath(...calibDir), { limit: images, seed: 0 });
  const bs = 16;
  const r = await withPeakRss(async () => {
    const { model: q } = await quantizeModel(loadModel(modelPath), modelPath, file, {
      aBits: 4, wBits: 4, firstLast: 8, weightMethod: 'bitsplit', actMethod: 'mse', methodOptions: { p: 2.4 },
      reconstruction: { positions, floatInputs: false, seed: 0 },
      calibration: { batches: () => batches(calib.samples, spec, { batchSize: bs }), count: Math.ceil(calib.samples.length / bs), inputDims: (b) => [b.count, 3, spec.height, spec.width] },
    });
    return toQdqBytes(q);
  });
  process.stderr.write(`bitsplit a4w4 ${file}: ${r.seconds.toFixed(1)} s, peak ${r.peakMB.toFixed(0)} MB\n`);
  return r;
}

export async function benchQuantizer(): Promise<string[]> {
  const modelPath = sharedPath('models', 'imagenet-mobilenetv2.onnx');
  const spec = PRESETS.imagenet;
  const calib = openDataSet(sharedPath('data', 'imagenet', 'calib'), { limit: 256, seed: 0 });
  const bs = 16;
  const t0 = performance.now();
  const { model: q } = await quantizeModel(loadModel(modelPath), modelPath, 'mobilenetv2', {
    aBits: 4, wBits: 4, firstLast: 8, weightMethod: 'tflite', actMethod: 'tflite', methodOptions: { p: 2.4 },
    calibration: { batches: () => batches(calib.samples, spec, { batchSize: bs }), count: Math.ceil(calib.samples.length / bs), inputDims: (b) => [b.count, 3, 224, 224] },
  });
  toQdqBytes(q);
  const quantS = (performance.now() - t0) / 1000;
  process.stderr.write(`quantize mobilenetv2 a4w4 tflite, 256 images: ${quantS.toFixed(1)} s\n`);
  const val = openDataSet(sharedPath('data', 'imagenet', 'val'), { labels: sharedPath('data', 'imagenet', 'val', 'labels.csv') });
  const r = await evaluate(modelPath, val, spec, {});
  process.stderr.write(`eval mobilenetv2 float, ${r.images} images: ${r.imagesPerSecond.toFixed(1)} images/s\n`);
  const r20 = await bitsplitEndToEnd('cifar10-resnet20.onnx', 'cifar10', ['data', 'cifar10', 'calib'], 256, 12000);
  const mb = await bitsplitEndToEnd('imagenet-mobilenetv2.onnx', 'imagenet', ['data', 'imagenet', 'calib'], 128, 8000);
  return [
    '## Quantizer',
    '',
    '- Bit-split A4W4 end to end (calibration decoding, layer-by-layer reconstruction, QDQ export), first and last layer 8-bit, ECAQ off: '
      + `ResNet-20 with 256 images and 12,000 positions per layer **${r20.seconds.toFixed(1)} s** (goal 30 s), peak RSS ${r20.peakMB.toFixed(0)} MB; `
      + `MobileNetV2 with 128 images and 8,000 positions **${mb.seconds.toFixed(1)} s** (goal 300 s), peak RSS ${mb.peakMB.toFixed(0)} MB (goal 4,096 MB).`,
    `- Calibration (256 ImageNet calib images, decoding included) + tflite A4W4 quantization of MobileNetV2 + QDQ export: **${quantS.toFixed(1)} s** (goal: 60 s).`,
    `- Evaluation of the float MobileNetV2 on the ${r.images} ImageNet validation images (decode + preprocess + onnxruntime): `
      + `**${r.imagesPerSecond.toFixed(1)} images/s** (top-1 ${(100 * r.top1).toFixed(2)} %).`,
    '',
  ];
}
