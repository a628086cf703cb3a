// Runs generated Verilog under Verilator and Icarus with one generic, generated harness: the stimulus is a
// file of one hex line per clock cycle (every input port concatenated, the first port at the least
// significant end) and the response one line per cycle with each output port in hex, sampled after the
// inputs settle and before the rising edge. Tests and `hwq rtl --verify` build their stimulus in TypeScript
// and compare the response with the models; the harness knows nothing about Bit Fusion.
//
// Verilator models are cached in the temp directory keyed by a hash of the sources and the harness, so a
// second run of the suite (and every test using the same design) skips the C++ build.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { Interrupted, registerTemp } from '../src/cleanup.js';
import { join } from 'node:path';
import { Port } from './verilog.js';

export interface SimTop {
  /** Top module name. */
  name: string;
  ports: Port[];
  /** Name of the clock input, absent for a combinational top. */
  clock?: string;
}

/** One cycle's values of the non-clock inputs, in port order. */
export type Stimulus = bigint[][];

/** Input values per cycle, set sparsely (unset inputs are 0), with reset held in cycles 0 and 1. */
export function cycleInputs(): { cycles: Array<Record<string, bigint>>; at: (k: number) => Record<string, bigint> } {
  const cycles: Array<Record<string, bigint>> = [];
  const at = (k: number): Record<string, bigint> => {
    while (cycles.length <= k) cycles.push({});
    return cycles[k];
  };
  at(0).rst = 1n;
  at(1).rst = 1n;
  return { cycles, at };
}
/** One cycle's output values in port order, as printed: hex digits, with x or z where a bit is unknown. */
export type Response = string[][];

export class SimError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimError';
  }
}

const toolCache = new Map<string, boolean>();

/** True when `tool` runs (verilator, iverilog, yosys). */
export function hasTool(tool: string): boolean {
  let ok = toolCache.get(tool);
  if (ok === undefined) {
    const r = spawnSync(tool, [tool === 'iverilog' ? '-V' : '--version'], { encoding: 'utf8' });
    ok = r.status === 0 || (tool === 'iverilog' && /Icarus/.test(r.stdout ?? ''));
    toolCache.set(tool, ok);
  }
  return ok;
}

export function dataInputs(top: SimTop): Port[] {
  return top.ports.filter((p) => p.dir === 'input' && p.name !== top.clock);
}

export function outputs(top: SimTop): Port[] {
  return top.ports.filter((p) => p.dir === 'output');
}

/** The stimulus file: one hex number per cycle, input port 0 in the low bits. */
export function stimulusText(top: SimTop, stim: Stimulus): string {
  const ins = dataInputs(top);
  const total = ins.reduce((s, p) => s + p.width, 0);
  const digits = Math.max(1, Math.ceil(total / 4));
  const lines: string[] = [];
  for (const [k, cyc] of stim.entries()) {
    if (cyc.length !== ins.length) throw new SimError(`stimulus cycle ${k} has ${cyc.length} values for ${ins.length} inputs`);
    let v = 0n;
    let lo = 0n;
    ins.forEach((p, i) => {
      const mask = (1n << BigInt(p.width)) - 1n;
      v |= (cyc[i] & mask) << lo;
      lo += BigInt(p.width);
    });
    lines.push(v.toString(16).padStart(digits, '0'));
  }
  return lines.join('\n') + '\n';
}

function parseResponse(top: SimTop, text: string, cycles: number): Response {
  const outs = outputs(top);
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== cycles) throw new SimError(`simulator printed ${lines.length} cycles, expected ${cycles}`);
  return lines.map((l) => {
    const f = l.trim().split(/\s+/);
    if (f.length !== outs.length) throw new SimError(`response line '${l}' has ${f.length} fields for ${outs.length} outputs`);
    return f;
  });
}

/** The printed value as a number, or null when any bit is x or z. */
export function valueOf(tok: string): bigint | null {
  return /^[0-9a-f]+$/i.test(tok) ? BigInt('0x' + tok) : null;
}

/** Field i (of `bits` bits) of a printed bus, or null when one of its bits is x or z. */
export function fieldOf(tok: string, i: number, bits: number): bigint | null {
  let v = 0n;
  let unknown = 0n;
  for (const ch of tok) {
    const known = /[0-9a-f]/i.test(ch);
    v = (v << 4n) | (known ? BigInt(parseInt(ch, 16)) : 0n);
    unknown = (unknown << 4n) | (known ? 0n : 15n);
  }
  const mask = ((1n << BigInt(bits)) - 1n) << BigInt(i * bits);
  return unknown & mask ? null : (v & mask) >> BigInt(i * bits);
}

