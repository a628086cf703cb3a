// `hwq quantize --recipe` and `--list-recipes`: a recipe writes the same model as the method flags it stands for,
// the JSON output records the recipe that ran (tuning flags applied), the method flags are refused beside a
// recipe, an unknown recipe names the nearest one, and the list prints as a table or JSON.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hwqAll, userError } from './run-hwq.js';
import { tinyQuantizeSetup } from './quantize-fixtures.js';
import { RECIPES, parseRecipe } from '../../src/quant/recipes.js';
import type { Recipe } from '../../src/quant/pipeline/spec.js';

const { dir: T, cnn, common } = tinyQuantizeSetup('hwq-recipes-');

test('--recipe writes the model its method flags write; --json records the recipe, tuned by --lapq-evals and --p', async () => {
  const [byRecipe, byFlags, tuned] = await hwqAll([
    ['quantize', ...common, '--a4w4', '--recipe', 'bitsplit-acts-after', '--positions', '50', '--out', join(T, 'r.onnx'), '--json'],
    ['quantize', ...common, '--a4w4', '--method', 'bitsplit', '--act-fit', 'after', '--positions', '50', '--out', join(T, 'f.onnx'), '--json'],
    ['quantize', ...common, '--a4w4', '--recipe', 'lapq', '--lapq-evals', '12', '--p', '3', '--out', join(T, 'l.onnx'), '--json'],
  ]);
  for (const r of [byRecipe, byFlags, tuned]) assert.is(r.code, 0, r.stderr);
  assert.ok(readFileSync(join(T, 'r.onnx')).equals(readFileSync(join(T, 'f.onnx'))), 'the recipe and its flags wrote different models');
  const recipeOf = (stdout: string) => parseRecipe((JSON.parse(stdout) as { recipe: Recipe }).recipe);
  assert.equal(recipeOf(byRecipe.stdout), RECIPES.find((r) => r.name === 'bitsplit-acts-after'));
  assert.is(recipeOf(byFlags.stdout).name, 'bitsplit-acts-after', 'the flags resolve to the named recipe');
  const lapq = recipeOf(tuned.stdout);
  assert.is(lapq.name, 'lapq');
  assert.equal(lapq.passes.map((p) => (p.pass === 'lapq' ? p.maxEvals : 'p' in p ? p.p : p.pass)), ['calibrate', 3, 3, 12]);
});

test('--recipe with a method flag, an unknown recipe, a recipe that needs activation bits: exit 2, one line, no file', async () => {
  const out = join(T, 'bad');
  const cases: Array<{ what: string; args: string[]; says: RegExp }> = [
    { what: '--recipe with --ecaq', args: ['--a4w4', '--recipe', 'bitsplit', '--ecaq'], says: /^hwq: --recipe bitsplit sets the methods and passes itself: drop --ecaq/ },
    { what: '--recipe with --method', args: ['--a4w4', '--recipe', 'mse', '--method', 'mse'], says: /drop --method/ },
    { what: '--recipe with --act-fit', args: ['--a4w4', '--recipe', 'bitsplit', '--act-fit', 'after'], says: /drop --act-fit/ },
    { what: 'misspelled recipe', args: ['--a4w4', '--recipe', 'bitsplit-mvn2'], says: /^hwq: unknown recipe 'bitsplit-mvn2' \(did you mean 'bitsplit-mnv2'\?\)/ },
    { what: 'ECAQ recipe weight-only', args: ['--w4', '--recipe', 'bitsplit+ecaq'], says: /--ecaq quantizes activations per input channel: it needs activation bits/ },
    { what: 'damp on a rounding recipe', args: ['--w4', '--recipe', 'mse', '--damp', '0.1'], says: /--damp .* not weight method mse/ },
  ];
  const runs = await hwqAll(cases.map((c) => ['quantize', ...common, ...c.args, '--out', join(out, 'q.onnx')]));
  cases.forEach((c, i) => assert.match(userError(runs[i], c.what), c.says, c.what));
  assert.not.ok(existsSync(out), 'no file written');
});

test('--list-recipes: a table of every recipe with its passes; --json: the recipes as data', async () => {
  const [table, json] = await hwqAll([['quantize', '--list-recipes'], ['quantize', '--list-recipes', '--json']]);
  assert.is(table.code, 0, table.stderr);
  const lines = table.stdout.trim().split('\n');
  assert.match(lines[0], /^recipe\s+passes\s+what it is/);
  assert.is(lines.length, 2 + RECIPES.length);
  assert.ok(lines.some((l) => /^bitsplit-mnv2\s+weights bitsplit damp 0\.01 -> ecaq depthwise -> acts omse \(quantized network\)/.test(l)), table.stdout);
  assert.is(json.code, 0, json.stderr);
  assert.equal((JSON.parse(json.stdout) as unknown[]).map(parseRecipe), RECIPES);
});

test.after(() => rmSync(T, { recursive: true, force: true }));

test.run();
