// Line coverage of the generated design from a Verilator `--coverage-line` run: `verilator_coverage
// --write-info` turns the raw data into lcov records (SF file, DA line,count), which are summed per source
// file. Every generated module is its own file named after it, so a file is a module.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface ModuleCoverage {
  module: string;
  /** Lines with a coverage point, and how many of them ran at least once. */
  lines: number;
  hit: number;
  /** Line numbers never reached. */
  missed: number[];
}

/** Per-file line coverage from lcov text (several records of one file, e.g. per instance, are merged). */
export function parseLcov(text: string): ModuleCoverage[] {
  const byFile = new Map<string, Map<number, number>>();
  let cur: Map<number, number> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('SF:')) {
      const mod = basename(line.slice(3)).replace(/\.s?v$/, '');
      cur = byFile.get(mod) ?? new Map();
      byFile.set(mod, cur);
    } else if (line.startsWith('DA:') && cur) {
      const [ln, count] = line.slice(3).split(',').map(Number);
      cur.set(ln, (cur.get(ln) ?? 0) + count);
    } else if (line === 'end_of_record') cur = undefined;
  }
  return [...byFile].map(([module, m]) => {
    const missed = [...m].filter(([, c]) => c === 0).map(([l]) => l).sort((a, b) => a - b);
    return { module, lines: m.size, hit: m.size - missed.length, missed };
  }).sort((a, b) => a.module.localeCompare(b.module));
}

/** Runs verilator_coverage on a coverage.dat and returns the per-module line coverage. */
export function lineCoverage(datFile: string): ModuleCoverage[] {
  const dir = mkdtempSync(join(tmpdir(), 'hwq-cov-'));
  try {
    const info = join(dir, 'coverage.info');
    const r = spawnSync('verilator_coverage', ['--write-info', info, datFile], { encoding: 'utf8' });
    if (r.error) throw new Error(`cannot run verilator_coverage: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`verilator_coverage failed (exit ${r.status}): ${(r.stderr || r.stdout).slice(0, 2000)}`);
    return parseLcov(readFileSync(info, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
