// Resource estimates from Yosys: `synth_xilinx -family xc7` of the generated core, cell counts grouped the
// way a Vivado utilization report groups them (per module and for the whole hierarchy), the share of an
// XC7VX690T each takes, and optionally the logic depth of the mapped netlist (rtl/timing.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAST_DELAYS, PathReport, longestPath } from './timing.js';

export interface Resources {
  lut: number;
  /** LUTs used as memory (distributed RAM, shift registers). */
  lutram: number;
  ff: number;
  carry4: number;
  dsp: number;
  /** Block RAM in RAMB36 equivalents (a RAMB18 counts half). */
  bram36: number;
  muxf: number;
}

/** XC7VX690T totals (DS180). */
export const XC7VX690T = { lut: 433_200, ff: 866_400, bram36: 1_470, dsp: 3_600 };

function cellCounts(text: string): Map<string, number> {
  const cells = new Map<string, number>();
  for (const m of text.matchAll(/^\s+(\S+)\s+(\d+)\s*$/gm)) cells.set(m[1], (cells.get(m[1]) ?? 0) + Number(m[2]));
  return cells;
}

function group(cells: Map<string, number>): Resources {
  const sum = (re: RegExp) => [...cells].filter(([k]) => re.test(k)).reduce((s, [, v]) => s + v, 0);
  return {
    lut: sum(/^LUT[1-6]$/),
    lutram: sum(/^(RAM32M|RAM64M|RAM32X1D|RAM64X1D|RAM128X1D|RAM256X1S|SRL16E|SRLC32E)$/),
    ff: sum(/^FD[RSCP]E$/),
    carry4: sum(/^CARRY4$/),
    dsp: sum(/^DSP48E1$/),
    bram36: sum(/^RAMB36E1$/) + sum(/^RAMB18E1$/) / 2,
    muxf: sum(/^MUXF[78]$/),
  };
}

/** The `=== name ===` sections of Yosys `stat` output, by module (`design hierarchy` holds a hierarchy's totals). */
function statSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = text.split(/^=== (.+?) ===\s*$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) out.set(parts[i].trim(), parts[i + 1]);
  return out;
}

/**
 * The cells of Yosys `stat` output grouped the way a utilization report groups them: the whole design's
 * totals (the `design hierarchy` section when the design kept its hierarchy, else every cell listed).
 */
export function parseStat(text: string): Resources {
  const total = statSections(text).get('design hierarchy');
  // The hierarchy section lists instance counts above its cell counts; only cell types map to resources.
  return group(cellCounts(total ?? text));
}

/** Each module's own cells (its submodule instances not expanded), by module name without Yosys's $paramod prefix. */
export function parseModuleStats(text: string): Map<string, Resources> {
  const out = new Map<string, Resources>();
  for (const [name, body] of statSections(text)) {
    if (name === 'design hierarchy') continue;
    out.set(name.replace(/^\$paramod\$[0-9a-f]+\\/, ''), group(cellCounts(body)));
  }
  return out;
}

export interface SynthResult {
  resources: Resources;
  /** Each module's own cells (hierarchical runs). */
  modules: Map<string, Resources>;
  seconds: number;
  /** Longest path of the flattened mapped netlist, when asked for. */
  path?: PathReport;
  pathFast?: PathReport;
}

export interface SynthOptions {
  /** Flatten before mapping (one netlist); by default every module is synthesized once and kept. */
  flatten?: boolean;
  /** Also report the longest path (flattens the mapped netlist afterwards; small designs only). */
  timing?: boolean;
}

/**
 * Synthesizes `top` from `sources` with `synth_xilinx -family xc7 -noiopad` (the core is not the board top,
 * so no I/O buffers); throws with Yosys's message on failure or timeout.
 */
export function synthXilinx(sources: Map<string, string>, top: string, timeoutSec: number, opts: SynthOptions = {}): SynthResult {
  const dir = mkdtempSync(join(tmpdir(), 'hwq-yosys-'));
  try {
    const files: string[] = [];
    for (const [n, t] of sources) {
      writeFileSync(join(dir, n), t);
      files.push(n);
    }
    const t0 = Date.now();
    const synth = `synth_xilinx -family xc7 -noiopad${opts.flatten ? ' -flatten' : ''} -top ${top}`;
    const steps = [`read_verilog ${files.join(' ')}`, synth, 'tee -o stat.txt stat'];
    if (opts.timing) steps.push('flatten', 'opt_clean -purge', `write_json net.json`);
    const r = spawnSync('yosys', ['-q', '-p', steps.join('; ')], { cwd: dir, encoding: 'utf8', timeout: timeoutSec * 1000, maxBuffer: 256 << 20 });
    if (r.error) throw new Error(`yosys: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`yosys failed (exit ${r.status}): ${(r.stderr || r.stdout).slice(-2000)}`);
    const seconds = (Date.now() - t0) / 1000;
    const stat = readFileSync(join(dir, 'stat.txt'), 'utf8');
    const res: SynthResult = { resources: parseStat(stat), modules: parseModuleStats(stat), seconds };
    if (opts.timing) {
      const net = readFileSync(join(dir, 'net.json'), 'utf8');
      res.path = longestPath(net, top);
      res.pathFast = longestPath(net, top, FAST_DELAYS);
    }
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
