// torchvision ResNets (He et al. 2016) at 224x224: BasicBlock for 18/34, Bottleneck v1.5 (stride on the 3x3
// conv) for 50/101. BatchNorm is folded into the preceding conv, so every conv carries the folded bias and
// ReLU rides on the conv or the residual add. Layer names follow torchvision's module names; the
// downsample projection is named `layerX.0.downsample` (torchvision's `downsample.0`, its BN folded away).
import type { Network } from '../ir.js';
import { INPUT, NetBuilder } from '../builder.js';

type BlockKind = 'basic' | 'bottleneck';

interface ResNetSpec {
  name: string;
  block: BlockKind;
  /** Blocks per stage (layer1..layer4). */
  depths: [number, number, number, number];
}

const STAGE_WIDTHS = [64, 128, 256, 512] as const;

function basicBlock(b: NetBuilder, prefix: string, from: string, width: number, stride: number): string {
  const inC = b.shapeOf(from).c;
  const c1 = b.conv(`${prefix}.conv1`, from, { outC: width, kernel: 3, stride, pad: 1, bias: true, activation: 'relu' });
  const c2 = b.conv(`${prefix}.conv2`, c1, { outC: width, kernel: 3, pad: 1, bias: true });
  const identity = stride !== 1 || inC !== width
    ? b.conv(`${prefix}.downsample`, from, { outC: width, kernel: 1, stride, bias: true })
    : from;
  return b.add(`${prefix}.add`, [c2, identity], 'relu');
}

function bottleneck(b: NetBuilder, prefix: string, from: string, width: number, stride: number): string {
  const inC = b.shapeOf(from).c;
  const outC = width * 4;
  const c1 = b.conv(`${prefix}.conv1`, from, { outC: width, kernel: 1, bias: true, activation: 'relu' });
  const c2 = b.conv(`${prefix}.conv2`, c1, { outC: width, kernel: 3, stride, pad: 1, bias: true, activation: 'relu' });
  const c3 = b.conv(`${prefix}.conv3`, c2, { outC, kernel: 1, bias: true });
  const identity = stride !== 1 || inC !== outC
    ? b.conv(`${prefix}.downsample`, from, { outC, kernel: 1, stride, bias: true })
    : from;
  return b.add(`${prefix}.add`, [c3, identity], 'relu');
}

function resnet(spec: ResNetSpec, description: string): Network {
  const b = new NetBuilder(spec.name, description, { c: 3, h: 224, w: 224 });
  let x = b.conv('conv1', INPUT, { outC: 64, kernel: 7, stride: 2, pad: 3, bias: true, activation: 'relu' });
  x = b.pool('maxpool', x, { op: 'max', kernel: 3, stride: 2, pad: 1 });
  const block = spec.block === 'basic' ? basicBlock : bottleneck;
  spec.depths.forEach((depth, s) => {
    for (let i = 0; i < depth; i++) {
      const stride = s > 0 && i === 0 ? 2 : 1;
      x = block(b, `layer${s + 1}.${i}`, x, STAGE_WIDTHS[s], stride);
    }
  });
  x = b.globalPool('avgpool', x, 'avg');
  b.fc('fc', x, { out: 1000 });
  return b.build();
}

export function resnet18(): Network {
  return resnet({ name: 'resnet18', block: 'basic', depths: [2, 2, 2, 2] },
    'ResNet-18, ImageNet 224x224 (torchvision topology, BatchNorm folded)');
}

export function resnet34(): Network {
  return resnet({ name: 'resnet34', block: 'basic', depths: [3, 4, 6, 3] },
    'ResNet-34, ImageNet 224x224 (torchvision topology, BatchNorm folded)');
}

export function resnet50(): Network {
  return resnet({ name: 'resnet50', block: 'bottleneck', depths: [3, 4, 6, 3] },
    'ResNet-50 v1.5, ImageNet 224x224 (torchvision topology, BatchNorm folded)');
}

export function resnet101(): Network {
  return resnet({ name: 'resnet101', block: 'bottleneck', depths: [3, 4, 23, 3] },
    'ResNet-101 v1.5, ImageNet 224x224 (torchvision topology, BatchNorm folded)');
}
