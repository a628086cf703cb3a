// torchvision VGG-16 (configuration D, no BatchNorm) at 224x224. Names follow torchvision's Sequential
// indices (features.0 ... features.30, classifier.0/3/6), counting the ReLU and Dropout modules that the IR
// folds into the compute layers. The adaptive 7x7 average pool is the identity at 224x224 and is omitted.
import type { Network } from '../ir.js';
import { INPUT, NetBuilder } from '../builder.js';

/** Channel counts of the 3x3 convs; 'M' is a 2x2/2 max pool. */
const VGG16_CFG: readonly (number | 'M')[] = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];

export function vgg16(): Network {
  const b = new NetBuilder('vgg16', 'VGG-16, ImageNet 224x224 (torchvision topology)', { c: 3, h: 224, w: 224 });
  let x = INPUT;
  let idx = 0;
  for (const v of VGG16_CFG) {
    if (v === 'M') {
      x = b.pool(`features.${idx}`, x, { op: 'max', kernel: 2, stride: 2 });
      idx += 1;
    } else {
      x = b.conv(`features.${idx}`, x, { outC: v, kernel: 3, pad: 1, bias: true, activation: 'relu' });
      idx += 2; // conv + ReLU
    }
  }
  x = b.fc('classifier.0', x, { out: 4096, activation: 'relu' });
  x = b.fc('classifier.3', x, { out: 4096, activation: 'relu' });
  b.fc('classifier.6', x, { out: 1000 });
  return b.build();
}
