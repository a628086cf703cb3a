// The quantizer benchmark: calibration + tflite A4W4 quantization of MobileNetV2 on 256 images, and
// evaluation throughput on the 1,300 ImageNet validation images (decoding included).
import { loadModel } from '../src/onnx/proto.js';
import { openDataSet } from '../src/data/dataset.js';
import { batches } from '../src/data/batches.js';
import { PRESETS } from '../src/data/preprocess.js';
import { quantizeModel } from '../src/quant/quantize.js';
import { toQdqBytes } from '../src/quant/qdq.js';
import { evaluate } from '../src/eval/evaluate.js';
import { sharedPath } from '../scripts/shared-models.js';

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
  return [
    '## Quantizer',
    '',
    `- Calibration (256 ImageNet calib images, decoding included) + tflite A4W4 quantization of MobileNetV2 + QDQ export: **${quantS.toFixed(1)} s** (goal: 60 s).`,
    `- Evaluation of the float MobileNetV2 on the ${r.images} ImageNet validation images (decode + preprocess + onnxruntime): **${r.imagesPerSecond.toFixed(1)} images/s** (top-1 ${(100 * r.top1).toFixed(2)} %).`,
    '',
  ];
}
