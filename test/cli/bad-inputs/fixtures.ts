// The files the bad-input suite hands to hwq: a small valid CNN and images (so every case is bad in exactly one
// way), broken models, configs, precision files, labels, and .hwq files damaged in each way a disk or a user can.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attr } from '../../../src/onnx/attr.js';
import { buildModel } from '../../../src/onnx/build.js';
import { saveModel } from '../../../src/onnx/proto.js';
import { DataType, floatTensor, makeTensor } from '../../../src/onnx/tensor.js';
import { colourFolder, colourModel, featureMapModel } from '../../eval/colour-fixtures.js';
import { colourCnn, npyBytes, writeNpy } from '../../compat/models.js';

/** A small valid CNN on 3x32x32 inputs: Conv -> Relu -> Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm (10 classes). */
export function tinyCnn(path: string): string {
  const ramp = (n: number, k: number) => Array.from({ length: n }, (_, i) => ((i * k) % 11) / 11 - 0.5);
  saveModel(path, buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, 32, 32] }],
    outputs: [{ name: 'y', dims: ['N', 10] }],
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', name: 'conv2', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
    initializers: {
      w1: floatTensor([8, 3, 3, 3], ramp(216, 37)), b1: floatTensor([8], ramp(8, 3)),
      w2: floatTensor([8, 8, 3, 3], ramp(576, 13)), b2: floatTensor([8], ramp(8, 5)),
      fw: floatTensor([10, 8], ramp(80, 7)), fb: floatTensor([10]),
    },
  }));
  return path;
}

export interface Fixtures {
  dir: string;
  /** Paths by name; a case writes @name in its arguments. */
  files: Record<string, string>;
}

const json = (v: unknown) => JSON.stringify(v);

