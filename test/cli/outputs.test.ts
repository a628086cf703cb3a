// The one output rule (src/cli/outputs.ts) and the all-or-none writers (src/fsutil.ts): bad places are
// refused up front with exit 2 naming the path, missing folders are created with the usual permissions,
// and a command writing several files leaves all of them or none.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutputs } from '../../src/cli/outputs.js';
import { pathErrorLine, internalErrorText } from '../../src/cli/failures.js';
import { writeFilesAtomic, writeTreeAtomic } from '../../src/fsutil.js';
import { sharedPath, throwsUser } from '../helpers.js';
import { hwq, hwqAll, userError } from './run-hwq.js';

const T = mkdtempSync(join(tmpdir(), 'hwq-cli-outputs-'));
test.after(() => {
  chmodSync(T, 0o755);
  rmSync(T, { recursive: true, force: true });
});
const file = join(T, 'file.txt');
writeFileSync(file, 'not a folder\n');
// Permissions as a new folder gets them: 0777 less the umask (0755 under the usual 022).
const usualDirMode = 0o777 & ~process.umask();


test('checkOutputs: folder vs file, inputs, two outputs on one path, paths under a file', () => {
  throwsUser(() => checkOutputs([{ flag: 'out', path: T, kind: 'file' }]), /--out '.*' is a folder/);
  throwsUser(() => checkOutputs([{ flag: 'out', path: file, kind: 'dir' }]), /--out '.*file\.txt' exists and is a file, not a folder/);
  throwsUser(() => checkOutputs([{ flag: 'out', path: join(file, 'q.onnx'), kind: 'file' }]), /cannot write --out '.*file\.txt\/q\.onnx': '.*file\.txt' is a file, not a folder/);
  throwsUser(() => checkOutputs([{ flag: 'out', path: file, kind: 'file' }], [{ what: 'the input model', path: file }]), /--out '.*file\.txt' is the input model/);
  const link = join(T, 'link.txt');
  symlinkSync(file, link);
  throwsUser(() => checkOutputs([{ flag: 'out', path: link, kind: 'file' }], [{ what: 'the input model', path: file }]), /link\.txt' is the input model/);
  throwsUser(() => checkOutputs([
    { flag: 'out', path: join(T, 'a', 'q.x'), kind: 'file' },
    { flag: 'hwq', path: join(T, 'a', '..', 'a', 'q.x'), kind: 'file' },
  ]), /--hwq .* and --out .* name the same path/);
  // missing folders are fine (the writers create them) and nothing is created by the check
  assert.equal(checkOutputs([{ flag: 'out', path: join(T, 'new', 'deeper', 'q.onnx'), kind: 'file' }]), [join(T, 'new', 'deeper', 'q.onnx')]);
  assert.not.ok(existsSync(join(T, 'new')));
  assert.equal(readdirSync(T).sort(), ['file.txt', 'link.txt']);
  rmSync(link);
});

test('checkOutputs: a folder that refuses new files is refused, found by trying (root ignores permission bits)', () => {
  const ro = join(T, 'ro');
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  let rootWrites = false;
  try {
    writeFileSync(join(ro, 'x'), '');
    rootWrites = true;
    rmSync(join(ro, 'x'));
  } catch {
    // an ordinary user: the folder really is read-only
  }
  if (!rootWrites) throwsUser(() => checkOutputs([{ flag: 'out', path: join(ro, 'q.onnx'), kind: 'file' }]), /cannot create files in '.*ro' \(permission denied\)/);
  else assert.equal(checkOutputs([{ flag: 'out', path: join(ro, 'q.onnx'), kind: 'file' }]), [join(ro, 'q.onnx')]);
  assert.equal(readdirSync(ro), [], 'the probe file is removed');
  chmodSync(ro, 0o755);
  rmSync(ro, { recursive: true });
});

test('writeFilesAtomic: all or none; missing folders created with the usual permissions', () => {
  const dir = join(T, 'set');
  writeFilesAtomic({ [join(dir, 'sub', 'a.txt')]: 'a', [join(dir, 'b.txt')]: 'b' });
  assert.is(readFileSync(join(dir, 'sub', 'a.txt'), 'utf8'), 'a');
  assert.is(statSync(join(dir, 'sub')).mode & 0o777, usualDirMode);
  assert.is(statSync(dir).mode & 0o777, usualDirMode);
  // the second file cannot be written (its folder is a file): the first must not appear either
  const first = join(T, 'fresh', 'first.txt');
  assert.throws(() => writeFilesAtomic({ [first]: 'x', [join(file, 'second.txt')]: 'y' }), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR' || e.code === 'EEXIST');
  assert.not.ok(existsSync(first));
  assert.not.ok(existsSync(join(T, 'fresh')), 'the folder this call created is removed');
  // an existing file is replaced only together with the rest
  writeFileSync(join(dir, 'b.txt'), 'old');
  assert.throws(() => writeFilesAtomic({ [join(dir, 'b.txt')]: 'new', [join(file, 'c.txt')]: 'c' }));
  assert.is(readFileSync(join(dir, 'b.txt'), 'utf8'), 'old');
  assert.equal(readdirSync(dir).sort(), ['b.txt', 'sub'], 'no temporary files left');
  rmSync(dir, { recursive: true });
});

test('writeTreeAtomic: refuses a non-empty folder without replace, swaps it whole with replace, 0755 folders', () => {
  const out = join(T, 'parent', 'tree');
  writeTreeAtomic(out, new Map([['a.v', 'a'], ['weights/w.mem', 'w']]), false);
  assert.is(statSync(out).mode & 0o777, usualDirMode, 'not the 0700 of a mkdtemp folder');
  assert.is(statSync(join(T, 'parent')).mode & 0o777, usualDirMode);
  throwsUser(() => writeTreeAtomic(out, new Map([['b.v', 'b']]), false), /exists and is not empty: pass --force/);
  writeTreeAtomic(out, new Map([['b.v', 'b']]), true);
  assert.equal(readdirSync(out), ['b.v']);
  assert.equal(readdirSync(join(T, 'parent')), ['tree'], 'no temporary folders left');
  rmSync(join(T, 'parent'), { recursive: true });
});

test('failures: fs errors on a path become one line naming it; anything else is an internal error to report', () => {
  let err: unknown;
  try {
    readFileSync(join(file, 'x'));
  } catch (e) {
    err = e;
  }
  const line = pathErrorLine(err);
  assert.ok(line?.includes(join(file, 'x')), line);
  assert.match(line!, /ENOTDIR/);
  assert.is(pathErrorLine(new Error('plain')), undefined);
  const text = internalErrorText(new TypeError('x is undefined'));
  assert.match(text, /^hwq: internal error: x is undefined\n/);
  assert.match(text, /\n\s+at /, 'with the stack');
  assert.match(text, /bug in hwq: please report it/);
});

test('sweep and rtl: --out onto a file or under a file is refused up front (exit 2, the path named)', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['sweep', 'bf-lenet5', '--out', file], /file\.txt' exists and is a file, not a folder/],
    [['sweep', 'bf-lenet5', '--out', join(file, 'sweep')], /file\.txt\/sweep'.*is a file, not a folder/],
    [['rtl', '--out', file], /file\.txt' exists and is a file, not a folder/],
    [['rtl', '--out', join(file, 'rtl')], /file\.txt\/rtl'.*is a file, not a folder/],
    // checked before the (slow) verification starts
    [['rtl', '--verify', '--out', file], /file\.txt' exists and is a file, not a folder/],
  ];
  const runs = await hwqAll(cases.map(([a]) => a));
  runs.forEach((r, i) => assert.match(userError(r, cases[i][0].join(' ')), cases[i][1]));
  assert.is(readFileSync(file, 'utf8'), 'not a folder\n');
});

test('sweep and rtl --out create missing parent folders (0755), and nothing else', async () => {
  const sw = join(T, 'made', 'for', 'sweep');
  const rt = join(T, 'made', 'for', 'rtl');
  const [s, r] = await Promise.all([hwq('sweep', 'bf-lenet5', '--precisions', 'a8w8', '--out', sw), hwq('rtl', '--out', rt, '--json')]);
  assert.is(s.code, 0, s.stderr);
  assert.is(r.code, 0, r.stderr);
  assert.equal(readdirSync(sw).sort(), ['sweep.csv', 'sweep.md', 'sweep.svg']);
  assert.ok(readdirSync(rt).includes('bitfusion_core.v'));
  for (const d of [join(T, 'made'), join(T, 'made', 'for'), sw, rt]) assert.is(statSync(d).mode & 0o777, usualDirMode, d);
  assert.equal(readdirSync(join(T, 'made', 'for')).sort(), ['rtl', 'sweep']);
  rmSync(join(T, 'made'), { recursive: true });
});

const MODEL = sharedPath('models', 'cifar10-resnet20.onnx');

test('quantize: --out equal to the input, or --hwq where it cannot be written: exit 2 and no file written', async () => {
  if (!MODEL) {
    console.log('  skip: no shared ResNet-20 model');
    return;
  }
  const dir = join(T, 'q');
  mkdirSync(dir);
  const model = join(dir, 'm.onnx');
  writeFileSync(model, readFileSync(MODEL));
  const before = readFileSync(model);
  const [same, badHwq] = await hwqAll([
    ['quantize', model, '--w4', '--sqnr-images', '0', '--out', model],
    ['quantize', model, '--w4', '--sqnr-images', '0', '--out', join(dir, 'q.onnx'), '--hwq', join(file, 'q.hwq')],
  ]);
  assert.match(userError(same, '--out = input'), /--out '.*m\.onnx' is the input model/);
  assert.ok(readFileSync(model).equals(before), 'the input model is untouched');
  assert.match(userError(badHwq, '--hwq under a file'), /--hwq '.*file\.txt\/q\.hwq'/);
  assert.equal(readdirSync(dir), ['m.onnx'], 'q.onnx is not written without its .hwq');
});

test.run();
