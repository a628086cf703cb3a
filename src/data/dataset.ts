// Labelled image data sets found on disk. The layout is detected from the path:
//   idx           an IDX images file (or a folder holding one), labels from the matching *-labels-idx1 file
//   labels-file   a folder of images plus a `file,class` CSV (given, or `labels.csv` inside the folder)
//   class-folders `<root>/<class>/*.jpg|jpeg|png`, class i = i-th folder name in sorted order
//   synset-names  ImageNet training-style `n01440764_*.JPEG`, class = line of the wnid in a synset list
//   npy           an .npy file or a folder of them: tensors fed to the model as they are (npy-dataset.ts)
// Samples come back in a canonical sorted order (relative path, or IDX index) before limit/seed apply.
// A labels file holds class indices or class names, never a mix: a stray name (or `-3`) among indices must not
// quietly turn every index into a name sorted alphabetically.
import { existsSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { isImageName, type RawImage } from './image.js';
import { idxLabelsPathFor, isIdxImagesName, readIdxFile } from './idx.js';
import { isNpyData, openNpy } from './npy-dataset.js';
import type { Sample, SampleSource } from './sample.js';
import { sample, stratifiedSample, validateSampling, type SamplingOptions } from './sampling.js';

export type { Sample, SampleSource } from './sample.js';

export type Layout = 'idx' | 'labels-file' | 'class-folders' | 'synset-names' | 'npy';

export interface DataSet {
  /** The path the data set was opened from. */
  path: string;
  layout: Layout;
  /** Class names by index, when the layout names them (folders, synset list, or CSV class names). */
  classes?: string[];
  samples: Sample[];
  /** .npy samples without labels (each label -1): fine for calibration, not for measuring accuracy. */
  unlabelled?: boolean;
  /** How many samples the full data set has before limit/seed. */
  total: number;
  sampling: SamplingInfo;
}

export interface SamplingInfo {
  /** all: every sample in sorted order; first: the first `limit` of them; shuffled: a seeded shuffle (its first
   *  `limit`); stratified: stratifiedSample. */
  mode: 'all' | 'first' | 'shuffled' | 'stratified';
  seed: number | null;
  /** Distinct labels in the full set and in the samples taken. */
  classes: number;
  sampledClasses: number;
}

export interface OpenOptions extends SamplingOptions {
  /** A `file,class` CSV, a synset list (line i = wnid of class i), or an IDX labels file. */
  labels?: string;
  /** With a limit: a sample stratified over the classes (seed default 0) instead of `sample`'s first N. */
  stratify?: boolean;
  /** The model input's dims per sample: how .npy files are read (one sample, or a stack of them, per file). */
  sampleDims?: readonly number[];
}

/** Names looked for (in the folder, then its parent) when wnid-named images need a synset list. */
const SYNSET_FILES = ['synset_words.txt', 'synsets.txt', 'LOC_synset_mapping.txt'];
const WNID_RE = /^(n\d{8})(?:[_.\-]|$)/;
const byCodepoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function openDataSet(path: string, opts: OpenOptions = {}): DataSet {
  validateSampling(opts);
  const full = openFull(resolve(path), opts.labels === undefined ? undefined : resolve(opts.labels), opts.sampleDims);
  const stratified = opts.stratify === true && opts.limit !== undefined;
  const samples = stratified ? stratifiedSample(full.samples, (s) => s.label, opts.limit!, opts.seed ?? 0) : sample(full.samples, opts);
  const classCount = (ss: readonly Sample[]): number => new Set(ss.map((s) => s.label)).size;
  const mode = stratified ? 'stratified' : opts.seed !== undefined ? 'shuffled' : opts.limit !== undefined ? 'first' : 'all';
  const sampling: SamplingInfo = {
    mode, seed: mode === 'stratified' || mode === 'shuffled' ? opts.seed ?? 0 : null,
    classes: classCount(full.samples), sampledClasses: classCount(samples),
  };
  return { ...full, path, total: full.samples.length, samples, sampling };
}

type FullSet = Omit<DataSet, 'path' | 'total' | 'sampling'>;

/** Refuses a data path that is not there, before anything is made of it. */
export function checkDataPath(path: string): void {
  if (!existsSync(path)) throw new UserError(`data path '${resolve(path)}' does not exist`);
}

function openFull(path: string, labels: string | undefined, sampleDims: readonly number[] | undefined): FullSet {
  checkDataPath(path);
  if (labels !== undefined && !existsSync(labels)) throw new UserError(`labels file '${labels}' does not exist`);
  if (isNpyData(path, isImageName)) {
    const set = openNpy(path, sampleDims, labels);
    return { layout: 'npy', samples: set.samples, ...(set.labelled ? {} : { unlabelled: true }) };
  }
  if (statSync(path).isFile()) {
    if (isIdxImagesName(basename(path)) || looksLikeIdx(path)) return openIdx(path, labels);
    throw new UserError(`data path '${path}' is a file but not an IDX images file or an .npy array; give a folder of images, an IDX file, or .npy samples`);
  }
  const entries = listDir(path);
  const files = entries.filter((e) => !isDir(path, e)).map((e) => e.name);
  const images = files.filter(isImageName);
  if (labels !== undefined) {
    if (isIdxImagesName(basename(labels)) || /labels-idx1/.test(basename(labels))) {
      const idx = files.filter(isIdxImagesName);
      if (idx.length !== 1) throw new UserError(`'${path}' must hold exactly one IDX images file to pair with '${labels}' (found ${idx.length})`);
      return openIdx(join(path, idx[0]), labels);
    }
    if (isSynsetList(labels)) {
      const dirs = entries.filter((e) => isDir(path, e) && !e.name.startsWith('.')).map((e) => e.name).sort(byCodepoint);
      return images.length === 0 && dirs.length > 0 ? openClassFolders(path, dirs, labels) : openSynsetNames(path, images, labels);
    }
    return openLabelsFile(path, labels);
  }
  if (files.includes('labels.csv')) return openLabelsFile(path, join(path, 'labels.csv'));
  const idxFiles = files.filter(isIdxImagesName).sort(byCodepoint);
  if (idxFiles.length > 0) {
    // A distribution folder holds both splits; evaluation wants the test split.
    const test = idxFiles.filter((f) => f.startsWith('t10k') || /test/i.test(f));
    const pick = idxFiles.length === 1 ? idxFiles : test;
    if (pick.length !== 1) throw new UserError(`'${path}' holds several IDX images files (${idxFiles.join(', ')}); name one of them as the data path`);
    return openIdx(join(path, pick[0]), undefined);
  }
  const classDirs = entries.filter((e) => isDir(path, e) && !e.name.startsWith('.')).map((e) => e.name).sort(byCodepoint);
  if (classDirs.length > 0 && images.length === 0) {
    // wnid-named class folders (ImageNet train layout, possibly a subset) keep their 1000-class indices.
    const synsets = classDirs.every((d) => /^n\d{8}$/.test(d)) ? findSynsetList(path) : undefined;
    return openClassFolders(path, classDirs, synsets);
  }
  if (images.length > 0 && images.every((f) => WNID_RE.test(f))) {
    const synsets = findSynsetList(path);
    if (!synsets) throw new UserError(`images in '${path}' are named by ImageNet wnid but no synset list (${SYNSET_FILES.join(', ')}) was found there or in its parent; pass one with --labels`);
    return openSynsetNames(path, images, synsets);
  }
  if (images.length > 0) throw new UserError(`'${path}' holds images but no labels: add class subfolders, a labels.csv (file,class), or pass --labels`);
  throw new UserError(`no images in '${path}' (looked for ${['.jpg', '.jpeg', '.png'].join(', ')} files, class subfolders, labels.csv, or IDX files)`);
}

function listDir(path: string): Dirent[] {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch (e) {
    throw new UserError(`cannot read folder '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function isDir(parent: string, e: Dirent): boolean {
  if (e.isDirectory()) return true;
  return e.isSymbolicLink() && statSync(join(parent, e.name), { throwIfNoEntry: false })?.isDirectory() === true;
}

function looksLikeIdx(path: string): boolean {
  return /\.(idx\d?|ubyte)(\.gz)?$/.test(path);
}

/** Class i = i-th folder in sorted order, or, with a synset list, the folder's wnid line in the list. */
function openClassFolders(root: string, classDirs: string[], synsetsPath?: string): FullSet {
  const wnids = synsetsPath === undefined ? undefined : readSynsetList(synsetsPath);
  const index = new Map((wnids ?? classDirs).map((c, i) => [c, i]));
  const samples: Sample[] = [];
  classDirs.forEach((cls) => {
    const label = index.get(cls);
    if (label === undefined) throw new UserError(`class folder '${join(root, cls)}' is not a wnid listed in '${synsetsPath}'`);
    const names = listDir(join(root, cls)).filter((e) => !isDir(join(root, cls), e) && isImageName(e.name)).map((e) => e.name).sort(byCodepoint);
    for (const n of names) samples.push({ source: { kind: 'file', path: join(root, cls, n) }, label });
  });
  if (samples.length === 0) throw new UserError(`no images in the class folders of '${root}' (${classDirs.join(', ')})`);
  return { layout: 'class-folders', classes: wnids ?? classDirs, samples };
}

/** Splits one CSV line into fields, honouring double quotes (file names may contain commas). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur.trim()); cur = ''; }
    else cur += c;
  }
  out.push(cur.trim());
  return out;
}

export interface LabelRow {
  file: string;
  cls: string;
  /** 1-based line in the file, for messages. */
  line: number;
}

/** Rows of a `file,class` CSV; a first row whose file is not an image name is taken as the header. */
export function parseLabelsCsv(text: string, name: string): LabelRow[] {
  const lines = text.split(/\r?\n/).map((line, i) => ({ line, no: i + 1 })).filter((l) => l.line.trim() !== '');
  const rows: LabelRow[] = [];
  // an image listed twice would be scored twice (and under two classes if they differ)
  const firstLine = new Map<string, number>();
  lines.forEach(({ line, no }, i) => {
    const f = csvFields(line);
    if (i === 0 && !isImageName(f[0] ?? '')) return;
    if (f.length < 2 || f[0] === '' || f[1] === '') throw new UserError(`labels file '${name}' line ${no}: expected 'file,class', got '${line}'`);
    const seen = firstLine.get(f[0]);
    if (seen !== undefined) throw new UserError(`labels file '${name}' line ${no}: '${f[0]}' is listed again (first on line ${seen}); give each image one line`);
    firstLine.set(f[0], no);
    rows.push({ file: f[0], cls: f[1], line: no });
  });
  if (rows.length === 0) throw new UserError(`labels file '${name}' has no rows`);
  return rows;
}

function openLabelsFile(root: string, labelsPath: string): FullSet {
  const rows = parseLabelsCsv(readText(labelsPath), labelsPath);
  const present = new Set(listDir(root).map((e) => e.name));
  const missing = rows.filter((r) => !(r.file.includes('/') ? existsSync(join(root, r.file)) : present.has(r.file)));
  if (missing.length > 0) {
    const shown = missing.slice(0, 3).map((r) => r.file).join(', ');
    throw new UserError(`labels file '${labelsPath}' names ${missing.length} file(s) missing from '${root}': ${shown}${missing.length > 3 ? ', ...' : ''}`);
  }
  const { labels, classes } = classIndices(rows, labelsPath);
  const samples = rows
    .map((r, i) => ({ source: { kind: 'file', path: join(root, r.file) } as SampleSource, label: labels[i], file: r.file }))
    .sort((a, b) => byCodepoint(a.file, b.file))
    .map(({ source, label }) => ({ source, label }));
  return { layout: 'labels-file', classes, samples };
}

/** How a class field reads: an index (integer >= 0), some other number (-3, 2.5, 1e3), or a name. */
export function classKind(cls: string): 'index' | 'number' | 'name' {
  if (/^\d+$/.test(cls)) return 'index';
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(cls) ? 'number' : 'name';
}

/**
 * Refuses a labels file mixing class indices and names, or holding a number that is no index: the first field
 * of the minority kind is named with its line.
 */
export function checkClassKinds(rows: readonly LabelRow[], labelsPath: string): 'index' | 'name' {
  const kinds = rows.map((r) => classKind(r.cls));
  const count = (k: string): number => kinds.filter((x) => x === k).length;
  const [indices, numbers, names] = [count('index'), count('number'), count('name')];
  if (indices === rows.length) return 'index';
  if (names === rows.length) return 'name';
  const where = (i: number): string => `labels file '${labelsPath}' line ${rows[i].line}: class '${rows[i].cls}'`;
  if (indices + numbers >= names) {
    const odd = kinds.findIndex((k) => k !== 'index');
    const others = indices > 0 ? 'while the other lines are indices' : 'and no line holds a class index';
    throw new UserError(`${where(odd)} is not a class index (an integer >= 0) ${others}; give every line an index or every line a class name`);
  }
  const odd = kinds.findIndex((k) => k !== 'name');
  throw new UserError(`${where(odd)} is a number while the other lines are class names; give every line an index or every line a class name`);
}

/**
 * Integer classes are indices already. Wnids map through a synset list next to the labels file (with one there,
 * a field that is no listed wnid, such as a typo, is refused rather than turning every wnid into a sorted name);
 * any other names get indices in sorted order, like class folders.
 */
function classIndices(rows: readonly LabelRow[], labelsPath: string): { labels: number[]; classes?: string[] } {
  const cls = rows.map((r) => r.cls);
  if (checkClassKinds(rows, labelsPath) === 'index') {
    const synsets = findSynsetList(dirname(labelsPath));
    return { labels: cls.map(Number), classes: synsets ? readSynsetList(synsets) : undefined };
  }
  if (cls.some((c) => WNID_RE.test(c))) {
    const synsets = findSynsetList(dirname(labelsPath));
    if (synsets) {
      const wnids = readSynsetList(synsets);
      const index = new Map(wnids.map((w, i) => [w, i]));
      const unknown = rows.find((r) => !index.has(r.cls));
      if (unknown) throw new UserError(`labels file '${labelsPath}' line ${unknown.line}: class '${unknown.cls}' is not a wnid listed in the synset list '${synsets}'`);
      return { labels: cls.map((c) => index.get(c)!), classes: wnids };
    }
  }
  const classes = [...new Set(cls)].sort(byCodepoint);
  const index = new Map(classes.map((c, i) => [c, i]));
  return { labels: cls.map((c) => index.get(c)!), classes };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function findSynsetList(folder: string): string | undefined {
  for (const dir of [folder, dirname(folder)]) {
    for (const n of SYNSET_FILES) if (existsSync(join(dir, n))) return join(dir, n);
  }
  return undefined;
}

function isSynsetList(path: string): boolean {
  const first = readText(path).split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return /^n\d{8}(\s|$)/.test(first);
}

/** wnids by class index: line i of the list starts with the wnid of class i. */
export function parseSynsetList(text: string, name: string): string[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.map((l, i) => {
    const m = /^(n\d{8})(\s|$)/.exec(l.trim());
    if (!m) throw new UserError(`synset list '${name}' line ${i + 1} does not start with a wnid (nXXXXXXXX): '${l}'`);
    return m[1];
  });
}

function readSynsetList(path: string): string[] {
  return parseSynsetList(readText(path), path);
}

function openSynsetNames(root: string, images: string[], synsetsPath: string): FullSet {
  const wnids = readSynsetList(synsetsPath);
  const index = new Map(wnids.map((w, i) => [w, i]));
  if (images.length === 0) throw new UserError(`no images in '${root}'`);
  const samples = images.sort(byCodepoint).map((f) => {
    const wnid = WNID_RE.exec(f)?.[1];
    const label = wnid === undefined ? undefined : index.get(wnid);
    if (label === undefined) throw new UserError(`image '${join(root, f)}' does not start with a wnid listed in '${synsetsPath}'`);
    return { source: { kind: 'file', path: join(root, f) } as SampleSource, label };
  });
  return { layout: 'synset-names', classes: wnids, samples };
}

function openIdx(imagesPath: string, labelsPath: string | undefined): FullSet {
  const lp = labelsPath ?? idxLabelsPathFor(imagesPath);
  if (!lp || !existsSync(lp)) throw new UserError(`no IDX labels file for '${imagesPath}'${lp ? ` (expected '${lp}')` : ''}; pass one with --labels`);
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(lp);
  if (images.dims.length !== 3) throw new UserError(`'${imagesPath}' has IDX shape ${images.dims.join('x')}; expected count x rows x cols`);
  if (labels.dims.length !== 1) throw new UserError(`'${lp}' has IDX shape ${labels.dims.join('x')}; expected one label per image`);
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) throw new UserError(`'${imagesPath}' holds ${count} images but '${lp}' holds ${labels.dims[0]} labels`);
  const size = height * width;
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const image: RawImage = { width, height, channels: 1, data: images.data.subarray(i * size, (i + 1) * size) };
    samples.push({ source: { kind: 'pixels', id: `${imagesPath}#${i}`, image }, label: labels.data[i] });
  }
  if (samples.length === 0) throw new UserError(`no images in '${imagesPath}'`);
  return { layout: 'idx', samples };
}

/** A short name for a sample in messages and reports. */
export function sampleName(s: Sample): string {
  const src = s.source;
  if (src.kind === 'tensor') return `${src.path}#${src.index}`;
  return src.kind === 'file' ? src.path : src.id;
}
