// The event-driven Verilator harness for long runs (a whole network on bitfusion_layer): where the per-cycle
// harness of rtl/sim.ts reads every input port in every cycle and prints every output in every cycle, this one
// reads a script of changes and prints only the cycles in which a chosen output ("trigger") is non-zero.
//
// Script, one command a line (numbers in decimal, values in hex):
//   c N             run the clock until cycle N (each cycle: the inputs settle, clk low, triggers checked and
//                   the outputs printed, clk high), so the next commands act on cycle N
//   s PORT VALUE    input PORT (index among the non-clock inputs) takes VALUE from this cycle on
//   a ID SCOPE VAR  memory ID names the public array VAR of scope SCOPE (config.vlt marks it public)
//   m ID ADDR VALUE write word ADDR of memory ID now, before this cycle's clock edge
//   p ID ADDR       print "p ID ADDR VALUE": word ADDR of memory ID as it is now
// Response: "CYCLE OUT0 OUT1 ..." (every output in hex, port order) for each cycle with a trigger non-zero,
// and the "p" lines, in order.
//
// Writing and reading a memory directly (backdoor) costs no cycles: a host that writes operands through a
// one-word port spends most of a layer's cycles on it (rtl/layer-fast.ts says what that changes).
import type { Port } from './verilog.js';
import { SimError, type SimTop, buildVerilator, dataInputs, outputs, runTool } from './sim.js';
import { tmpdir } from 'node:os';

/** A script under construction: commands in cycle order. */
export class EventScript {
  private lines: string[] = [];
  private now = 0;
  private readonly index = new Map<string, number>();
  private readonly mems = new Map<string, number>();
  private values: bigint[];

  constructor(readonly top: SimTop) {
    dataInputs(top).forEach((p, i) => this.index.set(p.name, i));
    this.values = dataInputs(top).map(() => 0n);
  }

  get cycle(): number {
    return this.now;
  }

  /** Moves to cycle k (never back). */
  at(k: number): this {
    if (k < this.now) throw new SimError(`internal: event script goes back from cycle ${this.now} to ${k}`);
    if (k > this.now) this.lines.push(`c ${k}`);
    this.now = k;
    return this;
  }

  /** Sets input `name` from the current cycle on (nothing is written when it already has the value). */
  set(name: string, v: bigint): this {
    const i = this.index.get(name);
    if (i === undefined) throw new SimError(`internal: ${this.top.name} has no input '${name}'`);
    if (this.values[i] !== v) {
      this.values[i] = v;
      this.lines.push(`s ${i} ${v.toString(16)}`);
    }
    return this;
  }

  /** Sets the inputs for this cycle only: they return to 0 in the next. */
  pulse(values: Record<string, bigint>, k = this.now): this {
    this.at(k);
    for (const [n, v] of Object.entries(values)) this.set(n, v);
    this.at(k + 1);
    for (const n of Object.keys(values)) this.set(n, 0n);
    return this;
  }

  /** The id of memory `variable` of `scope`, for poke and peek. */
  memory(scope: string, variable: string): number {
    const key = `${scope} ${variable}`;
    let id = this.mems.get(key);
    if (id === undefined) {
      id = this.mems.size;
      this.mems.set(key, id);
      this.lines.push(`a ${id} ${key}`);
    }
    return id;
  }

  /** Writes word `addr` of memory `id` (from memory()) directly, now. */
  poke(id: number, addr: number, v: number | bigint): this {
    this.lines.push(`m ${id} ${addr} ${v.toString(16)}`);
    return this;
  }

