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
//   w ID ADDR V0 V1 ...  write V0 to word ADDR of memory ID, V1 to ADDR + 1, and so on (a tile's operands in one line)
//   p ID ADDR       print "p ID ADDR VALUE": word ADDR of memory ID as it is now
// Response: "CYCLE OUT0 OUT1 ..." (every output in hex, port order) for each cycle with a trigger non-zero,
// and the "p" lines, in order.
//
// Writing and reading a memory directly (backdoor) costs no cycles: a host that writes operands through a
// one-word port spends most of a layer's cycles on it (rtl/layer-fast.ts says what that changes).
import type { Port } from './verilog.js';
import { SimError, type SimTop, buildVerilator, dataInputs, outputs, runTool } from './sim.js';
import { tmpdir } from 'node:os';

const HEX = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const NL = 10;
const SP = 32;

/** An ASCII byte buffer that grows: a layer's script holds millions of words, too many for a string per line. */
class ByteWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private n = 0;

  private room(k: number): this {
    if (this.n + k > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 4, this.n + k));
      this.buf.copy(next, 0, 0, this.n);
      this.buf = next;
    }
    return this;
  }

  ascii(s: string): this {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.n++] = s.charCodeAt(i);
    return this;
  }

  byte(b: number): this {
    this.room(1);
    this.buf[this.n++] = b;
    return this;
  }

  /** A non-negative integer in decimal. */
  dec(v: number): this {
    return this.ascii(String(v));
  }

  /** A value in hex without leading zeros; numbers below 2^32 are written digit by digit. */
  hex(v: number | bigint): this {
    if (typeof v === 'bigint' || v > 0xffffffff || v < 0 || !Number.isInteger(v)) return this.ascii(v.toString(16));
    let d = 1;
    while (d < 8 && v >>> (4 * d) !== 0) d++;
    this.room(d);
    for (let i = d - 1; i >= 0; i--) this.buf[this.n++] = HEX[(v >>> (4 * i)) & 15];
    return this;
  }

  /** " V" for each of words[from .. to-1], in hex like hex(). */
  words(words: ArrayLike<number>, from: number, to: number): this {
    this.room(9 * (to - from));
    for (let i = from; i < to; i++) {
      const v = words[i];
      if (!(v >= 0 && v <= 0xffffffff && Number.isInteger(v))) {
        this.byte(SP).hex(v).room(9 * (to - i));
        continue;
      }
      this.buf[this.n++] = SP;
      let d = 1;
      while (d < 8 && v >>> (4 * d) !== 0) d++;
      for (let k = d - 1; k >= 0; k--) this.buf[this.n++] = HEX[(v >>> (4 * k)) & 15];
    }
    return this;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.n);
  }
}

/** A script under construction: commands in cycle order. */
export class EventScript {
  private readonly out = new ByteWriter();
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
    if (k > this.now) this.out.ascii('c ').dec(k).byte(NL);
    this.now = k;
    return this;
  }

  /** Sets input `name` from the current cycle on (nothing is written when it already has the value). */
  set(name: string, v: bigint): this {
    const i = this.index.get(name);
    if (i === undefined) throw new SimError(`internal: ${this.top.name} has no input '${name}'`);
    if (this.values[i] !== v) {
      this.values[i] = v;
      this.out.ascii('s ').dec(i).byte(SP).hex(v).byte(NL);
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
      this.out.ascii('a ').dec(id).byte(SP).ascii(key).byte(NL);
    }
    return id;
  }

  /** Writes word `addr` of memory `id` (from memory()) directly, now. */
  poke(id: number, addr: number, v: number | bigint): this {
    this.out.ascii('m ').dec(id).byte(SP).dec(addr).byte(SP).hex(v).byte(NL);
    return this;
  }

  /** Writes words[from .. to-1] (unsigned, below 2^32) into words addr, addr + 1, ... of memory `id`, now: one command for the run. */
  pokeWords(id: number, addr: number, words: ArrayLike<number>, from = 0, to = words.length): this {
    if (to <= from) return this;
    this.out.ascii('w ').dec(id).byte(SP).dec(addr);
    this.out.words(words, from, to).byte(NL);
    return this;
  }

  /** Reads word `addr` of memory `id` directly, now; its value comes back in EventRun.peeks in order. */
  peek(id: number, addr: number): this {
    this.out.ascii('p ').dec(id).byte(SP).dec(addr).byte(NL);
    return this;
  }

  /** The script as it goes to the harness. */
  bytes(): Buffer {
    return this.out.bytes();
  }

  text(): string {
    return this.bytes().toString('latin1');
  }
}

/** One printed cycle: its number and every output's value as printed (hex). */
export interface EventLine {
  cycle: number;
  values: string[];
  /** values[i] ('' past the last) without splitting the whole line: a layer prints hundreds of thousands of lines. */
  field(i: number): string;
}

/** A printed line kept as a span of the harness's output: its fields are cut out when asked for. */
class PrintedLine implements EventLine {
  private split?: string[];

  constructor(readonly cycle: number, private readonly text: string, private readonly from: number, private readonly to: number) {}

  get values(): string[] {
    this.split ??= this.from < this.to ? this.text.slice(this.from, this.to).split(' ') : [];
    return this.split;
  }

