import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  computeLayers, layerMacs, networkMacs, networkParams, shapeSize, windowOut,
  type ConvLayer, type Layer, type Network, type Shape3,
} from '../../src/model/ir.js';
import { getNetwork, zooEntries, zooNames } from '../../src/model/zoo.js';
import { INPUT, NetBuilder } from '../../src/model/builder.js';
import { UserError } from '../../src/errors.js';
import { command as zooCommand, formatZooTable, zooRows } from '../../src/cli/commands/zoo.js';

const ALL = [
  'resnet18', 'resnet34', 'resnet50', 'resnet101', 'vgg16', 'mobilenetv2', 'alexnet',
  'bf-alexnet', 'bf-svhn', 'bf-cifar10', 'bf-lenet5', 'bf-vgg7', 'bf-resnet18', 'bf-rnn', 'bf-lstm',
];

const within = (got: number, want: number, rel: number, what: string): void => {
  assert.ok(Math.abs(got - want) <= rel * want, `${what}: ${got} not within ${rel * 100}% of ${want}`);
};

const kinds = (net: Network, kind: Layer['kind']): Layer[] => net.layers.filter((l) => l.kind === kind);
const same = (a: Shape3, b: Shape3): boolean => a.c === b.c && a.h === b.h && a.w === b.w;
const fmt = (s: Shape3): string => `${s.c}x${s.h}x${s.w}`;

/** Every structural invariant of the IR, checked independently of the builder. */
function checkStructure(net: Network): void {
  const out = new Map<string, Shape3>([['input', net.input]]);
  for (const l of net.layers) {
    const at = `${net.name}/${l.name}`;
    assert.not.ok(out.has(l.name), `${at}: duplicate or reserved name`);
    assert.ok(l.inputs.length >= 1, `${at}: no inputs`);
    for (const i of l.inputs) assert.ok(out.has(i), `${at}: input '${i}' is not an earlier layer`);
    const produced = l.inputs.map((i) => out.get(i)!);
    for (const p of produced) assert.ok(same(p, l.input), `${at}: input ${fmt(l.input)} != producer ${fmt(p)}`);
    switch (l.kind) {
      case 'conv': {
        assert.is(l.inputs.length, 1, at);
        assert.is(l.inC, l.input.c, `${at} inC`);
        assert.is(l.outC, l.output.c, `${at} outC`);
        assert.is(l.inC % l.groups, 0, `${at} groups`);
        assert.is(l.outC % l.groups, 0, `${at} groups`);
        assert.is(l.output.h, windowOut(l.input.h, l.kernel[0], l.stride[0], l.pad[0], l.pad[2], l.dilation[0]), `${at} h`);
        assert.is(l.output.w, windowOut(l.input.w, l.kernel[1], l.stride[1], l.pad[1], l.pad[3], l.dilation[1]), `${at} w`);
        break;
      }
      case 'fc':
        assert.is(l.inFeatures, shapeSize(l.input), `${at} inFeatures`);
        assert.equal(l.output, { c: l.outFeatures, h: 1, w: 1 }, `${at} output`);
        break;
      case 'matmul':
        assert.is(l.m * l.k, shapeSize(l.input), `${at} m*k`);
        assert.is(l.m * l.n, shapeSize(l.output), `${at} m*n`);
        assert.ok(l.steps >= 1, `${at} steps`);
        break;
      case 'pool':
        assert.is(l.output.c, l.input.c, `${at} channels`);
        if (l.global) assert.equal([l.output.h, l.output.w], [1, 1], `${at} global`);
        else {
          assert.is(l.output.h, windowOut(l.input.h, l.kernel[0], l.stride[0], l.pad[0], l.pad[2]), `${at} h`);
          assert.is(l.output.w, windowOut(l.input.w, l.kernel[1], l.stride[1], l.pad[1], l.pad[3]), `${at} w`);
        }
        break;
      case 'add':
        assert.ok(l.inputs.length >= 2, `${at}: add of one input`);
        assert.ok(same(l.output, l.input), `${at}: add changes shape`);
        break;
    }
    out.set(l.name, l.output);
  }
}

test('zoo lists exactly the expected networks, each buildable under its own name', () => {
  assert.equal(zooNames(), ALL);
  assert.equal(zooEntries().map((e) => e.name), ALL);
  for (const e of zooEntries()) {
    const net = getNetwork(e.name);
    assert.is(net.name, e.name);
    assert.is(net.description, e.description);
    assert.ok(e.description.length > 10, e.name);
  }
});

test('unknown network name is a UserError naming the valid choices', () => {
  try {
    getNetwork('resnet19');
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, UserError);
    const msg = (e as Error).message;
    assert.ok(msg.includes("'resnet19'"), msg);
    for (const n of ALL) assert.ok(msg.includes(n), `${msg} lacks ${n}`);
  }
});

