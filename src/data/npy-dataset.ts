// A data set of .npy arrays, for models whose input is no image (audio features, sensor windows) or for inputs
// preprocessed elsewhere. `--data`/`--calib` names one .npy file or a folder of them (sorted by name); each file
// holds one sample shaped like the model input without its batch dim, or a stack [K, ...] of such samples.
// Which of the two is read from the model's per-sample dims, so they must be known when the set is opened.
// Labels, needed to measure accuracy, come one per sample in that order: from --labels (a text file with one
// class index per line, or a 1-D integer .npy), else from a labels.txt or labels.npy inside the folder.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { count, readNpy, readNpyHeader } from './npy.js';
import type { Sample } from './sample.js';

/** Label files looked for inside a folder of .npy samples when --labels is not given. */
export const NPY_LABEL_FILES = ['labels.txt', 'labels.npy'];

/** What to do about .npy samples without labels where labels are needed. */
export const NPY_LABELS_REMEDY = 'pass --labels FILE (one class index per line, one line per sample in file-name order, or a 1-D integer .npy)';

const isNpyName = (n: string): boolean => n.toLowerCase().endsWith('.npy');
const byCodepoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const dimsText = (d: readonly number[]): string => (d.length === 0 ? 'a scalar' : d.join('x'));

/** Whether `path` is an .npy file, or a folder holding .npy files and no images or class folders. */
export function isNpyData(path: string, isImageName: (n: string) => boolean): boolean {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return false;
  if (st.isFile()) return isNpyName(path);
  if (!st.isDirectory()) return false;
  const names = readdirSync(path);
  return names.some(isNpyName) && !names.some(isImageName);
}

export interface NpySet {
  samples: Sample[];
  /** False when no labels were found: every sample's label is -1. */
  labelled: boolean;
}

/** The samples of an .npy file or folder, each of `sampleDims`, with their labels when there are any. */
export function openNpy(path: string, sampleDims: readonly number[] | undefined, labelsPath: string | undefined): NpySet {
  if (!sampleDims) throw new UserError(`'${path}' holds .npy arrays: reading them needs the model input's dims per sample`);
  const isFile = statSync(path).isFile();
  const labelFile = labelsPath ?? (isFile ? undefined : NPY_LABEL_FILES.map((n) => join(path, n)).find((p) => existsSync(p)));
  const files = isFile ? [path] : readdirSync(path).filter(isNpyName).sort(byCodepoint).map((n) => join(path, n))
    .filter((f) => labelFile === undefined || resolve(f) !== resolve(labelFile));
  if (files.length === 0) throw new UserError(`no .npy samples in '${path}' (only its labels file)`);
  if (count(sampleDims) === 0) throw new UserError(`the model input has a zero-sized dim (${dimsText(sampleDims)} per sample)`);
  const samples: Sample[] = [];
  for (const f of files) {
    const header = readNpyHeader(f);
    const stacked = header.shape.length === sampleDims.length + 1 && header.shape.slice(1).every((d, i) => d === sampleDims[i]);
    const single = header.shape.length === sampleDims.length && header.shape.every((d, i) => d === sampleDims[i]);
    if (!single && !stacked) {
      const per = dimsText(sampleDims);
      const has = `holds an array of shape ${dimsText(header.shape)}`;
      throw new UserError(`'${f}' ${has} but the model takes ${per} per sample (give one sample per file, or a stack Kx${per})`);
    }
    const k = single ? 1 : header.shape[0];
    for (let i = 0; i < k; i++) samples.push({ source: { kind: 'tensor', path: f, index: i, header }, label: -1 });
  }
  if (samples.length === 0) throw new UserError(`the .npy files in '${path}' hold no samples (every stack is empty)`);
  if (labelFile === undefined) return { samples, labelled: false };
  const labels = readLabels(labelFile);
  if (labels.length !== samples.length) {
    const n = `${labels.length} label${labels.length === 1 ? '' : 's'}`;
    throw new UserError(`labels file '${labelFile}' holds ${n} but '${path}' holds ${samples.length} samples; give one label per sample, in file-name order`);
  }
  return { samples: samples.map((s, i) => ({ ...s, label: labels[i] })), labelled: true };
}

/** Class indices, one per sample: a 1-D integer .npy, or text with one index per line (blank lines skipped). */
export function readLabels(path: string): number[] {
  if (isNpyName(path)) {
    const { shape, data } = readNpy(path);
    if (shape.length !== 1) throw new UserError(`labels file '${path}' has shape ${dimsText(shape)}; labels are a 1-D array of class indices`);
    const bad = data.findIndex((v) => !Number.isInteger(v) || v < 0);
    if (bad >= 0) throw new UserError(`labels file '${path}' entry ${bad}: ${data[bad]} is not a class index (an integer >= 0)`);
    return Array.from(data);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '') return;
    if (!/^\d+$/.test(t)) {
      throw new UserError(`labels file '${path}' line ${i + 1}: '${t}' is not a class index (an integer >= 0); give one index per line, one line per sample`);
    }
    out.push(Number(t));
  });
  if (out.length === 0) throw new UserError(`labels file '${path}' holds no labels`);
  return out;
}
