// The package as a user gets it: `npm pack` ships the compiled code, its declaration files, the launcher and the
// README (not the compiled tests or scripts), and the tarball installed into an empty folder runs `npx hwq` and
// imports as a library. The install takes its dependencies from npm's cache when it can, else from the registry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../helpers.js';
import { runCaptured } from '../cli/run-hwq.js';

interface Out { code: number; stdout: string; stderr: string }

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Out> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

const dir = tempDir('hwq-pack-');
test.after(() => rmSync(dir, { recursive: true, force: true }));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

// --ignore-scripts: the test runs from the build, and `prepare` rebuilding dist/ under the other test files
// running beside it would pull their modules from under them.
const packed = await sh(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], REPO_ROOT);

test('npm pack ships the compiled library, its types, the CLI and the README, not the tests or scripts', () => {
  assert.is(packed.code, 0, packed.stderr);
  const files = new Set((JSON.parse(packed.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path));
  for (const f of [
    'bin/hwq.js', 'dist/src/cli/main.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/sim/simulate.js', 'dist/hw/presets.d.ts', 'dist/rtl/generate.js',
    'dist/src/data/decode-worker.js', 'README.md', 'package.json',
  ]) {
    assert.ok(files.has(f), `${f} is missing from the tarball`);
  }
  for (const f of files) assert.not.match(f, /^dist\/(test|scripts|bench)\/|\.map$/, `${f} should not ship`);
});

test('installed into an empty folder: npx hwq runs and the package imports with its API', async () => {
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  assert.ok(tgz, `npm pack left no tarball in ${dir}`);
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'hwq-pack-test', private: true, type: 'module' }));
  // onnxruntime-node's install script would download CUDA libraries; an npm without allowScripts runs it
  const env = { ONNXRUNTIME_NODE_INSTALL: 'skip' };
  const common = ['install', '--no-audit', '--no-fund', join(dir, tgz!)];
  let install = await sh(npm, [...common, '--offline'], app, env);
  if (install.code !== 0) install = await sh(npm, [...common, '--prefer-offline'], app, env);
  assert.is(install.code, 0, `npm install of the tarball failed:\n${install.stderr}`);

  const sim = await sh(npx, ['--no-install', 'hwq', 'sim', 'resnet18', '--a4w4', '--json'], app);
  assert.is(sim.code, 0, sim.stderr);
  const inRepo = await runCaptured(['sim', 'resnet18', '--a4w4', '--json']);
  assert.equal(JSON.parse(sim.stdout), JSON.parse(inRepo.stdout));

  const bad = await sh(npx, ['--no-install', 'hwq', 'sim', 'resnet19'], app);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /^hwq: unknown model 'resnet19'/);

  const api = await sh(process.execPath, ['--input-type=module', '-e', [
    "import { getNetwork, loadConfig, runSimulation, UserError } from 'hwq';",
    "const r = runSimulation(getNetwork('resnet18'), loadConfig('vc709'), 'cycle', 1, { uniform: { a: 4, w: 4 } });",
    "let typed = false; try { loadConfig('nope'); } catch (e) { typed = e instanceof Error && e.name === 'ConfigError'; }",
    "console.log(JSON.stringify({ macs: r.macs, typed, user: typeof UserError }));",
  ].join('\n')], app);
  assert.is(api.code, 0, api.stderr);
  assert.equal(JSON.parse(api.stdout), { macs: 1814073344, typed: true, user: 'function' });
});

test.run();
