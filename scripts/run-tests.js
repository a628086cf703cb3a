#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in its own node process, two at a time (the machine
// has 2 cores), prints each file's uvu output, and ends with the one summary line CI reads:
// `N passed, N failed` (`, N skipped` when data-backed tests had nothing to run on).
// Usage: node scripts/run-tests.js [filter-substring...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cpus } from 'node:os';

const root = join(import.meta.dirname, '..', 'dist', 'test');
const filters = process.argv.slice(2);

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = find(root).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0, failed = 0, skipped = 0;
const started = Date.now();

function runOne(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--enable-source-maps', file], {
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
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
      if (Number.isNaN(total) || Number.isNaN(pass)) {
        failed += 1; // the file crashed before uvu could report: count it as one failure
        process.stdout.write(`\n# ${name}: crashed (exit ${code})\n${text}\n`);
      } else {
        passed += pass;
        failed += total - pass + (code !== 0 && total === pass ? 1 : 0);
        skipped += skip;
        process.stdout.write(`\n# ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n${text.trim()}\n`);
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
console.log(`\ntest files: ${files.length}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
