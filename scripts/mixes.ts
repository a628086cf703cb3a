// The models the RTL reports run: CIFAR-10 ResNets quantized by `hwq quantize` at a precision or at ResNet-20's
// mixed co-design point, and how a mix becomes `hwq quantize --layer-precisions FILE`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../src/cli/run.js';
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

export const NETS: Record<string, { file: string; name: string }> = {
  r20: { file: 'cifar10-resnet20.onnx', name: 'ResNet-20' },
  r32: { file: 'cifar10-resnet32.onnx', name: 'ResNet-32' },
};

export interface ReportModel {
  net: { file: string; name: string };
  precision: string;
  mixed: boolean;
  hwq: string;
  qdq: string;
  /** The quantize command, as the report prints it. */
  command: string;
}

/**
 * Quantizes `which` (NET:aAwW or r20:mixed) with tflite weights and activations and 64 calibration images into
 * `dir`: the .hwq and its QDQ model in `qdqForm`.
 */
export async function quantizeReportModel(which: string, shared: string, dir: string, qdqForm: string): Promise<ReportModel> {
  const [netKey, precision] = which.split(':');
  const net = NETS[netKey];
  const mixed = precision === 'mixed' && netKey === 'r20';
  if (!net || !(mixed || /^a\d+w\d+$/.test(precision ?? ''))) {
    throw new Error(`--models: '${which}' is not NET:aAwW or r20:mixed with NET one of ${Object.keys(NETS).join(', ')}`);
  }
  const onnx = join(shared, 'models', net.file);
  const qdq = join(dir, `${netKey}-${precision}.onnx`);
  const hwq = join(dir, `${netKey}-${precision}.hwq`);
  const precisionFlags = mixed ? ['--a4w4', ...mixFlags(onnx, MIX_P6, dir)] : ['--precision', precision];
  const code = await runCli(['quantize', onnx, ...precisionFlags, '--calib', join(shared, 'data', 'cifar10', 'calib'),
    '--calib-size', '64', '--out', qdq, '--hwq', hwq, '--qdq-form', qdqForm, '--sqnr-images', '0', '--no-progress', '--workers', '0']);
  if (code !== 0) throw new Error(`hwq quantize exited ${code}`);
  const command = `hwq quantize ${net.file} ${mixed ? `--a4w4 --layer-precisions (${MIX_P6.replace(/;/g, ' ')})` : `--precision ${precision}`} --qdq-form ${qdqForm}`;
  return { net, precision, mixed, hwq, qdq, command };
}
