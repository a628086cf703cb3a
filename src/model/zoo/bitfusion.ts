// The eight benchmarks of the Bit Fusion paper (Sharma et al., ISCA 2018, Table II), as defined layer by
// layer in the authors' published simulator (github.com/hsharma35/bitfusion,
// bitfusion/src/benchmarks/benchmarks.py, built on DnnWeaver v2's graph API).
//
// Precision semantics follow that simulator: a layer's activation width is the dtype of the tensor it reads
// (the input data, or the c_dtype/f_dtype its producer casts to; pooling, flatten, concat and add keep
// their input's dtype), its weight width is its own w_dtype. FQDtype.Bin is 1 bit, FXP2 (ternary) 2,
// FXP4 4, FXP8 8. Widths under 2 bits stay as given here; the simulator raises them.
//
// The definitions are the simulator's, not the original training graphs: each one's multiply-accumulate
// count is the paper's "Multiply-Add Operations" column (AlexNet 2,678 M, SVHN 158 M, CIFAR-10 617 M,
// LeNet-5 16 M, VGG-7 317 M, ResNet-18 4,269 M, RNN 17 M, LSTM 13 M). For AlexNet and ResNet-18 those are
// the simulator's WRPN variants (get_alex_net_wrpn, get_resnet_18_wrpn: twice the filters), which is what
// the table counts. The source declares every layer 'linear' (activation functions do not affect the
// simulator), so activation is 'none' throughout. Input shapes are per sample (the source uses batch 16).
import type { Network, Precision } from '../ir.js';
import { INPUT, NetBuilder } from '../builder.js';

const P = (a: number, w: number): Precision => ({ a, w });

/**
 * AlexNet-WRPN (Mishra et al., WRPN, 2x wide), 227x227. The source keeps Krizhevsky's two towers (conv*_a,
 * conv*_b) and concatenates them before conv3 and fc1. The IR has no concat, so each tower pair is one
 * layer: conv1 and conv3 (both towers read the same full input) are ordinary convs with the towers' filters
 * together, conv2/4/5 (each tower reads only its own half) are groups=2 convs. MACs and weights are the
 * same as the two towers'. First conv 8-bit activations (image) with 8-bit weights, last fc 8/8 (fc2 casts
 * to FXP8), everything else 4/4.
 */
export function bfAlexnet(): Network {
  const b = new NetBuilder('bf-alexnet',
    'Bit Fusion benchmark: AlexNet-WRPN 2x, ImageNet, 4-bit (first/last layer 8-bit)',
    { c: 3, h: 227, w: 227 });
  let x = b.conv('conv1', INPUT, { outC: 192, kernel: 11, stride: 4, bias: true, precision: P(8, 8) });
  x = b.pool('pool1', x, { op: 'max', kernel: 2, stride: 2 });
  x = b.conv('conv2', x, { outC: 512, kernel: 5, pad: 2, groups: 2, bias: true, precision: P(4, 4) });
  x = b.pool('pool2', x, { op: 'max', kernel: 2, stride: 2 });
  x = b.conv('conv3', x, { outC: 768, kernel: 3, pad: 1, bias: true, precision: P(4, 4) });
  x = b.conv('conv4', x, { outC: 768, kernel: 3, pad: 1, groups: 2, bias: true, precision: P(4, 4) });
  x = b.conv('conv5', x, { outC: 512, kernel: 3, pad: 1, groups: 2, bias: true, precision: P(4, 4) });
  x = b.pool('pool5', x, { op: 'max', kernel: 2, stride: 2 });
  x = b.fc('fc1', x, { out: 8192, precision: P(4, 4) });
  x = b.fc('fc2', x, { out: 8192, precision: P(4, 4) });
  b.fc('fc3', x, { out: 1000, precision: P(8, 8) });
  return b.build();
}

/**
 * A six-conv, three-fc network on 32x32 images: the shape shared by the SVHN and CIFAR-10 QNN benchmarks
 * (Hubara et al., QNN), with the first conv's and every later layer's precision given.
 */
function qnnNet(name: string, description: string, widths: [number, number, number], fcWidth: number,
  first: Precision, rest: Precision): Network {
  const b = new NetBuilder(name, description, { c: 3, h: 32, w: 32 });
  const [w0, w1, w2] = widths;
  let x = b.conv('conv0', INPUT, { outC: w0, kernel: 3, pad: 1, bias: true, precision: first });
  x = b.conv('conv1', x, { outC: w0, kernel: 3, pad: 1, bias: true, precision: rest });
  x = b.pool('pool1', x, { op: 'max', kernel: 2, stride: 2 });
  x = b.conv('conv2', x, { outC: w1, kernel: 3, pad: 1, bias: true, precision: rest });
  x = b.conv('conv3', x, { outC: w1, kernel: 3, pad: 1, bias: true, precision: rest });
  x = b.pool('pool3', x, { op: 'max', kernel: 2, stride: 2 });
  x = b.conv('conv4', x, { outC: w2, kernel: 3, pad: 1, bias: true, precision: rest });
  x = b.conv('conv5', x, { outC: w2, kernel: 3, pad: 1, bias: true, precision: rest });
  x = b.pool('pool5', x, { op: 'max', kernel: 2, stride: 2 });
  x = b.fc('fc6', x, { out: fcWidth, precision: rest });
  x = b.fc('fc7', x, { out: fcWidth, precision: rest });
  b.fc('fc8', x, { out: 10, precision: rest });
  return b.build();
}