/**
 * Options of a Verilator build: `coverage` adds line coverage, written by the harness to its third argument;
 * `harness` replaces the per-cycle harness (rtl/sim-events.ts has the event-driven one), `config` adds a
 * Verilator configuration file (.vlt), and `optimize` compiles the model with -O2 for long runs.
 */
export interface VerilatorOptions {
  coverage?: boolean;
  harness?: string;
  config?: string;
  optimize?: boolean;
  /** Distinguishes the cached build (the directory name). */
  flavor?: string;
}

/** The C++ harness for `verilator --cc --exe`. */
export function verilatorHarness(top: SimTop, opts: VerilatorOptions = {}): string {
  const ins = dataInputs(top);
  const total = ins.reduce((s, p) => s + p.width, 0);
  const nw = Math.ceil(total / 32);
  let lo = 0;
  const sets: string[] = [];
  for (const p of ins) {
    if (p.width <= 64) sets.push(`    top->${p.name} = field(v, ${lo}, ${p.width});`);
    else sets.push(`    for (int i = 0; i < ${Math.ceil(p.width / 32)}; i++) top->${p.name}[i] = (uint32_t)field(v, ${lo} + 32 * i, std::min(32, ${p.width} - 32 * i));`);
    lo += p.width;
  }
  const prints: string[] = outputs(top).map((p, i) => {
    const sep = i === 0 ? '' : `    std::fputc(' ', out);\n`;
    if (p.width <= 64) {
      return `${sep}    { uint64_t x = (uint64_t)top->${p.name}; uint32_t w[2] = {(uint32_t)x, (uint32_t)(x >> 32)}; printHex(out, w, ${p.width}); }`;
    }
    return `${sep}    { uint32_t w[${Math.ceil(p.width / 32)}]; for (int i = 0; i < ${Math.ceil(p.width / 32)}; i++) w[i] = top->${p.name}[i]; printHex(out, w, ${p.width}); }`;
  });
  const clk = top.clock;
  return `// Generated by rtl/sim.ts: drives V${top.name} from a hex stimulus file, one line per cycle.
#include "V${top.name}.h"
#include "verilated.h"
${opts.coverage ? '#include "verilated_cov.h"\n' : ''}#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

static const int NW = ${nw};

static std::vector<uint32_t> parseHex(const std::string& s) {
  std::vector<uint32_t> v(NW + 1, 0);
  int bit = 0;
  for (int i = (int)s.size() - 1; i >= 0 && bit < 32 * NW; i--) {
    char c = s[i];
    uint32_t d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0;
    v[bit / 32] |= d << (bit % 32);
    bit += 4;
  }
  return v;
}

static uint64_t field(const std::vector<uint32_t>& v, int lo, int width) {
  uint64_t r = 0;
  for (int b = 0; b < width; b++) r |= (uint64_t)((v[(lo + b) / 32] >> ((lo + b) % 32)) & 1u) << b;
  return r;
}

static void printHex(FILE* out, const uint32_t* w, int width) {
  for (int d = (width + 3) / 4 - 1; d >= 0; d--) {
    int b = 4 * d;
    uint32_t nib = (w[b / 32] >> (b % 32)) & 15u;
    int keep = std::min(4, width - b);
    nib &= (1u << keep) - 1u;
    std::fputc("0123456789abcdef"[nib], out);
  }
}

int main(int argc, char** argv) {
  if (argc < 3) { std::fprintf(stderr, "usage: %s STIMULUS RESPONSE\\n", argv[0]); return 2; }
  VerilatedContext ctx;
  V${top.name}* top = new V${top.name}{&ctx};
  std::ifstream in(argv[1]);
  FILE* out = std::fopen(argv[2], "w");
  if (!in || !out) { std::fprintf(stderr, "cannot open files\\n"); return 2; }
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<uint32_t> v = parseHex(line);
${sets.join('\n')}
${clk ? `    top->${clk} = 0;\n` : ''}    top->eval();
${prints.join('\n')}
    std::fputc('\\n', out);
${clk ? `    top->${clk} = 1;\n    top->eval();\n    ctx.timeInc(1);\n` : ''}  }
  top->final();
${opts.coverage ? '  if (argc > 3) ctx.coveragep()->write(argv[3]);\n' : ''}  delete top;
  std::fclose(out);
  return 0;
}
`;
}

