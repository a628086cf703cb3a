// The mixed-precision settings the reports run, and how one becomes `hwq quantize --layer-precisions FILE`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeLayers } from '../src/model/ir.js';
import { importOnnx } from '../src/model/onnx-import.js';

/** ResNet-20's point p6 of the co-design front on the VC709 (reports/codesign/resnet20-vc709/front.csv), compute layers in order. */
export const MIX_P6 = 'a8w8;a8w4;a4w4;a4w4;a8w4;a4w4;a8w4;a8w4;a4w4;a4w4;a4w4;a4w4;a4w4;a4w4;a4w4;a4w4;a4w4;a4w4;a4w4;a8w8';

/** Writes `mix` (precisions of the compute layers in order, ';'-separated) for the model at `onnx` into `dir`; returns the quantize flags. */
export function mixFlags(onnx: string, mix: string, dir: string): string[] {
  const names = computeLayers(importOnnx(onnx)).map((l) => l.name);
  const parts = mix.split(';');
  if (parts.length !== names.length) throw new Error(`the mix names ${parts.length} layers, ${onnx} has ${names.length}`);
  const file = join(dir, `mix-${names.length}.json`);
  writeFileSync(file, JSON.stringify(Object.fromEntries(names.map((n, i) => [n, parts[i]]))));
  return ['--layer-precisions', file];
}