/** SVHN QNN (get_svhn_qnn): binary weights everywhere; 8-bit image into conv0, binary activations after. */
export function bfSvhn(): Network {
  return qnnNet('bf-svhn', 'Bit Fusion benchmark: SVHN QNN, binary (first layer 8-bit activations)',
    [64, 128, 256], 1024, P(8, 1), P(1, 1));
}

/** CIFAR-10 QNN (get_cifar10_qnn): conv0 8/8, then 2-bit activations and weights. */
export function bfCifar10(): Network {
  return qnnNet('bf-cifar10', 'Bit Fusion benchmark: CIFAR-10 QNN, 2-bit (first layer 8-bit)',
    [128, 256, 512], 1024, P(8, 8), P(2, 2));
}

/** LeNet-5 TWN (get_lenet_5_twn, Li et al. ternary weights): MNIST padded to 32x32, 2-bit input and all layers. */
export function bfLenet5(): Network {
  const b = new NetBuilder('bf-lenet5', 'Bit Fusion benchmark: LeNet-5 TWN, MNIST, ternary (2-bit)',
    { c: 1, h: 32, w: 32 });
  let x = b.conv('conv0', INPUT, { outC: 32, kernel: 5, pad: 2, bias: true, precision: P(2, 2) });
  x = b.pool('pool0', x, { op: 'max', kernel: 2, stride: 2 });
  x = b.conv('conv1', x, { outC: 64, kernel: 5, pad: 2, bias: true, precision: P(2, 2) });
  x = b.pool('pool1', x, { op: 'max', kernel: 2, stride: 2 });
  x = b.fc('fc1', x, { out: 512, precision: P(2, 2) });
  b.fc('fc2', x, { out: 10, precision: P(2, 2) });
  return b.build();
}

/**
 * VGG-7 TWN (get_vgg_7_twn), CIFAR-10. The source builds two parallel towers from the input (conv1_a/_b ...
 * conv3_a/_b, each followed by a 2x2 pool), sums them (add3) and ends in one 1024-wide fc; all 2-bit,
 * including the input.
 */
export function bfVgg7(): Network {
  const b = new NetBuilder('bf-vgg7', 'Bit Fusion benchmark: VGG-7 TWN, CIFAR-10, ternary (2-bit)',
    { c: 3, h: 32, w: 32 });
  const tower = (t: 'a' | 'b'): string => {
    let x = INPUT;
    [128, 256, 512].forEach((c, i) => {
      x = b.conv(`conv${i + 1}_${t}`, x, { outC: c, kernel: 3, pad: 1, bias: true, precision: P(2, 2) });
      x = b.pool(`pool${i + 1}_${t}`, x, { op: 'max', kernel: 2, stride: 2 });
    });
    return x;
  };
  const a = tower('a');
  const c = tower('b');
  const sum = b.add('add3', [a, c]);
  b.fc('fc1', sum, { out: 1024, precision: P(2, 2) });
  return b.build();
}

/**
 * ResNet-18-WRPN (get_resnet_18_wrpn), 224x224. Not torchvision's ResNet-18: the source models each of
 * modules 2-5 as two (1x1, 3x3) conv pairs (the 1x1 of the first pair strided in modules 3-5), one add per
 * module 2-4 over the last pair's two outputs, a 2x2/2 max pool after conv1 and no classifier. Widths are
 * WRPN's 2x (128..1024). conv1 8/8 (image, 8-bit weights), every other conv 4/4.
 */
export function bfResnet18(): Network {
  const b = new NetBuilder('bf-resnet18',
    'Bit Fusion benchmark: ResNet-18-WRPN 2x, ImageNet, 4-bit (first layer 8-bit)',
    { c: 3, h: 224, w: 224 });
  let x = b.conv('conv1_a', INPUT, { outC: 128, kernel: 7, stride: 2, pad: 3, bias: true, precision: P(8, 8) });
  x = b.pool('pool1_a', x, { op: 'max', kernel: 2, stride: 2 });
  [128, 256, 512, 1024].forEach((width, s) => {
    const m = s + 2;
    let first = '';
    for (let i = 1; i <= 2; i++) {
      const stride = m > 2 && i === 1 ? 2 : 1;
      first = b.conv(`conv${m}_${i}_a`, x, { outC: width, kernel: 1, stride, bias: true, precision: P(4, 4) });
      x = b.conv(`conv${m}_${i}_b`, first, { outC: width, kernel: 3, pad: 1, bias: true, precision: P(4, 4) });
    }
    if (m < 5) x = b.add(`add${m}`, [first, x]);
  });
  return b.build();
}

/**
 * The recurrent benchmarks (get_RNN, get_LSTM; Hubara et al. QNN on Penn TreeBank), 4-bit. The source
 * models one time step as one fully connected product, rnn: 4096 -> 4096 (size 2048, 2*size in and out),
 * lstm: 3600 -> 3600 (size 900, 4*size in and out: the four gates), and gives no sequence length, so
 * steps = 1. Input is 4-bit (the source's data dtype), weights 4-bit.
 */
function recurrent(name: string, description: string, features: number): Network {
  const b = new NetBuilder(name, description, { c: features, h: 1, w: 1 });
  b.matmul('matmul', INPUT, { n: features, steps: 1, precision: P(4, 4) });
  return b.build();
}

export function bfRnn(): Network {
  return recurrent('bf-rnn', 'Bit Fusion benchmark: RNN QNN, Penn TreeBank, 4-bit, one step', 4096);
}

export function bfLstm(): Network {
  return recurrent('bf-lstm', 'Bit Fusion benchmark: LSTM QNN, Penn TreeBank, 4-bit, one step', 3600);
}
