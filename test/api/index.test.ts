// The programmatic API (src/index.ts) as a user's code sees it: the same results as the commands, and typed
// exceptions instead of an exit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as hwqApi from '../../src/index.js';
import { ConfigError, UserError, getNetwork, loadConfig, loadNetwork, presetNames, quantizeFile, runSimulation, runSweep, computeLayers, zooNames } from '../../src/index.js';
import { hwq } from '../cli/run-hwq.js';
import { tempDir } from '../helpers.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { saveModel } from '../../src/onnx/proto.js';
import { floatTensor } from '../../src/onnx/tensor.js';

test('the module names every function the commands call', () => {
  for (const name of [
    'simulateNetwork', 'simulateRef', 'runSimulation', 'runSweep', 'quantizeModel', 'quantizeFile', 'toQdqModel', 'writeHwq', 'runEval', 'runCompare',
    'loadConfig', 'getPreset', 'presetNames', 'getNetwork', 'zooNames', 'loadNetwork', 'UserError', 'ConfigError',
  ]) {
    assert.type((hwqApi as Record<string, unknown>)[name], 'function', name);
  }
});

test('a simulation through the API equals hwq sim --json', async () => {
  const r = runSimulation(getNetwork('resnet18'), loadConfig('vc709'), 'cycle', 1, { uniform: { a: 4, w: 4 } });
  const cli = await hwq('sim', 'resnet18', '--a4w4', '--config', 'vc709', '--json');
  assert.is(cli.code, 0, cli.stderr);
  assert.equal(JSON.parse(JSON.stringify(r)), JSON.parse(cli.stdout));
});

test('a sweep: one point per network x config x precision, speedups over the first precision', () => {
  const spec = { networks: [getNetwork('resnet18')], configs: ['vc709', 'bitfusion-asic'].map(loadConfig), arrays: [], precisions: [{ a: 8, w: 8 }, { a: 4, w: 4 }], batch: 1, base: {} };
  const points = runSweep(spec, (net, cfg, popts) => runSimulation(net, cfg, 'cycle', 1, popts));
  assert.equal(points.map((p) => `${p.config} ${p.precision}`), ['vc709 a8w8', 'vc709 a4w4', 'bitfusion-asic a8w8', 'bitfusion-asic a4w4']);
  for (const p of points) assert.ok(p.precision === 'a8w8' ? p.speedup === 1 : p.speedup > 1.5, `${p.config} ${p.precision}: ${p.speedup}`);
});

test('bad input throws the typed errors, with the messages the CLI prints', async () => {
  assert.throws(() => loadConfig('nope'), (e: unknown) => e instanceof ConfigError && /unknown config 'nope'.*vc709/.test(e.message));
  assert.throws(() => getNetwork('resnet19'), (e: unknown) => e instanceof UserError && e.message.includes(zooNames()[0]));
  assert.throws(() => loadNetwork('missing.onnx'), (e: unknown) => e instanceof UserError && /missing\.onnx/.test(e.message));
  assert.throws(() => runSimulation(getNetwork('resnet18'), loadConfig(presetNames()[0]), 'cycle', 0, {}), (e: unknown) => e instanceof UserError && /--batch 0/.test(e.message));
  for (const [opts, message] of [
    [{ precision: 'a99w4' }, /99/],
    [{ precision: 'w4', 'calib-size': 0 }, /--calib-size/],
    [{ precision: 'w4', p: -1 }, /--p/],
    [{ precision: 'w4', 'first-last': 40 }, /--first-last '40'/],
  ] as const) {
    const err = await quantizeFile({ model: 'missing.onnx', out: join(tempDir('hwq-api-bad-'), 'q.onnx'), ...opts }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof UserError && message.test(err.message), `${JSON.stringify(opts)}: ${String(err)}`);
  }
});

test('quantizeFile writes the QDQ model and the .hwq the simulator reads, with the command\'s defaults', async () => {
  const dir = tempDir('hwq-api-quant-');
  const model = join(dir, 'conv.onnx');
  saveModel(model, buildModel({
    inputs: [{ name: 'x', dims: [1, 3, 8, 8] }],
    outputs: [{ name: 'y', dims: [1, 4, 8, 8] }],
    nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } }],
    initializers: { w: floatTensor([4, 3, 3, 3], Array.from({ length: 108 }, (_, i) => ((i * 37) % 11) / 11 - 0.5)), b: floatTensor([4], [0, 0.1, -0.1, 0.2]) },
  }));
  const out = join(dir, 'q.onnx');
  const hwqFile = join(dir, 'q.hwq');
  const r = await quantizeFile({ model, out, hwq: hwqFile, precision: 'w4', 'first-last': null, progress: false });
  assert.ok(existsSync(out) && existsSync(hwqFile));
  assert.is(r.weightMethod, 'tflite');
  assert.is(r.calibrationImages, 0);
  assert.equal(r.layers.map((l) => [l.wBits, l.aBits]), [[4, null]]);
  assert.equal(computeLayers(loadNetwork(hwqFile)).map((l) => l.precision?.w), [4]);
  // the default --first-last 8 applies when the option is left out
  const kept = await quantizeFile({ model, out: join(dir, 'q8.onnx'), precision: 'w4', progress: false });
  assert.equal(kept.layers.map((l) => l.wBits), [8]);
});

test.run();