/** The SystemVerilog testbench for Icarus: $readmemh of the stimulus, $fwrite of the response. */
export function icarusTestbench(top: SimTop, cycles: number, stimFile: string, respFile: string): string {
  const ins = dataInputs(top);
  const outs = outputs(top);
  const total = ins.reduce((s, p) => s + p.width, 0);
  const w = (p: Port) => (p.width === 1 ? '' : `[${p.width - 1}:0] `);
  const decl = [
    ...ins.map((p) => `  reg  ${w(p)}in_${p.name};`),
    ...outs.map((p) => `  wire ${w(p)}out_${p.name};`),
  ];
  const conns = top.ports.map((p) => (p.name === top.clock ? `.${p.name}(clk)` : `.${p.name}(${p.dir === 'input' ? 'in_' : 'out_'}${p.name})`));
  const concat = ins.map((p) => `in_${p.name}`).reverse().join(', ');
  const fmt = outs.map(() => '%h').join(' ');
  const args = outs.map((p) => `out_${p.name}`).join(', ');
  return `// Generated by rtl/sim.ts: drives ${top.name} from a $readmemh stimulus, one word per cycle.
\`timescale 1ns/1ps
module tb;
  localparam N  = ${cycles};
  localparam IW = ${total};
  reg [IW-1:0] vec [0:N-1];
  reg clk = 1'b0;
${decl.join('\n')}
  integer i, fo;

  ${top.name} dut (${conns.join(', ')});

  initial begin
    $readmemh("${stimFile}", vec);
    fo = $fopen("${respFile}", "w");
    for (i = 0; i < N; i = i + 1) begin
      {${concat}} = vec[i];
      clk = 1'b0;
      #1;
      $fwrite(fo, "${fmt}\\n", ${args});
      clk = 1'b1;
      #1;
    end
    $fclose(fo);
    $finish;
  end
endmodule
`;
}

function hashOf(parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 20);
}

/**
 * Where compiled Verilator models are kept between runs: $HWQ_RTL_CACHE, else the user's cache folder
 * (XDG: $XDG_CACHE_HOME or ~/.cache), not the temp folder, which a run must leave as it found it.
 */
export function cacheRoot(): string {
  if (process.env.HWQ_RTL_CACHE) return process.env.HWQ_RTL_CACHE;
  const base = process.env.XDG_CACHE_HOME || (homedir() ? join(homedir(), '.cache') : tmpdir());
  return join(base, 'hwq', 'rtl');
}

function writeSources(dir: string, sources: Map<string, string>): string[] {
  const paths: string[] = [];
  for (const [name, text] of sources) {
    const p = join(dir, name);
    writeFileSync(p, text);
    paths.push(p);
  }
  return paths;
}

/** Runs a tool, throwing SimError on failure; `input` goes to its stdin. */
export function runTool(cmd: string, args: string[], cwd: string, what: string, input?: string | Uint8Array): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30, input });
  if (r.error) throw new SimError(`${what}: cannot run ${cmd}: ${r.error.message}`);
  // Ctrl-C reaches the whole process group: the tool dying of it is the user stopping the run, not a failure.
  if (r.signal === 'SIGINT' || r.signal === 'SIGTERM') throw new Interrupted(r.signal);
  if (r.status !== 0) throw new SimError(`${what} failed (${r.signal ?? `exit ${r.status}`}):\n${(r.stderr || r.stdout).slice(0, 4000)}`);
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function run(cmd: string, args: string[], cwd: string, what: string): string {
  const r = runTool(cmd, args, cwd, what);
  return r.stdout + r.stderr;
}

