// ResNet-20 quantized at a4w4 by `hwq quantize` (tflite recipe, 64 calibration images), and CIFAR-10 test images
// preprocessed as the model expects: shared by the data-backed network tests.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from '../helpers.js';
import { hwq } from '../cli/run-hwq.js';
import { readImageFile } from '../../src/data/image.js';
import { PRESETS, preprocess } from '../../src/data/preprocess.js';

export async function quantizeResnet20(onnx: string): Promise<{ hwq: string; qdq: Uint8Array; onnx: string }> {
  const dir = tempDir('hwq-r20-');
  const out = join(dir, 'r20.onnx');
  const q = join(dir, 'r20.hwq');
  const calib = join(dirname(dirname(onnx)), 'data', 'cifar10', 'calib');
  const r = await hwq('quantize', onnx, '--a4w4', '--calib', calib, '--calib-size', '64', '--out', out, '--hwq', q, '--sqnr-images', '0',
    '--no-progress', '--workers', '0');
  if (r.code !== 0) throw new Error(`hwq quantize failed: ${r.stderr}`);
  return { hwq: q, qdq: readFileSync(out), onnx: out };
}

/** The first `perClass` images of each class folder (classes in name order), preprocessed with the cifar10 preset. */
export function cifarImages(root: string, perClass: number): { x: Float32Array; label: number; name: string }[] {
  return readdirSync(root).sort().flatMap((cls, label) => readdirSync(join(root, cls)).sort().slice(0, perClass)
    .map((f) => ({ x: preprocess(readImageFile(join(root, cls, f)), PRESETS.cifar10), label, name: `${cls}/${f}` })));
}
