import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePrecision, planPrecisions, readOverrides } from '../../sim/precision.js';
import { getNetwork } from '../../src/model/zoo.js';
import { computeLayers } from '../../src/model/ir.js';
import { expandPrecisionFlags } from '../../src/cli/argv.js';
import { tempDir } from '../helpers.js';

test('parsePrecision accepts a<A>w<W> in 1..16 and explains everything else', () => {
  assert.equal(parsePrecision('a4w4'), { a: 4, w: 4 });
  assert.equal(parsePrecision('A8W2'), { a: 8, w: 2 });
  assert.equal(parsePrecision('a16w16'), { a: 16, w: 16 });
  assert.throws(() => parsePrecision('a17w4'), /activation width 17 is outside 1\.\.16/);
  assert.throws(() => parsePrecision('a4w0'), /weight width 0 is outside/);
  assert.throws(() => parsePrecision('4/4'), /not of the form a<A>w<W>/);
});

test('plans: uniform, first/last, overrides, and the network\'s own precisions', () => {
  const net = getNetwork('resnet18');
  const layers = computeLayers(net);
  const u = planPrecisions(net, { uniform: { a: 4, w: 4 } });
  assert.is(u.label, 'a4w4');
  assert.ok(u.list.every((p) => p.a === 4 && p.w === 4));
  const fl = planPrecisions(net, { uniform: { a: 4, w: 4 }, firstLast: 8 });
  assert.is(fl.label, 'mixed');
  assert.equal(fl.list[0], { a: 8, w: 8 });
  assert.equal(fl.list[layers.length - 1], { a: 8, w: 8 });
  assert.equal(fl.list[1], { a: 4, w: 4 });
  const ov = planPrecisions(net, { uniform: { a: 8, w: 8 }, overrides: { 'layer1.0.conv1': { a: 2, w: 2 } } });
  assert.equal(ov.of(layers[1], 1), { a: 2, w: 2 });
  assert.throws(() => planPrecisions(net, { overrides: { 'layer9.conv': { a: 2, w: 2 } } }), /names layer 'layer9\.conv', which is not a compute layer of resnet18/);
  assert.is(planPrecisions(net, {}).label, 'a8w8');
  const bf = getNetwork('bf-lenet5');
  const own = planPrecisions(bf, {});
  computeLayers(bf).forEach((l, i) => assert.equal(own.list[i], l.precision));
});

test('override files: strings and objects; bad entries are named', () => {
  const dir = tempDir('hwq-prec-');
  const f = join(dir, 'p.json');
  writeFileSync(f, JSON.stringify({ conv1: 'a8w8', fc: { a: 4, w: 2 } }));
  assert.equal(readOverrides(f), { conv1: { a: 8, w: 8 }, fc: { a: 4, w: 2 } });
  writeFileSync(f, JSON.stringify({ conv1: 'eight' }));
  assert.throws(() => readOverrides(f), /layer 'conv1'/);
  writeFileSync(f, '[1]');
  assert.throws(() => readOverrides(f), /must hold an object/);
});

test('CLI precision shorthands expand to --precision', () => {
  assert.equal(
    expandPrecisionFlags(['sim', 'resnet18', '--a4w4', '--A8W2', '--w4', '--batch', '2']),
    ['sim', 'resnet18', '--precision', 'a4w4', '--precision', 'a8w2', '--precision', 'w4', '--batch', '2'],
  );
});

test.run();