test('every network: unique names, topological order, shapes chain, adds equal', () => {
  for (const n of ALL) checkStructure(getNetwork(n));
});

test('MAC totals: exact values and within 1% of the published figures', () => {
  const exact: Record<string, number> = {
    resnet18: 1_814_073_344, resnet50: 4_089_184_256, vgg16: 15_470_264_320, mobilenetv2: 300_774_272, alexnet: 714_188_480,
  };
  for (const [n, v] of Object.entries(exact)) assert.is(networkMacs(getNetwork(n)), v, n);
  const published: Record<string, number> = {
    resnet18: 1.814e9, resnet34: 3.67e9, resnet50: 4.09e9, resnet101: 7.83e9, vgg16: 15.47e9, mobilenetv2: 0.30e9, alexnet: 0.71e9,
  };
  for (const [n, v] of Object.entries(published)) within(networkMacs(getNetwork(n)), v, 0.01, `${n} MACs`);
});

test('parameter totals within 1% of torchvision (folded BN counts one bias per channel)', () => {
  const tv: Record<string, number> = {
    resnet18: 11_689_512, resnet50: 25_557_032, vgg16: 138_357_544, mobilenetv2: 3_504_872, alexnet: 61_100_840,
  };
  for (const [n, v] of Object.entries(tv)) within(networkParams(getNetwork(n)), v, 0.01, `${n} params`);
  // Networks without BatchNorm match torchvision exactly; folded ones are below it by one parameter per BN channel.
  assert.is(networkParams(getNetwork('vgg16')), 138_357_544);
  assert.is(networkParams(getNetwork('alexnet')), 61_100_840);
  assert.is(networkParams(getNetwork('resnet18')), 11_689_512 - 4_800);
});

test('compute layer counts', () => {
  const counts: Record<string, [number, number]> = {
    resnet18: [20, 1], resnet34: [36, 1], resnet50: [53, 1], resnet101: [104, 1], vgg16: [13, 3], mobilenetv2: [52, 1], alexnet: [5, 3],
  };
  for (const [n, [conv, fc]] of Object.entries(counts)) {
    const net = getNetwork(n);
    assert.is(kinds(net, 'conv').length, conv, `${n} convs`);
    assert.is(kinds(net, 'fc').length, fc, `${n} fc`);
    assert.is(computeLayers(net).length, conv + fc, `${n} compute`);
  }
});

test('resnet18 follows torchvision names, shapes and residual wiring', () => {
  const net = getNetwork('resnet18');
  const names = computeLayers(net).map((l) => l.name);
  const expected = ['conv1'];
  for (let s = 1; s <= 4; s++) {
    for (let i = 0; i < 2; i++) {
      expected.push(`layer${s}.${i}.conv1`, `layer${s}.${i}.conv2`);
      if (s > 1 && i === 0) expected.push(`layer${s}.0.downsample`);
    }
  }
  expected.push('fc');
  assert.equal(names, expected);
  const by = new Map(net.layers.map((l) => [l.name, l]));
  const conv1 = by.get('conv1') as ConvLayer;
  assert.equal([conv1.kernel, conv1.stride, conv1.pad, conv1.output], [[7, 7], [2, 2], [3, 3, 3, 3], { c: 64, h: 112, w: 112 }]);
  assert.equal(by.get('maxpool')!.output, { c: 64, h: 56, w: 56 });
  assert.equal(by.get('layer1.0.add')!.inputs, ['layer1.0.conv2', 'maxpool']);
  assert.equal(by.get('layer2.0.add')!.inputs, ['layer2.0.conv2', 'layer2.0.downsample']);
  assert.equal(by.get('layer2.1.add')!.inputs, ['layer2.1.conv2', 'layer2.0.add']);
  const ds = by.get('layer2.0.downsample') as ConvLayer;
  assert.equal([ds.inputs, ds.kernel, ds.stride, ds.output], [['layer1.1.add'], [1, 1], [2, 2], { c: 128, h: 28, w: 28 }]);
  assert.equal(by.get('layer4.1.add')!.output, { c: 512, h: 7, w: 7 });
  const pool = by.get('avgpool')!;
  assert.ok(pool.kind === 'pool' && pool.global && pool.op === 'avg');
  const fc = by.get('fc')!;
  assert.ok(fc.kind === 'fc' && fc.inFeatures === 512 && fc.outFeatures === 1000);
  assert.is(kinds(net, 'add').length, 8);
  for (const a of kinds(net, 'add')) assert.is((a as { activation: string }).activation, 'relu');
  assert.is((by.get('layer1.0.conv1') as ConvLayer).activation, 'relu');
  assert.is((by.get('layer1.0.conv2') as ConvLayer).activation, 'none');
});