/** Builds (or reuses) the Verilator model of `top` and returns the path of its executable. */
export function buildVerilator(sources: Map<string, string>, top: SimTop, opts: VerilatorOptions = {}): string {
  const harness = opts.harness ?? verilatorHarness(top, opts);
  const key = hashOf([top.name, harness, ...(opts.coverage ? ['coverage-line'] : []), ...(opts.config ? ['vlt', opts.config] : []),
    ...(opts.optimize ? ['O2'] : []), ...[...sources].flat()]);
  const dir = join(cacheRoot(), `vl-${top.name}${opts.coverage ? '-cov' : ''}${opts.flavor ? `-${opts.flavor}` : ''}-${key}`);
  const exe = join(dir, 'sim');
  if (existsSync(exe)) return exe;
  mkdirSync(cacheRoot(), { recursive: true });
  const work = mkdtempSync(join(cacheRoot(), `build-${top.name}-`));
  const release = registerTemp(work);
  try {
    const files = writeSources(work, sources);
    writeFileSync(join(work, 'harness.cpp'), harness);
    if (opts.config) writeFileSync(join(work, 'config.vlt'), opts.config);
    run('verilator', ['--cc', '--exe', '--build', '-j', '2', '-Wno-fatal', '-Wno-lint', '-Wno-style', ...(opts.coverage ? ['--coverage-line'] : []), '--top-module', top.name,
      '-Mdir', 'obj', '-o', join(work, 'sim'),
      // Short runs: compile time dominates, so build without optimization. Long runs (a network): -O2 runs the
      // 8x8 layer model 6x faster for 1.6x the build time (-Os is slower than -O2 here). On the 8x8 event build's
      // ResNet-20 layers OPT_FAST=-O3, -march=native, verilator -O3 (every module inlined) and -fno-dfg run within
      // 4% of this and OPT_FAST=-O1 8% slower: the time is the evaluation of the 64 Fusion Units' logic every cycle.
      '-MAKEFLAGS', opts.optimize ? 'OPT_FAST=-O2 OPT_SLOW=-O0 OPT_GLOBAL=-O2' : 'OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0',
      ...(opts.config ? ['config.vlt'] : []), ...files, 'harness.cpp'], work, `verilator build of ${top.name}`);
    rmSync(join(work, 'obj'), { recursive: true, force: true });
    try {
      renameSync(work, dir);
    } catch {
      // another process finished the same build first: its result is identical
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    release();
  }
  if (!existsSync(exe)) throw new SimError(`verilator build of ${top.name} produced no executable`);
  return exe;
}

/** Runs `stim` on the Verilator model of `top`; with `coverageFile`, on the coverage build, writing its data there. */
export function runVerilator(sources: Map<string, string>, top: SimTop, stim: Stimulus, coverageFile?: string): Response {
  const exe = buildVerilator(sources, top, { coverage: coverageFile !== undefined });
  const dir = mkdtempSync(join(tmpdir(), 'hwq-vl-run-'));
  const release = registerTemp(dir);
  try {
    writeFileSync(join(dir, 'stim.hex'), stimulusText(top, stim));
    run(exe, [join(dir, 'stim.hex'), join(dir, 'resp.txt'), ...(coverageFile ? [coverageFile] : [])], dir, `verilator run of ${top.name}`);
    return parseResponse(top, readFileSync(join(dir, 'resp.txt'), 'utf8'), stim.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    release();
  }
}

/** Compiles the design with its testbench under Icarus (-g2012) and runs `stim`. */
export function runIcarus(sources: Map<string, string>, top: SimTop, stim: Stimulus): Response {
  const dir = mkdtempSync(join(tmpdir(), 'hwq-iv-run-'));
  const release = registerTemp(dir);
  try {
    const files = writeSources(dir, sources);
    writeFileSync(join(dir, 'stim.hex'), stimulusText(top, stim));
    writeFileSync(join(dir, 'tb.sv'), icarusTestbench(top, stim.length, 'stim.hex', 'resp.txt'));
    run('iverilog', ['-g2012', '-o', 'sim.vvp', '-s', 'tb', ...files, 'tb.sv'], dir, `iverilog compile of ${top.name}`);
    run('vvp', ['-n', 'sim.vvp'], dir, `vvp run of ${top.name}`);
    return parseResponse(top, readFileSync(join(dir, 'resp.txt'), 'utf8'), stim.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    release();
  }
}

/** `verilator --lint-only -Wall` of the design; returns the warnings (empty when clean). */
export function lintVerilator(sources: Map<string, string>, topName: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hwq-lint-'));
  try {
    const files = writeSources(dir, sources);
    const r = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', topName, ...files], { cwd: dir, encoding: 'utf8' });
    if (r.error) throw new SimError(`cannot run verilator: ${r.error.message}`);
    return r.status === 0 && !r.stderr.trim() ? '' : (r.stderr || r.stdout || `exit ${r.status}`).replaceAll(dir + '/', '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
