// End-to-end tests of the strict command line: unknown, misplaced and repeated options, numeric values
// echoed as typed (never NaN), and shared flags (--first-last, precisions, --progress, --workers) that mean
// the same thing in every command.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hwq, hwqAll, userError } from './run-hwq.js';
import { progress } from '../../src/cli/progress.js';
import { wantProgress } from '../../src/cli/flags.js';

test('unknown or misplaced arguments are refused by every command', async () => {
  const cases = [
    { args: ['sim', 'resnet18', 'extra'], says: /extra/ },
    { args: ['sim', 'resnet18', '--no-foo'], says: /foo/ },
    { args: ['zoo', '--foo'], says: /foo/ },
    { args: ['sweep', 'resnet18', '--no-such'], says: /such/ },
    { args: ['rtl', 'extra', '--out', 'never-written'], says: /extra/ },
    { args: ['quantize', 'm.onnx', 'extra', '--w4', '--out', 'q.onnx'], says: /extra/ },
    { args: ['eval', 'm.onnx', '--data', 'd', '--frobnicate', '1'], says: /frobnicate/ },
    { args: ['compare', 'a.onnx', 'b.onnx', 'c.onnx', '--data', 'd'], says: /c\.onnx/ },
    // sim knows --batch, but options belong after the command name
    { args: ['--batch', '3', 'sim', 'resnet18'], says: /--batch.*before the command/ },
    { args: ['sim', 'resnet18', '--config', 'vc709', '--config', 'bitfusion-asic'], says: /--config.*more than once/ },
    { args: ['sim', 'resnet18', '--batch'], says: /batch/ },
    { args: ['sim', 'resnet18', '--json=abc'], says: /--json is a switch/ },
  ];
  const runs = await hwqAll(cases.map((c) => c.args));
  runs.forEach((r, i) => assert.match(userError(r, cases[i].args.join(' ')), cases[i].says));
});

test('sweep --config X sweeps X (as --configs X does); both together are refused', async () => {
  const [one, list, both, help] = await hwqAll([
    ['sweep', 'bf-lenet5', '--precisions', 'a8w8', '--config', 'vc709', '--json', '--no-progress'],
    ['sweep', 'bf-lenet5', '--precisions', 'a8w8', '--configs', 'vc709', '--json', '--no-progress'],
    ['sweep', 'bf-lenet5', '--config', 'vc709', '--configs', 'bitfusion-asic'],
    ['sweep', '--help'],
  ]);
  assert.is(one.code, 0, one.stderr);
  assert.equal(JSON.parse(one.stdout).map((p: { config: string }) => p.config), ['vc709']);
  assert.is(one.stdout, list.stdout);
  assert.match(userError(both, '--config with --configs'), /--config vc709 or --configs bitfusion-asic, not both/);
  assert.match(help.stdout, /--config\b/);
});

test('numeric options quote the text typed, never NaN, in every command', async () => {
  const q = ['quantize', 'missing.onnx', '--w4', '--out', 'never.onnx'];
  const e = ['eval', 'missing.onnx', '--data', 'none'];
  const c = ['compare', 'a.onnx', 'b.onnx', '--data', 'none'];
  const cases: Array<[string[], string]> = [
    [['sim', 'resnet18', '--batch', 'abc'], "--batch 'abc' must be an integer >= 1"],
    [['sweep', 'resnet18', '--batch', '2x'], "--batch '2x' must be an integer >= 1"],
    [[...q, '--workers', 'abc'], "--workers 'abc' must be an integer >= 0"],
    [[...q, '--workers', '-1'], "--workers '-1' must be an integer >= 0"],
    [[...q, '--calib-size', 'lots'], "--calib-size 'lots' must be an integer >= 1"],
    [[...q, '--seed', '1.5'], "--seed '1.5' must be an integer >= 0"],
    [[...q, '--sqnr-images', 'x'], "--sqnr-images 'x' must be an integer >= 0"],
    [[...q, '--positions', '0'], "--positions '0' must be an integer >= 1"],
    [[...q, '--damp', 'tiny'], "--damp 'tiny' must be a number >= 0"],
    [[...q, '--p', 'abc'], "--p 'abc' must be a number in (0, 10]"],
    [[...q, '--lapq-evals', '5'], "--lapq-evals '5' must be an integer >= 10"],
    [[...q, '--batch', ''], "--batch '' must be an integer >= 1"],
    [[...e, '--limit', 'ten'], "--limit 'ten' must be an integer >= 1"],
    [[...e, '--crop', 'abc'], "--crop 'abc' must be an integer >= 1"],
    [[...e, '--resize', '-3'], "--resize '-3' must be an integer >= 1"],
    [[...c, '--sqnr-images', 'abc'], "--sqnr-images 'abc' must be an integer >= 0"],
    [[...c, '--mean', '0.5', 'abc', '0.4'], "--mean 'abc' must be a number"],
    [[...c, '--workers', '2', '--workers', '3'], '--workers is given more than once'],
  ];
  const runs = await hwqAll(cases.map(([a]) => a));
  runs.forEach((r, i) => {
    const line = userError(r, cases[i][0].join(' '));
    assert.ok(line.includes(cases[i][1]), `${cases[i][0].join(' ')}: ${line}`);
    assert.not.ok(line.includes('NaN'), line);
  });
});

