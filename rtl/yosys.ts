// Resource estimates from Yosys: `synth_xilinx -family xc7` of the generated core, cell counts grouped the
// way a Vivado utilization report groups them, and the share of an XC7VX690T each takes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** Parses the cell list of Yosys `stat` output. */
export function parseStat(text: string): Resources {
  const cells = new Map<string, number>();
  for (const m of text.matchAll(/^\s+(\w+)\s+(\d+)\s*$/gm)) cells.set(m[1], (cells.get(m[1]) ?? 0) + Number(m[2]));
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

export interface SynthResult {
  resources: Resources;
  seconds: number;
}

/** Synthesizes `top` from `sources`; throws with Yosys's message on failure or timeout. */
export function synthXilinx(sources: Map<string, string>, top: string, timeoutSec: number): SynthResult {
  const dir = mkdtempSync(join(tmpdir(), 'hwq-yosys-'));
  try {
    const files: string[] = [];
    for (const [n, t] of sources) {
      writeFileSync(join(dir, n), t);
      files.push(n);
    }
    const t0 = Date.now();
    const script = `read_verilog ${files.join(' ')}; synth_xilinx -family xc7 -flatten -top ${top}; tee -o stat.txt stat`;
    const r = spawnSync('yosys', ['-q', '-p', script], { cwd: dir, encoding: 'utf8', timeout: timeoutSec * 1000, maxBuffer: 256 << 20 });
    if (r.error) throw new Error(`yosys: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`yosys failed (exit ${r.status}): ${(r.stderr || r.stdout).slice(-2000)}`);
    const stat = readFileSync(join(dir, 'stat.txt'), 'utf8');
    return { resources: parseStat(stat), seconds: (Date.now() - t0) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
