#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in its own node process, two at a time (the machine
// has 2 cores), prints each file's uvu output, and ends with the one summary line CI reads:
// `N passed, N failed` (`, N skipped` when data- or tool-backed tests had nothing to run on).
//
// Usage: node scripts/run-tests.js [--tier all|unit|rtl] [--exclude substring]... [--root DIR] [filter-substring...]
//   --tier all   every test file (the default; `npm test`)
//   --tier unit  everything but test/rtl and test/pack (which installs the packed tarball with npm), with
//                HWQ_NO_SHARED=1 so data-backed tests skip (`npm run test:unit`)
//   --tier rtl   test/rtl only: the Verilator and Icarus co-simulation, lint and synthesis tests (`npm run test:rtl`)
//   --root DIR   where the compiled test files are (default dist/test; the runner's own tests point it elsewhere)
// A file that registers no test at all (not even a skipped one) counts as a failure: it would otherwise pass
// while checking nothing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { cpus, tmpdir } from 'node:os';

const isRtl = (name) => name.startsWith(`rtl${sep}`);
const isPack = (name) => name.startsWith(`pack${sep}`);
const TIERS = {
  all: { pick: () => true, env: {} },
  unit: { pick: (name) => !isRtl(name) && !isPack(name), env: { HWQ_NO_SHARED: '1' } },
  rtl: { pick: isRtl, env: {} },
};

function parseArgs(argv) {
  const opts = { tier: 'all', exclude: [], filters: [], root: join(import.meta.dirname, '..', 'dist', 'test') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--tier' || flag === '--exclude' || flag === '--root') {
      const value = inline ?? argv[++i];
      if (value === undefined) fail(`${flag} needs a value`);
      if (flag === '--tier') opts.tier = value;
      else if (flag === '--root') opts.root = value;
      else opts.exclude.push(value);
    } else if (a.startsWith('--')) fail(`unknown option '${a}': valid options are --tier, --exclude, --root`);
    else opts.filters.push(a);
  }
  if (!TIERS[opts.tier]) fail(`unknown tier '${opts.tier}': valid choices are ${Object.keys(TIERS).join(', ')}`);
  return opts;
}

function fail(message) {
  console.error(`run-tests: ${message}`);
  process.exit(2);
}

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const opts = parseArgs(process.argv.slice(2));
const root = opts.root;
if (!existsSync(root)) fail(`no compiled tests in ${root}: build first (npm run build)`);
const tier = TIERS[opts.tier];
const files = find(root).filter((f) => {
  const name = relative(root, f);
  return tier.pick(name) && !opts.exclude.some((s) => f.includes(s)) && (opts.filters.length === 0 || opts.filters.some((s) => f.includes(s)));
});
// Commands that keep results by content hash (hwq sweep) write to a cache of this run, not the user's.
const resultCache = mkdtempSync(join(tmpdir(), 'hwq-test-cache-'));
process.on('exit', () => rmSync(resultCache, { recursive: true, force: true }));
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0, failed = 0, skipped = 0;
const started = Date.now();

function runOne(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--enable-source-maps', file], {
      env: { ...process.env, HWQ_CACHE: resultCache, ...tier.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const text = strip(out);
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const pass = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const skip = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
      const name = relative(root, file);
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      if (Number.isNaN(total) || Number.isNaN(pass)) {
        failed += 1; // the file crashed before uvu could report: count it as one failure
        process.stdout.write(`\n# ${name}: crashed (exit ${code})\n${text}\n`);
      } else if (total + skip === 0) {
        failed += 1;
        process.stdout.write(`\n# ${name} (${seconds} s): registered no test, not even a skipped one saying why\n${text.trim()}\n`);
      } else {
        passed += pass;
        failed += total - pass + (code !== 0 && total === pass ? 1 : 0);
        skipped += skip;
        process.stdout.write(`\n# ${name} (${seconds} s)\n${text.trim()}\n`);
      }
      resolve();
    });
  });
}

const queue = [...files];
const workers = Array.from({ length: Math.max(1, Math.min(2, cpus().length)) }, async () => {
  while (queue.length) await runOne(queue.shift());
});
await Promise.all(workers);
console.log(`\ntest files: ${files.length} (tier ${opts.tier}), ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
