// torchvision AlexNet (the one-GPU variant of Krizhevsky 2014, "One weird trick": 64/192/384/256/256
// channels) at 224x224. Names are torchvision's Sequential indices. The adaptive 6x6 average pool is kept as
// a 1x1/1 pool: at 224x224 the features are already 256x6x6, so it maps 6x6 to 6x6 and the classifier
// sees 9216 inputs.
import type { Network } from '../ir.js';
import { INPUT, NetBuilder } from '../builder.js';

export function alexnet(): Network {
  const b = new NetBuilder('alexnet', 'AlexNet, ImageNet 224x224 (torchvision topology)', { c: 3, h: 224, w: 224 });
  let x = b.conv('features.0', INPUT, { outC: 64, kernel: 11, stride: 4, pad: 2, bias: true, activation: 'relu' });
  x = b.pool('features.2', x, { op: 'max', kernel: 3, stride: 2 });
  x = b.conv('features.3', x, { outC: 192, kernel: 5, pad: 2, bias: true, activation: 'relu' });
  x = b.pool('features.5', x, { op: 'max', kernel: 3, stride: 2 });
  x = b.conv('features.6', x, { outC: 384, kernel: 3, pad: 1, bias: true, activation: 'relu' });
  x = b.conv('features.8', x, { outC: 256, kernel: 3, pad: 1, bias: true, activation: 'relu' });
  x = b.conv('features.10', x, { outC: 256, kernel: 3, pad: 1, bias: true, activation: 'relu' });
  x = b.pool('features.12', x, { op: 'max', kernel: 3, stride: 2 });
  x = b.pool('avgpool', x, { op: 'avg', kernel: 1, stride: 1 });
  x = b.fc('classifier.1', x, { out: 4096, activation: 'relu' });
  x = b.fc('classifier.4', x, { out: 4096, activation: 'relu' });
  b.fc('classifier.6', x, { out: 1000 });
  return b.build();
}