test('resnet50 bottlenecks put the stride on the 3x3 conv (v1.5)', () => {
  const by = new Map(getNetwork('resnet50').layers.map((l) => [l.name, l]));
  const c1 = by.get('layer2.0.conv1') as ConvLayer;
  const c2 = by.get('layer2.0.conv2') as ConvLayer;
  assert.equal([c1.stride, c1.output], [[1, 1], { c: 128, h: 56, w: 56 }]);
  assert.equal([c2.stride, c2.kernel, c2.output], [[2, 2], [3, 3], { c: 128, h: 28, w: 28 }]);
  assert.equal(by.get('layer1.0.downsample')!.output, { c: 256, h: 56, w: 56 });
  assert.equal(by.get('layer4.2.add')!.output, { c: 2048, h: 7, w: 7 });
});

test('mobilenetv2: 17 depthwise ReLU6 convs, 10 residual adds, linear projections', () => {
  const net = getNetwork('mobilenetv2');
  const convs = kinds(net, 'conv') as ConvLayer[];
  const dw = convs.filter((c) => c.groups > 1);
  assert.is(dw.length, 17);
  for (const c of dw) {
    assert.ok(c.groups === c.inC && c.groups === c.outC, c.name);
    assert.is(c.activation, 'relu6', c.name);
  }
  assert.is(kinds(net, 'add').length, 10);
  const by = new Map(net.layers.map((l) => [l.name, l]));
  assert.is((by.get('features.2.conv.2') as ConvLayer).activation, 'none');
  assert.equal(by.get('features.18.0')!.output, { c: 1280, h: 7, w: 7 });
  assert.equal(by.get('features.3.add')!.inputs, ['features.3.conv.2', 'features.2.conv.2']);
});

test('vgg16 and alexnet keep torchvision indices and classifier widths', () => {
  const vgg = new Map(getNetwork('vgg16').layers.map((l) => [l.name, l]));
  assert.equal(vgg.get('features.28')!.output, { c: 512, h: 14, w: 14 });
  assert.equal(vgg.get('features.30')!.output, { c: 512, h: 7, w: 7 });
  const c0 = vgg.get('classifier.0')!;
  assert.ok(c0.kind === 'fc' && c0.inFeatures === 25088 && c0.outFeatures === 4096);
  const alex = new Map(getNetwork('alexnet').layers.map((l) => [l.name, l]));
  assert.equal(alex.get('features.0')!.output, { c: 64, h: 55, w: 55 });
  assert.equal(alex.get('avgpool')!.output, { c: 256, h: 6, w: 6 });
  const f1 = alex.get('classifier.1')!;
  assert.ok(f1.kind === 'fc' && f1.inFeatures === 9216 && f1.outFeatures === 4096);
});

test('Bit Fusion benchmarks: precision on every compute layer, MACs of the paper table', () => {
  // Multiply-add operations (millions) of the paper's benchmark table.
  const table: Record<string, number> = {
    'bf-alexnet': 2678, 'bf-svhn': 158, 'bf-cifar10': 617, 'bf-lenet5': 16, 'bf-vgg7': 317, 'bf-resnet18': 4269, 'bf-rnn': 17, 'bf-lstm': 13,
  };
  for (const [n, mops] of Object.entries(table)) {
    const net = getNetwork(n);
    for (const l of computeLayers(net)) {
      assert.ok(l.precision, `${n}/${l.name} has no precision`);
      for (const b of [l.precision!.a, l.precision!.w]) assert.ok([1, 2, 4, 8].includes(b), `${n}/${l.name} width ${b}`);
    }
    within(networkMacs(net) / 1e6, mops, 0.015, `${n} MOps`);
  }
  assert.is(networkMacs(getNetwork('bf-alexnet')), 2_678_604_864);
  assert.is(networkMacs(getNetwork('bf-resnet18')), 4_269_375_488);
});

test('Bit Fusion benchmarks: per-layer precisions as the reference simulator defines them', () => {
  const prec = (n: string): string[] => computeLayers(getNetwork(n)).map((l) => `${l.name}:${l.precision!.a}/${l.precision!.w}`);
  assert.equal(prec('bf-svhn'), ['conv0:8/1', 'conv1:1/1', 'conv2:1/1', 'conv3:1/1', 'conv4:1/1', 'conv5:1/1', 'fc6:1/1', 'fc7:1/1', 'fc8:1/1']);
  assert.equal(prec('bf-cifar10'), ['conv0:8/8', 'conv1:2/2', 'conv2:2/2', 'conv3:2/2', 'conv4:2/2', 'conv5:2/2', 'fc6:2/2', 'fc7:2/2', 'fc8:2/2']);
  assert.equal(prec('bf-alexnet'), ['conv1:8/8', 'conv2:4/4', 'conv3:4/4', 'conv4:4/4', 'conv5:4/4', 'fc1:4/4', 'fc2:4/4', 'fc3:8/8']);
  assert.equal(prec('bf-lenet5'), ['conv0:2/2', 'conv1:2/2', 'fc1:2/2', 'fc2:2/2']);
  const r18 = prec('bf-resnet18');
  assert.is(r18.length, 17);
  assert.is(r18[0], 'conv1_a:8/8');
  assert.ok(r18.slice(1).every((s) => s.endsWith(':4/4')), r18.join(' '));
  assert.equal(prec('bf-rnn'), ['matmul:4/4']);
});