/** Writes every fixture except the quantized ones (which need hwq quantize to run) into `dir`. */
export function writeFixtures(dir: string): Fixtures {
  const f: Record<string, string> = {};
  const put = (name: string, rel: string, body: string | Uint8Array) => {
    const p = join(dir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, body);
    f[name] = p;
  };
  f.cnn = tinyCnn(join(dir, 'cnn.onnx'));
  f.fmap = featureMapModel(join(dir, 'fmap.onnx'));
  f.twoClass = colourModel(join(dir, 'two-class.onnx'), [0, 1, 1], 2);
  put('reluOnly', 'relu-only.onnx', Buffer.from([]));
  saveModel(f.reluOnly, buildModel({ inputs: [{ name: 'x', dims: [1, 3, 32, 32] }], outputs: [{ name: 'y', dims: [1, 3, 32, 32] }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] }));
  put('textOnnx', 'text.onnx', 'this is not a protobuf\n');
  // a decoder's upsampling and an integer convolution outside onnxruntime's patterns: valid ONNX hwq refuses, saying why
  f.convTranspose = join(dir, 'conv-transpose.onnx');
  saveModel(f.convTranspose, buildModel({
    inputs: [{ name: 'x', dims: [1, 4, 8, 8] }], outputs: [{ name: 'y', dims: [1, 2, 16, 16] }],
    nodes: [{ op: 'ConvTranspose', name: 'up', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } }],
    initializers: { w: floatTensor([4, 2, 2, 2], new Array(32).fill(0.1)) },
  }));
  // integer convolution of a quantized input the file does not quantize itself: not a form onnxruntime writes
  f.convInteger = join(dir, 'conv-integer.onnx');
  saveModel(f.convInteger, buildModel({
    inputs: [{ name: 'x', dims: [1, 3, 8, 8], elemType: DataType.UINT8 }], outputs: [{ name: 'y', dims: [1, 4, 8, 8], elemType: DataType.INT32 }],
    nodes: [{ op: 'ConvInteger', name: 'qconv', inputs: ['x', 'w', 'xz', 'wz'], outputs: ['y'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } }],
    initializers: { w: makeTensor(DataType.UINT8, [4, 3, 3, 3], new Array(108).fill(1)), xz: makeTensor(DataType.UINT8, [], [128]), wz: makeTensor(DataType.UINT8, [], [0]) },
  }));
  put('truncOnnx', 'trunc.onnx', readFileSync(f.cnn).subarray(0, 100));
  f.images = colourFolder(join(dir, 'images'), 3);
  mkdirSync(join(dir, 'empty'), { recursive: true });
  f.empty = join(dir, 'empty');
  put('file', 'file.txt', 'a regular file\n');
  // flat folder of images named in a labels CSV
  const names = ['a.png', 'b.png', 'c.png', 'd.png'];
  for (const n of names) put(`flat-${n}`, join('flat', n), readFileSync(join(f.images, 'c0', 'img0.png')));
  f.flat = join(dir, 'flat');
  put('labelsMixed', 'labels-mixed.csv', 'file,class\na.png,0\nb.png,1\nc.png,cat\nd.png,1\n');
  put('labelsNeg', 'labels-neg.csv', 'file,class\na.png,0\nb.png,1\nc.png,-3\nd.png,1\n');
  put('labelsFrac', 'labels-frac.csv', 'file,class\na.png,0\nb.png,2.5\nc.png,1\nd.png,1\n');
  put('labelsMissingFile', 'labels-missing.csv', 'file,class\na.png,0\nb.png,1\nzzz.png,1\nd.png,1\n');
  put('labelsDup', 'labels-dup.csv', 'file,class\na.png,0\nb.png,1\na.png,1\nd.png,1\n');
  put('labelsHigh', 'labels-high.csv', 'file,class\na.png,0\nb.png,1\nc.png,7\nd.png,1\n');
  f.wide = colourCnn(join(dir, 'wide.onnx'), ['N', 3, 24, 40]);
  // .npy samples for the 3x32x32 CNN: a good stack of 2, and files wrong in one way each
  const ones = (n: number) => new Array(n).fill(1);
  f.npyGood = writeNpy(join(dir, 'npy', 'good.npy'), [2, 3, 32, 32], ones(2 * 3072));
  f.npyWide = writeNpy(join(dir, 'npy-bad', 'wide.npy'), [3, 32, 31], ones(3 * 32 * 31));
  f.npyFortran = writeNpy(join(dir, 'npy-bad', 'fortran.npy'), [3, 32, 32], ones(3072), '<f4', true);
  put('npyBool', 'npy-bad/bool.npy', Buffer.from(npyBytes([3, 32, 32], ones(3072)).toString('latin1').replace('<f4', '|b1'), 'latin1'));
  put('npyLabelsShort', 'npy-labels-short.txt', '0\n');
  // configs
  const cfg = (name: string, body: string) => put(name, `cfg/${name}.json`, body);
  cfg('rowz', json({ base: 'vc709', rowz: 16 }));
  cfg('clockMhz', json({ base: 'vc709', clockMhz: 100 }));
  cfg('doubleBufferd', json({ base: 'vc709', doubleBufferd: false }));
  cfg('bytez', json({ base: 'vc709', ibuf: { bytez: 1024 } }));
  cfg('badBase', json({ base: 'tpu-v9' }));
  cfg('badJson', '{"base": "vc709", rows: 8');
  cfg('array', '[1, 2, 3]');
  cfg('rows0', json({ base: 'vc709', rows: 0 }));
  cfg('rowsFrac', json({ base: 'vc709', rows: 2.5 }));
  cfg('rowsText', json({ base: 'vc709', rows: '16' }));
  cfg('maxBits6', json({ base: 'vc709', maxBits: 6 }));
  cfg('maxBits4Alone', json({ base: 'vc709', maxBits: 4 }));
  cfg('acc20', json({ base: 'vc709', accumulatorBits: 20 }));
  cfg('eff', json({ base: 'vc709', dram: { efficiency: 1.5 } }));
  cfg('energyNeg', json({ base: 'vc709', energy: { dramPJPerByte: -1 } }));
  cfg('clock0', json({ base: 'vc709', clockMHz: 0 }));
  cfg('dbText', json({ base: 'vc709', obuf: { doubleBuffered: 'yes' } }));
  cfg('descNum', json({ base: 'vc709', description: 42 }));
  cfg('single', json({ base: 'vc709', wbuf: { doubleBuffered: false } }));
  cfg('unit4', json({ base: 'vc709', maxBits: 4, bitBricksPerUnit: 4 }));
  cfg('unit16', json({ base: 'vc709', maxBits: 16, bitBricksPerUnit: 64 }));
  cfg('acc16', json({ base: 'vc709', accumulatorBits: 16 }));
  cfg('rows1', json({ base: 'vc709', rows: 1 }));
  cfg('tinyBuf', json({ base: 'vc709', ibuf: { bytes: 2 } }));
  cfg('ibufNull', json({ base: 'vc709', ibuf: null }));
  // two designs whose files share a name, so both configs are called 'same'
  put('sameA', 'cfg/a/same.json', json({ base: 'vc709', rows: 16 }));
  put('sameB', 'cfg/b/same.json', json({ base: 'vc709', rows: 4 }));
  // per-layer precision files
  put('precUnknownLayer', 'prec/unknown-layer.json', json({ 'layer9.conv': 'a4w4' }));
  put('precBadValue', 'prec/bad-value.json', json({ conv1: 'a4' }));
  put('precBadJson', 'prec/bad.json', '{"conv1": ');
  put('precArray', 'prec/array.json', '["a4w4"]');
  put('precWide', 'prec/wide.json', json({ conv1: { a: 4, w: 12 } }));
  return { dir, files: f };
}

/** .hwq files damaged three ways, from a good one written by hwq quantize. */
export function damageHwq(fx: Fixtures, good: string): void {
  const bytes = readFileSync(good);
  const at = (name: string, body: Uint8Array) => {
    const p = join(fx.dir, `${name}.hwq`);
    writeFileSync(p, body);
    fx.files[name] = p;
  };
  const flipped = Uint8Array.from(bytes);
  flipped[Math.floor(bytes.length / 2)] ^= 0x5a;
  at('hwqCorrupt', flipped);
  at('hwqTrunc', bytes.subarray(0, Math.floor(bytes.length * 0.7)));
  at('hwqText', Buffer.from('{"not": "an hwq file"}\n'));
}