  field(i: number): string {
    if (this.split) return this.split[i] ?? '';
    let a = this.from;
    for (let k = 0; k < i && a <= this.to; k++) {
      const sp = this.text.indexOf(' ', a);
      a = sp < 0 || sp >= this.to ? this.to + 1 : sp + 1;
    }
    if (a > this.to || this.from >= this.to) return '';
    const sp = this.text.indexOf(' ', a);
    return this.text.slice(a, sp < 0 || sp > this.to ? this.to : sp);
  }
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
#include <string>
#include <vector>

static uint64_t parseHex64(const char* s) {
  if (*s == '-') return (uint64_t)0 - parseHex64(s + 1);
  uint64_t v = 0;
  for (; *s; s++) v = (v << 4) | (uint64_t)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
  return v;
}

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

// The script is read whole and cut into tokens in place: a layer's script is megabytes of words.
static std::string readAll(FILE* f) {
  std::string s;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  s += '\\n';
  return s;
}

// The next space-separated token of the line at q (q moves past it), "" at the line's end.
static char* token(char*& q) {
  while (*q == ' ') q++;
  char* t = q;
  while (*q && *q != ' ') q++;
  if (*q) *q++ = '\\0';
  return t;
}

int main(int argc, char** argv) {
  std::vector<int> triggers;
  if (argc > 1) for (const char* s = argv[1]; *s;) { triggers.push_back(std::atoi(s)); while (*s && *s != ',') s++; if (*s) s++; }
  VerilatedContext ctx;
  ${V}* top = new ${V}{&ctx};
  std::string in = readAll(stdin);
  std::string out;
  out.reserve(1 << 20);
  std::vector<Mem> mems;
  uint64_t cycle = 0;
  char* pos = &in[0];
  char* const end = pos + in.size();
  while (pos < end) {
    char* eol = (char*)std::memchr(pos, '\\n', end - pos);
    *eol = '\\0';
    char* line = pos;
    pos = eol + 1;
    if (!*line) continue;
    char* q = line + 1;
    switch (line[0]) {
      case 'c': {
        uint64_t until = std::strtoull(token(q), nullptr, 10);
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
      case 's': { char* i = token(q); setInput(top, std::atoi(i), token(q)); break; }
      case 'a': {
        char* id = token(q);
        char* scope = token(q);
        char* name = token(q);
        const VerilatedScope* sc = nullptr;
        for (const auto& kv : *ctx.scopeNameMap()) if (std::strcmp(kv.first, scope) == 0) sc = kv.second;
        VerilatedVar* var = sc ? sc->varFind(name) : nullptr;
        if (!var) {
          std::fprintf(stderr, "no public memory %s in scope %s; scopes with one:", name, scope);
          for (const auto& kv : *ctx.scopeNameMap()) if (kv.second->varFind(name)) std::fprintf(stderr, " %s", kv.first);
          std::fprintf(stderr, "\\n");
          return 2;
        }
        uint32_t ent = var->entSize();
        uint32_t size = (uint32_t)(var->totalSize() / ent);
        mems.resize(std::atoi(id) + 1);
        mems[std::atoi(id)] = Mem{(uint8_t*)var->datap(), size, ent};
        break;
      }
      case 'm': case 'p': case 'w': {
        char* id = token(q);
        Mem& m = mems.at(std::atoi(id));
        uint32_t addr = (uint32_t)std::strtoul(token(q), nullptr, 10);
        for (bool first = true;; first = false, addr++) {
          char* v = line[0] == 'p' ? nullptr : token(q);
          if (v && !*v) {
            if (first) { std::fprintf(stderr, "memory %s: a write without a value\\n", id); return 2; }
            break;
          }
          if (addr >= m.size || m.ent > 8) {
            std::fprintf(stderr, "memory %s: word %u outside %u words (or wider than 64 bits)\\n", id, addr, m.size);
            return 2;
          }
          if (v) {
            uint64_t x = parseHex64(v);
            std::memcpy(m.data + (size_t)addr * m.ent, &x, m.ent);
          } else {
            uint64_t x = 0;
            std::memcpy(&x, m.data + (size_t)addr * m.ent, m.ent);
            char buf[64];
            std::snprintf(buf, sizeof buf, "p %s %u %llx\\n", id, addr, (unsigned long long)x);
            out += buf;
          }
          if (line[0] != 'w') break;
        }
        break;
      }
      default: std::fprintf(stderr, "bad command '%s'\\n", line); return 2;
    }
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
  const { stdout } = runTool(exe, [idx.join(',')], tmpdir(), `verilator run of ${top.name}`, script.bytes());
  return parseEventOutput(stdout);
}

/** The harness's response: the printed cycles (their fields cut out on use) and the peeked words in order. */
export function parseEventOutput(stdout: string): EventRun {
  const lines: EventLine[] = [];
  const peeks: bigint[] = [];
  for (let i = 0; i < stdout.length;) {
    let j = stdout.indexOf('\n', i);
    if (j < 0) j = stdout.length;
    if (j > i) {
      if (stdout.charCodeAt(i) === 0x70) peeks.push(BigInt('0x' + stdout.slice(stdout.lastIndexOf(' ', j) + 1, j)));
      else {
        let cycle = 0;
        let k = i;
        for (let d = stdout.charCodeAt(k); d >= 48 && d <= 57; d = stdout.charCodeAt(++k)) cycle = cycle * 10 + d - 48;
        lines.push(new PrintedLine(cycle, stdout, k < j ? k + 1 : j, j));
      }
    }
    i = j + 1;
  }
  return { lines, peeks };
}
