// Ctrl-C and SIGTERM: a running command cleans up (no temporary files or half-built folders), gives the
// terminal back, and exits 130 (SIGINT) or 143 (SIGTERM) with one line saying it was interrupted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers.js';
import { hasTool } from '../../rtl/sim.js';
import { onCleanup, registerTemp, runCleanups } from '../../src/cleanup.js';

const T = mkdtempSync(join(tmpdir(), 'hwq-cli-interrupt-'));
test.after(() => rmSync(T, { recursive: true, force: true }));

interface Stopped { code: number | null; signal: NodeJS.Signals | null; stderr: string }

/**
 * Starts `hwq ...args`, waits until it has started working (`ready` holds for its stderr so far, or `poll`
 * for the file system), sends `signal` to it (or to its whole process group, as a terminal's Ctrl-C does),
 * and resolves when it has exited.
 */
function interrupt(
  args: string[],
  ready: { stderr?: (s: string) => boolean; poll?: () => boolean },
  signal: NodeJS.Signals,
  opts: { group?: boolean; env?: Record<string, string> } = {},
): Promise<Stopped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'hwq.js'), ...args], {
      cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'], detached: opts.group === true,
    });
    let stderr = '';
    let sent = false;
    const send = () => {
      if (sent) return;
      sent = true;
      if (opts.group) process.kill(-child.pid!, signal);
      else child.kill(signal);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`never got ready; stderr:\n${stderr}`));
    }, 120_000);
    const poll = ready.poll ? setInterval(() => ready.poll!() && send(), 20) : undefined;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (ready.stderr?.(stderr)) send();
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ code, signal: sig, stderr });
    });
  });
}

const BIG_SWEEP = ['sweep', 'resnet50', 'vgg16', '--configs', 'vc709,bitfusion-asic,bitfusion-8x8', '--arrays', '8x8,16x16,32x32,64x64', '--progress'];

test('SIGINT during a sweep: exit 130, one line, no output folder', async () => {
  const out = join(T, 'sweep-int');
  const r = await interrupt([...BIG_SWEEP, '--out', out], { stderr: (s) => /sweep \d+ points: /.test(s) }, 'SIGINT');
  assert.is(r.code, 130, `exit code (signal ${r.signal}); stderr:\n${r.stderr}`);
  assert.match(r.stderr, /hwq: interrupted \(SIGINT\)/);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  assert.not.ok(existsSync(out));
  assert.equal(readdirSync(T).filter((n) => n.startsWith('.')), [], 'no temporary files');
});

test('SIGTERM during a sweep: exit 143', async () => {
  const r = await interrupt([...BIG_SWEEP, '--json'], { stderr: (s) => /sweep \d+ points: /.test(s) }, 'SIGTERM');
  assert.is(r.code, 143, `exit code (signal ${r.signal}); stderr:\n${r.stderr}`);
  assert.match(r.stderr, /hwq: interrupted \(SIGTERM\)/);
});

test('the cleanup registry removes what is still registered, newest first, once', () => {
  const f = join(T, 'temp.txt');
  writeFileSync(f, 'x');
  const order: string[] = [];
  const done = onCleanup(() => order.push('done'));
  registerTemp(f);
  onCleanup(() => order.push('last'));
  done();
  runCleanups();
  runCleanups();
  assert.equal(order, ['last']);
  assert.not.ok(existsSync(f));
});

const verilator = hasTool('verilator');
(verilator ? test : test.skip)('Ctrl-C during rtl --verify (to the process group, as a terminal sends it): exit 130, no build folder, no --out', async () => {
  const cache = join(T, 'rtl-cache');
  const out = join(T, 'rtl-out');
  // Ready once a Verilator build folder exists: the moment an interrupt used to leave it behind.
  const building = () => existsSync(cache) && readdirSync(cache).some((n) => n.startsWith('build-'));
  const r = await interrupt(['rtl', '--verify', '--out', out, '--no-progress'], { poll: building }, 'SIGINT', { group: true, env: { HWQ_RTL_CACHE: cache } });
  assert.is(r.code, 130, `exit code (signal ${r.signal}); stderr:\n${r.stderr}`);
  assert.equal(readdirSync(cache).filter((n) => n.startsWith('build-')), [], 'no half-built Verilator folder');
  // nothing half-written: either no --out at all or (a signal that landed after the last rename) the whole tree
  if (existsSync(out)) assert.ok(existsSync(join(out, 'bitfusion_core.v')) && !readdirSync(T).some((n) => n.startsWith('.rtl-out.hwq-')), 'a complete --out or none');
});

test.run();
