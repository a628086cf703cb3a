// The real models in ../shared/models with the data they are calibrated and evaluated on, for the report
// and benchmark scripts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PresetName } from '../data/preprocess.js';

export const SHARED_DIR = process.env.HWQ_SHARED ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared');

export interface SharedModel {
  file: string;
  preset: PresetName;
  calib: string[];
  test: string[];
}

export const SHARED_MODELS: SharedModel[] = [
  { file: 'cifar10-resnet20.onnx', preset: 'cifar10', calib: ['data', 'cifar10', 'calib'], test: ['data', 'cifar10', 'test'] },
  { file: 'cifar10-resnet32.onnx', preset: 'cifar10', calib: ['data', 'cifar10', 'calib'], test: ['data', 'cifar10', 'test'] },
  { file: 'imagenet-mobilenetv2.onnx', preset: 'imagenet', calib: ['data', 'imagenet', 'calib'], test: ['data', 'imagenet', 'val'] },
];

export function sharedPath(...parts: string[]): string {
  const p = join(SHARED_DIR, ...parts);
  if (!existsSync(p)) throw new Error(`${p} is missing: the report scripts need ../shared (models and data)`);
  return p;
}