test('Bit Fusion topologies: towers, recurrent gate products', () => {
  const alex = new Map(getNetwork('bf-alexnet').layers.map((l) => [l.name, l]));
  assert.equal([(alex.get('conv2') as ConvLayer).groups, (alex.get('conv3') as ConvLayer).groups], [2, 1]);
  const fc1 = alex.get('fc1')!;
  assert.ok(fc1.kind === 'fc' && fc1.inFeatures === 18432);
  const vgg7 = new Map(getNetwork('bf-vgg7').layers.map((l) => [l.name, l]));
  assert.equal(vgg7.get('add3')!.inputs, ['pool3_a', 'pool3_b']);
  assert.equal(vgg7.get('conv1_b')!.inputs, ['input']);
  const rnn = computeLayers(getNetwork('bf-rnn'))[0];
  const lstm = computeLayers(getNetwork('bf-lstm'))[0];
  assert.ok(rnn.kind === 'matmul' && rnn.m === 1 && rnn.k === 4096 && rnn.n === 4096 && rnn.steps === 1);
  assert.ok(lstm.kind === 'matmul' && lstm.k === 3600 && lstm.n === 3600);
  assert.is(layerMacs(lstm), 12_960_000);
});

test('getNetwork returns independent copies', () => {
  const a = getNetwork('bf-svhn');
  computeLayers(a)[0].precision!.a = 3;
  (a.layers[0] as ConvLayer).kernel[0] = 9;
  const b = getNetwork('bf-svhn');
  assert.is(computeLayers(b)[0].precision!.a, 8);
  assert.is((b.layers[0] as ConvLayer).kernel[0], 3);
});

test('builder: dilation, asymmetric pad, groups, flatten, and its error checks', () => {
  const b = new NetBuilder('t', 'test', { c: 8, h: 10, w: 12 });
  const c = b.conv('c', INPUT, { outC: 4, kernel: [3, 5], stride: [2, 1], pad: [1, 0, 0, 2], dilation: [2, 1], groups: 4 });
  // h: (10 + 1 + 0 - 5) / 2 + 1 = 4; w: (12 + 0 + 2 - 5) / 1 + 1 = 10
  assert.equal(b.shapeOf(c), { c: 4, h: 4, w: 10 });
  const f = b.fc('f', c, { out: 3 });
  const net = b.build();
  const fl = net.layers[1];
  assert.ok(fl.kind === 'fc' && fl.inFeatures === 160 && fl.bias);
  assert.is(layerMacs(net.layers[0]), 4 * 10 * (2 * 15) * 1 * 4);
  assert.equal(b.shapeOf(f), { c: 3, h: 1, w: 1 });
  assert.throws(() => b.fc('f', c, { out: 2 }), /duplicate layer name 'f'/);
  assert.throws(() => b.conv('x', 'nope', { outC: 1, kernel: 1 }), /unknown producer 'nope'/);
  assert.throws(() => b.add('a', [c, f]), /differs/);
  assert.throws(() => b.conv('g', INPUT, { outC: 6, kernel: 1, groups: 4 }), /groups/);
  assert.throws(() => b.pool('p', f, { op: 'max', kernel: 2 }), /empty output/);
});

test('hwq zoo: table has one row per network; --json prints the same rows', () => {
  const rows = zooRows();
  assert.equal(rows.map((r) => r.name), ALL);
  const r18 = rows[0];
  assert.equal(r18, {
    name: 'resnet18', description: getNetwork('resnet18').description, computeLayers: 21,
    macs: 1_814_073_344, params: 11_684_712, input: { c: 3, h: 224, w: 224 },
  });
  const table = formatZooTable(rows).trimEnd().split('\n');
  assert.is(table.length, ALL.length + 2);
  assert.match(table[0], /^name\s+description\s+compute layers\s+MACs \(G\)\s+params \(M\)\s+input$/);
  assert.match(table[2], /^resnet18\s.*\s21\s+1\.814\s+11\.68\s+3x224x224$/);
  let printed = '';
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => { printed += s; return true; }) as typeof process.stdout.write;
  try {
    zooCommand.handler({ json: true, _: [], $0: 'hwq' });
  } finally {
    process.stdout.write = write;
  }
  assert.equal(JSON.parse(printed), rows);
});

test.run();
