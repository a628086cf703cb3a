// Models of known accuracy for the eval/compare tests: a solid-colour image's class is its brightest channel, so
// each model's top-1 on these folders is known exactly.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { buildModel } from '../../src/onnx/build.js';
import { saveModel } from '../../src/onnx/proto.js';
import { floatTensor } from '../../src/onnx/tensor.js';

/** x[N,3,32,32] -> GlobalAveragePool -> Flatten -> MatMul(P) -> y[N,classes]; channel c's mean goes to class perm[c]. */
export function colourModel(path: string, perm: number[], classes = 3): string {
  const p = new Array(3 * classes).fill(0);
  perm.forEach((to, from) => (p[from * classes + to] = 1));
  saveModel(path, buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, 32, 32] }], outputs: [{ name: 'y', dims: ['N', classes] }],
    nodes: [
      { op: 'GlobalAveragePool', name: 'gap', inputs: ['x'], outputs: ['p'] },
      { op: 'Flatten', name: 'flat', inputs: ['p'], outputs: ['f'] },
      { op: 'MatMul', name: 'perm', inputs: ['f', 'P'], outputs: ['y'] },
    ],
    initializers: { P: floatTensor([3, classes], p) },
  }));
  return path;
}

/** x[N,3,32,32] -> Relu -> y[N,3,32,32]: a feature map, not class scores. */
export function featureMapModel(path: string): string {
  saveModel(path, buildModel({ inputs: [{ name: 'x', dims: ['N', 3, 32, 32] }], outputs: [{ name: 'y', dims: ['N', 3, 32, 32] }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] }));
  return path;
}

/** Folders c0 (red), c1 (green), c2 (blue) of `perClass` solid 32x32 PNGs each. */
export function colourFolder(dir: string, perClass: number): string {
  const colours: [number, number, number][] = [[250, 10, 10], [10, 250, 10], [10, 10, 250]];
  colours.forEach((c, k) => {
    mkdirSync(join(dir, `c${k}`), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const png = new PNG({ width: 32, height: 32 });
      for (let q = 0; q < png.data.length; q++) png.data[q] = q % 4 === 3 ? 255 : c[q % 4] + i;
      writeFileSync(join(dir, `c${k}`, `img${i}.png`), PNG.sync.write(png));
    }
  });
  return dir;
}