test('--first-last and precisions: one parser, one range (1..16) in sim, sweep and quantize', async () => {
  const q = ['quantize', 'missing.onnx', '--out', 'never.onnx'];
  const [simFl, sweepFl, quantFl, simWord, quantWord, simPrec, quantPrec, simW, quantW] = await hwqAll([
    ['sim', 'resnet18', '--first-last', '17'],
    ['sweep', 'resnet18', '--first-last', '17'],
    [...q, '--w4', '--first-last', '17'],
    ['sim', 'resnet18', '--first-last', 'abc'],
    [...q, '--w4', '--first-last', 'abc'],
    ['sim', 'resnet18', '--a17w4'],
    [...q, '--a17w4'],
    ['sim', 'resnet18', '--w4'],
    [...q, '--w17'],
  ]);
  const fl = userError(simFl, 'sim --first-last 17');
  assert.is(fl, "hwq: --first-last '17' must be a bit width 1..16 or 'none'");
  assert.is(userError(sweepFl, 'sweep --first-last 17'), fl);
  assert.is(userError(quantFl, 'quantize --first-last 17'), fl);
  assert.is(userError(simWord, 'sim --first-last abc'), userError(quantWord, 'quantize --first-last abc'));
  assert.is(userError(simPrec, 'sim --a17w4'), userError(quantPrec, 'quantize --a17w4'));
  assert.match(userError(simPrec, 'sim --a17w4'), /activation width 17 is outside 1\.\.16/);
  // weight-only precisions exist only for the quantizer; their widths have the same range
  assert.match(userError(simW, 'sim --w4'), /'w4' is not of the form a<A>w<W>/);
  assert.match(userError(quantW, 'quantize --w17'), /weight width 17 is outside 1\.\.16/);
  // sim's default is the network as given; 'none' is accepted by both
  const [none, dflt] = await hwqAll([['sim', 'resnet18', '--a4w4', '--first-last', 'none', '--json'], ['sim', 'resnet18', '--a4w4', '--json']]);
  assert.is(none.code, 0, none.stderr);
  assert.is(JSON.parse(none.stdout).precision, 'a4w4');
  assert.is(none.stdout, dflt.stdout);
});

test('--progress is one flag, in the help of every long command', async () => {
  const helps = await hwqAll(['sim', 'sweep', 'quantize', 'eval', 'compare', 'rtl'].map((c) => [c, '--help']));
  const lines = helps.map((h) => {
    assert.is(h.code, 0, h.stderr);
    const line = h.stdout.split('\n').find((l) => /^\s+--progress\b/.test(l));
    assert.ok(line, `--progress in:\n${h.stdout}`);
    return line!.replace(/\s+/g, ' ').trim();
  });
  for (const l of lines) assert.match(l, /a bar on a terminal, otherwise a line every 10%/);
});

test('--progress on a pipe writes plain progress lines; by default a quick run there is silent', async () => {
  const [on, off] = await Promise.all([
    hwq('sweep', 'bf-lenet5', 'bf-cifar10', '--precisions', 'a8w8,a4w4', '--configs', 'vc709,bitfusion-asic', '--json', '--progress'),
    hwq('sweep', 'bf-lenet5', 'bf-cifar10', '--precisions', 'a8w8,a4w4', '--configs', 'vc709,bitfusion-asic', '--json'),
  ]);
  assert.is(on.code, 0, on.stderr);
  assert.match(on.stderr, /^sweep 8 points: 8\/8 \(/m);
  assert.not.match(on.stderr, /\x1b\[/, 'no terminal control codes on a pipe');
  assert.is(off.code, 0, off.stderr);
  assert.is(off.stderr, '');
  assert.is(on.stdout, off.stdout);
});

test('by default, off a terminal, progress lines start once the work has run a second', async () => {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => (lines.push(s), true)) as typeof process.stderr.write;
  try {
    const bar = progress('work', wantProgress(undefined));
    bar.update(1, 10);
    bar.update(3, 10);
    const early = lines.length;
    await new Promise((r) => setTimeout(r, 1100));
    bar.update(6, 10);
    bar.stop();
    assert.is(early, 0, 'quiet during the first second');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^work: 6\/10 \(\d+\.\d s, ETA \d+ s\)\n$/);
  } finally {
    process.stderr.write = write;
  }
  assert.is(wantProgress(false), false);
  assert.is(wantProgress(true), true);
});

test('sim reports progress per layer when asked', async () => {
  const r = await hwq('sim', 'bf-lenet5', '--batch', '64', '--json', '--progress');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^sim 4 layers: 4\/4 \(/m);
});

test.run();
