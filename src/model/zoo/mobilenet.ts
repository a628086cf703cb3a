// torchvision MobileNetV2 (Sandler et al. 2018), width 1.0, 224x224. BatchNorm is folded into each conv
// (hence the biases); depthwise convs are groups == channels; ReLU6 after every conv except the linear
// bottleneck projections. Names follow torchvision: features.N.conv.I[.0] inside inverted residual blocks,
// features.0.0 / features.18.0 for the stem and last 1x1 conv, classifier.1 for the linear layer (index 0 is
// Dropout). The residual sum of a block is `features.N.add`; the functional global average pool is `avgpool`.
import type { Network } from '../ir.js';
import { INPUT, NetBuilder } from '../builder.js';

/** Inverted residual settings: expansion t, output channels c, repeats n, first stride s. */
const SETTINGS: readonly [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

function invertedResidual(b: NetBuilder, prefix: string, from: string, expand: number, outC: number, stride: number): string {
  const inC = b.shapeOf(from).c;
  const hidden = inC * expand;
  let x = from;
  let i = 0;
  if (expand !== 1) {
    x = b.conv(`${prefix}.conv.${i++}.0`, x, { outC: hidden, kernel: 1, bias: true, activation: 'relu6' });
  }
  x = b.conv(`${prefix}.conv.${i++}.0`, x, { outC: hidden, kernel: 3, stride, pad: 1, groups: hidden, bias: true, activation: 'relu6' });
  x = b.conv(`${prefix}.conv.${i}`, x, { outC, kernel: 1, bias: true });
  return stride === 1 && inC === outC ? b.add(`${prefix}.add`, [x, from]) : x;
}

export function mobilenetv2(): Network {
  const b = new NetBuilder('mobilenetv2', 'MobileNetV2 1.0, ImageNet 224x224 (torchvision topology, BatchNorm folded)', { c: 3, h: 224, w: 224 });
  let x = b.conv('features.0.0', INPUT, { outC: 32, kernel: 3, stride: 2, pad: 1, bias: true, activation: 'relu6' });
  let idx = 1;
  for (const [t, c, n, s] of SETTINGS) {
    for (let i = 0; i < n; i++) {
      x = invertedResidual(b, `features.${idx}`, x, t, c, i === 0 ? s : 1);
      idx++;
    }
  }
  x = b.conv(`features.${idx}.0`, x, { outC: 1280, kernel: 1, bias: true, activation: 'relu6' });
  x = b.globalPool('avgpool', x, 'avg');
  b.fc('classifier.1', x, { out: 1000 });
  return b.build();
}
