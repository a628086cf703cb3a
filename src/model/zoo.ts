// The built-in model zoo: networks known by name, built on demand from their family builders in zoo/.
// The torchvision networks carry no precision (a run's default applies); the bf-* networks are the Bit Fusion
// paper's benchmarks with the per-layer precisions of the authors' simulator (see zoo/bitfusion.ts).
//
// Parameter counts (networkParams) are those of the IR: conv/fc weights plus one bias per output channel
// where the layer has one. BatchNorm is folded, so a torchvision conv+BN pair becomes one conv with a bias:
// the BN's scale goes into the weights and its shift into the bias. The IR therefore counts C parameters per
// BN where torchvision counts 2C (gamma and beta; running statistics are buffers, not parameters), putting
// the folded totals a fraction of a percent below torchvision's (resnet18: 11.685 M vs 11.690 M).
import type { Network } from './ir.js';
import { unknownChoice } from '../errors.js';
import { resnet18, resnet34, resnet50, resnet101 } from './zoo/resnet.js';
import { vgg16 } from './zoo/vgg.js';
import { mobilenetv2 } from './zoo/mobilenet.js';
import { alexnet } from './zoo/alexnet.js';
import { bfAlexnet, bfCifar10, bfLenet5, bfLstm, bfResnet18, bfRnn, bfSvhn, bfVgg7 } from './zoo/bitfusion.js';

export interface ZooEntry {
  name: string;
  description: string;
}

interface ZooItem extends ZooEntry {
  build: () => Network;
}

function item(build: () => Network): ZooItem {
  const net = build();
  return { name: net.name, description: net.description, build };
}

// Built once at load to read names and descriptions; getNetwork builds a fresh copy per call so callers may
// mutate what they get (e.g. set precisions) without affecting each other.
const ITEMS: readonly ZooItem[] = [
  item(resnet18),
  item(resnet34),
  item(resnet50),
  item(resnet101),
  item(vgg16),
  item(mobilenetv2),
  item(alexnet),
  item(bfAlexnet),
  item(bfSvhn),
  item(bfCifar10),
  item(bfLenet5),
  item(bfVgg7),
  item(bfResnet18),
  item(bfRnn),
  item(bfLstm),
];

export function zooNames(): string[] {
  return ITEMS.map((i) => i.name);
}

export function zooEntries(): ZooEntry[] {
  return ITEMS.map(({ name, description }) => ({ name, description }));
}

export function getNetwork(name: string): Network {
  const found = ITEMS.find((i) => i.name === name);
  if (!found) throw unknownChoice('network', name, zooNames());
  return found.build();
}