  /** Reads word `addr` of memory `id` directly, now; its value comes back in EventRun.peeks in order. */
  peek(id: number, addr: number): this {
    this.lines.push(`p ${id} ${addr}`);
    return this;
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

/** One printed cycle: its number and every output's value as printed (hex). */
export interface EventLine {
  cycle: number;
  values: string[];
}

export interface EventRun {
  lines: EventLine[];
  peeks: bigint[];
}

const cType = (p: Port): string => (p.width <= 8 ? 'CData' : p.width <= 16 ? 'SData' : p.width <= 32 ? 'IData' : p.width <= 64 ? 'QData' : 'VlWide');

/** The C++ harness of the event protocol for `top`. */
export function eventHarness(top: SimTop): string {
  if (!top.clock) throw new SimError(`internal: the event harness drives a clocked top; ${top.name} has no clock`);
  const ins = dataInputs(top);
  const outs = outputs(top);
  const sets = ins.map((p, i) => (p.width <= 64
    ? `    case ${i}: top->${p.name} = (${cType(p)})parseHex64(v); break;`
    : `    case ${i}: parseWide(v, top->${p.name}.data(), ${Math.ceil(p.width / 32)}); break;`));
  const nz = outs.map((p, i) => (p.width <= 64
    ? `    case ${i}: return top->${p.name} != 0;`
    : `    case ${i}: for (int w = 0; w < ${Math.ceil(p.width / 32)}; w++) if (top->${p.name}[w]) return true; return false;`));
  const prints = outs.map((p) => (p.width <= 64
    ? `  { uint64_t x = (uint64_t)top->${p.name}; uint32_t w[2] = {(uint32_t)x, (uint32_t)(x >> 32)}; out += ' '; printHex(out, w, ${p.width}); }`
    : `  { uint32_t w[${Math.ceil(p.width / 32)}]; for (int i = 0; i < ${Math.ceil(p.width / 32)}; i++) w[i] = top->${p.name}[i]; `
      + `out += ' '; printHex(out, w, ${p.width}); }`));
  const V = `V${top.name}`;
  return `// Generated by rtl/sim-events.ts: runs ${V} from a script of input changes on stdin, prints triggered cycles.
#include "${V}.h"
#include "verilated.h"
#include "verilated_syms.h"
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

static uint64_t parseHex64(const char* s) { return std::strtoull(s, nullptr, 16); }

static void parseWide(const char* s, uint32_t* w, int n) {
  for (int i = 0; i < n; i++) w[i] = 0;
  int len = (int)std::strlen(s), bit = 0;
  for (int i = len - 1; i >= 0 && bit < 32 * n; i--, bit += 4) {
    char c = s[i];
    uint32_t d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
    w[bit / 32] |= d << (bit % 32);
  }
}

static void printHex(std::string& out, const uint32_t* w, int width) {
  for (int d = (width + 3) / 4 - 1; d >= 0; d--) {
    int b = 4 * d;
    uint32_t nib = (w[b / 32] >> (b % 32)) & 15u;
    int keep = width - b < 4 ? width - b : 4;
    nib &= (1u << keep) - 1u;
    out += "0123456789abcdef"[nib];
  }
}

static void setInput(${V}* top, int i, const char* v) {
  switch (i) {
${sets.join('\n')}
    default: std::fprintf(stderr, "no input %d\\n", i); std::exit(2);
  }
}

static bool nonZero(${V}* top, int i) {
  switch (i) {
${nz.join('\n')}
    default: return false;
  }
}

static void printOutputs(${V}* top, std::string& out) {
${prints.join('\n')}
}

struct Mem { uint8_t* data; uint32_t size; uint32_t ent; };

int main(int argc, char** argv) {
  std::vector<int> triggers;
  if (argc > 1) for (const char* s = argv[1]; *s;) { triggers.push_back(std::atoi(s)); while (*s && *s != ',') s++; if (*s) s++; }
  VerilatedContext ctx;
  ${V}* top = new ${V}{&ctx};
  std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::string out;
  out.reserve(1 << 20);
  std::vector<Mem> mems;
  uint64_t cycle = 0;
  size_t pos = 0;
  char tok[4][256];
  while (pos < in.size()) {
    size_t end = in.find('\\n', pos);
    if (end == std::string::npos) end = in.size();
    std::string line = in.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    int n = std::sscanf(line.c_str() + 1, "%255s %255s %255s %255s", tok[0], tok[1], tok[2], tok[3]);
    switch (line[0]) {
      case 'c': {
        uint64_t until = std::strtoull(tok[0], nullptr, 10);
        for (; cycle < until; cycle++) {
          top->${top.clock} = 0;
          top->eval();
          bool hit = false;
          for (int t : triggers) if (nonZero(top, t)) { hit = true; break; }
          if (hit) { out += std::to_string(cycle); printOutputs(top, out); out += '\\n'; }
          top->${top.clock} = 1;
          top->eval();
          ctx.timeInc(1);
          if (out.size() > (1 << 20)) { std::fwrite(out.data(), 1, out.size(), stdout); out.clear(); }
        }
        break;
      }
      case 's': setInput(top, std::atoi(tok[0]), tok[1]); break;
      case 'a': {
        const VerilatedScope* sc = nullptr;
        for (const auto& kv : *ctx.scopeNameMap()) if (std::strcmp(kv.first, tok[1]) == 0) sc = kv.second;
        VerilatedVar* var = sc ? sc->varFind(tok[2]) : nullptr;
        if (!var) {
          std::fprintf(stderr, "no public memory %s in scope %s; scopes with one:", tok[2], tok[1]);
          for (const auto& kv : *ctx.scopeNameMap()) if (kv.second->varFind(tok[2])) std::fprintf(stderr, " %s", kv.first);
          std::fprintf(stderr, "\\n");
          return 2;
        }
        uint32_t ent = var->entSize();
        uint32_t size = (uint32_t)(var->totalSize() / ent);
        mems.resize(std::atoi(tok[0]) + 1);
        mems[std::atoi(tok[0])] = Mem{(uint8_t*)var->datap(), size, ent};
        break;
      }
      case 'm': case 'p': {
        Mem& m = mems.at(std::atoi(tok[0]));
        uint32_t addr = (uint32_t)std::strtoul(tok[1], nullptr, 10);
        if (addr >= m.size || m.ent > 8) {
          std::fprintf(stderr, "memory %s: word %u outside %u words (or wider than 64 bits)\\n", tok[0], addr, m.size);
          return 2;
        }
        if (line[0] == 'm') {
          uint64_t v = parseHex64(tok[2]);
          std::memcpy(m.data + (size_t)addr * m.ent, &v, m.ent);
        } else {
          uint64_t v = 0;
          std::memcpy(&v, m.data + (size_t)addr * m.ent, m.ent);
          char buf[64];
          std::snprintf(buf, sizeof buf, "p %s %u %llx\\n", tok[0], addr, (unsigned long long)v);
          out += buf;
        }
        break;
      }
      default: std::fprintf(stderr, "bad command '%s'\\n", line.c_str()); return 2;
    }
    (void)n;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  top->final();
  delete top;
  return 0;
}
`;
}

/** The build of `top` for event runs: optimized, with `config` (a .vlt making the poked memories public). */
export function buildEventModel(sources: Map<string, string>, top: SimTop, config: string): string {
  return buildVerilator(sources, top, { harness: eventHarness(top), config, optimize: true, flavor: 'events' });
}

/** Runs `script` on the event build; `triggers` are output port names. */
export function runEvents(sources: Map<string, string>, top: SimTop, config: string, script: EventScript, triggers: string[]): EventRun {
  const exe = buildEventModel(sources, top, config);
  const outs = outputs(top);
  const idx = triggers.map((n) => {
    const i = outs.findIndex((p) => p.name === n);
    if (i < 0) throw new SimError(`internal: ${top.name} has no output '${n}'`);
    return i;
  });
  const { stdout } = runTool(exe, [idx.join(',')], tmpdir(), `verilator run of ${top.name}`, script.text());
  const lines: EventLine[] = [];
  const peeks: bigint[] = [];
  for (const l of stdout.split('\n')) {
    if (l === '') continue;
    const f = l.split(' ');
    if (f[0] === 'p') peeks.push(BigInt('0x' + f[3]));
    else lines.push({ cycle: Number(f[0]), values: f.slice(1) });
  }
  return { lines, peeks };
}
