// End-to-end tests of what users get when they type something wrong (exit 2, one line naming the bad input
// and the valid choices, no stack trace, nothing written) and of the help texts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hwqAll, userError } from './run-hwq.js';
import { zooNames } from '../../src/model/zoo.js';
import { presetNames } from '../../hw/presets.js';

const tmp = mkdtempSync(join(tmpdir(), 'hwq-cli-usage-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('bad input: exit 2, one clear line naming the input and the choices, no stack trace', async () => {
  const badJson = join(tmp, 'bad.json');
  writeFileSync(badJson, '{"rows": 8,');
  const rows0 = join(tmp, 'rows0.json');
  writeFileSync(rows0, JSON.stringify({ base: 'bitfusion-8x8', rows: 0 }));
  const tiny = join(tmp, 'tiny-buffers.json');
  writeFileSync(tiny, JSON.stringify({ base: 'bitfusion-8x8', ibuf: { bytes: 8, doubleBuffered: true } }));
  const missing = join(tmp, 'missing.onnx');
  const garbage = join(tmp, 'garbage.onnx');
  writeFileSync(garbage, Buffer.from('this is not a protobuf \x00\xff\xfe\x07 at all'.repeat(8), 'latin1'));
  const cases: { args: string[]; expect: (m: string) => void }[] = [
    { args: ['sim', 'no-such-net'], expect: (m) => { assert.ok(m.includes("'no-such-net'"), m); for (const n of zooNames()) assert.ok(m.includes(n), `lists ${n}: ${m}`); } },
    { args: ['sim', 'resnet18', '--config', 'tpu-v9'], expect: (m) => { assert.ok(m.includes("'tpu-v9'"), m); for (const n of presetNames()) assert.ok(m.includes(n), `lists ${n}: ${m}`); } },
    { args: ['sim', 'resnet18', '--a17w4'], expect: (m) => { assert.ok(m.includes('a17w4'), m); assert.ok(m.includes('1..16'), m); } },
    { args: ['sim', 'resnet18', '--a16w16'], expect: (m) => { assert.ok(m.includes('a16w16'), m); assert.ok(m.includes('8-bit Fusion Units'), m); } },
    { args: ['sim', 'resnet18', '--precision', 'a4'], expect: (m) => { assert.ok(m.includes("'a4'"), m); assert.ok(m.includes('a<A>w<W>'), m); } },
    { args: ['sim', 'resnet18', '--config', badJson], expect: (m) => { assert.ok(m.includes('bad.json'), m); assert.ok(/not valid JSON/i.test(m), m); } },
    { args: ['sim', 'resnet18', '--config', rows0], expect: (m) => { assert.ok(m.includes('rows0.json'), m); assert.ok(/\brows\b/.test(m), m); } },
    { args: ['sim', 'resnet18', '--config', tiny], expect: (m) => { assert.ok(/buffers too small/i.test(m), m); assert.ok(m.includes("'conv1'"), m); } },
    { args: ['sim', missing], expect: (m) => { assert.ok(m.includes(missing), m); assert.ok(/does not exist/.test(m), m); } },
    { args: ['sim', garbage], expect: (m) => { assert.ok(m.includes('garbage.onnx'), m); assert.ok(/not an ONNX model/i.test(m), m); } },
    { args: ['sim', 'resnet18', '--batch', '0'], expect: (m) => { assert.ok(m.includes("--batch '0'"), m); } },
    { args: ['sim', 'resnet18', '--json', '--csv'], expect: (m) => { assert.ok(m.includes('json') && m.includes('csv'), m); } },
  ];
  const runs = await hwqAll(cases.map((c) => c.args));
  runs.forEach((r, i) => cases[i].expect(userError(r, cases[i].args.join(' '))));
});

// yargs reports a value outside `choices` over two lines ("Invalid values:" then the details); the
// contract is one line, so this fails until main.ts's fail handler joins the message.
test('a value outside an option\'s choices (--model magic): one line naming the value and the choices', async () => {
  const [r] = await hwqAll([['sim', 'resnet18', '--model', 'magic']]);
  const m = userError(r, '--model magic');
  assert.ok(m.includes('magic'), m);
  assert.ok(m.includes('cycle') && m.includes('bitfusion-ref'), m);
});

test('help: hwq --help lists the commands, hwq sim --help shows examples; an unknown command exits 2', async () => {
  const [top, sim, unknown] = await hwqAll([['--help'], ['sim', '--help'], ['frobnicate']]);
  assert.is(top.code, 0, top.stderr);
  for (const c of ['sim', 'sweep', 'zoo']) assert.ok(new RegExp(`^\\s+hwq ${c}\\b`, 'm').test(top.stdout), `--help lists ${c}`);
  assert.is(sim.code, 0, sim.stderr);
  assert.ok(sim.stdout.includes('Examples:'), sim.stdout);
  assert.ok(sim.stdout.includes('hwq sim resnet18 --a4w4'), sim.stdout);
  assert.ok(sim.stdout.includes('--layer-precisions'), 'shared options documented');
  const m = userError(unknown, 'unknown command');
  assert.ok(m.includes('frobnicate'), m);
});

test.run();
