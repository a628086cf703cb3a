// The core co-simulation suite as one timed run: the standard 40-tile set (every mode and sign combination
// at random M and S, plus extreme tiles) through bitfusion_core under Verilator, with the C++ build and the
// run timed apart and each tile's cycle counts kept. The report script, the benchmark and the coverage run
// share it so their numbers describe the same work the tests do.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { getPreset } from '../hw/presets.js';
import { HwConfig } from '../hw/config.js';
import { RtlDesign, generateRtl, moduleOf, sourcesOf } from './generate.js';
import { buildVerilator } from './sim.js';
import type { ArrayTile } from '../hw/stepped-array.js';
import { CheckResult, checkCore, placeTiles, tileSet } from './verify.js';

/** The vc709 preset with another array size (the RTL tests' configs). */
export function vc709Sized(rows: number, cols: number): HwConfig {
  const cfg = getPreset('vc709')!;
  cfg.rows = rows;
  cfg.cols = cols;
  return cfg;
}

export interface SuiteRun {
  design: RtlDesign;
  result: CheckResult;
  buildSeconds: number;
  runSeconds: number;
}

export interface SuiteOptions {
  /** Tile-set seed (the core test uses 300 + rows) and placement seed (7). */
  seed?: number;
  /** Tiles to run instead of the standard set. */
  tiles?: ArrayTile[];
  /** Run the line-coverage build and write its data here. */
  coverageFile?: string;
}

/** Builds (or reuses from the cache) the core model and runs the tile set through it. */
export function runCoreSuite(rows: number, cols: number, opts: SuiteOptions = {}): SuiteRun {
  const design = generateRtl(vc709Sized(rows, cols));
  const compiled = placeTiles(opts.tiles ?? tileSet(rows, cols, opts.seed ?? 300 + rows), design.params, 7);
  const top = { name: 'bitfusion_core', ports: moduleOf(design, 'bitfusion_core').ports, clock: 'clk' };
  const t0 = performance.now();
  buildVerilator(sourcesOf(design), top, { coverage: opts.coverageFile !== undefined });
  const t1 = performance.now();
  const result = checkCore(design, 'verilator', compiled, { coverageFile: opts.coverageFile });
  const t2 = performance.now();
  return { design, result, buildSeconds: (t1 - t0) / 1000, runSeconds: (t2 - t1) / 1000 };
}

/** Runs `fn` with the Verilator model cache pointed at a fresh, empty directory (removed afterwards). */
export function withColdCache<T>(fn: () => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'hwq-rtl-cold-'));
  const saved = process.env.HWQ_RTL_CACHE;
  process.env.HWQ_RTL_CACHE = dir;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.HWQ_RTL_CACHE;
    else process.env.HWQ_RTL_CACHE = saved;
    rmSync(dir, { recursive: true, force: true });
  }
}
