// The board memory (axi_bram) under Icarus: host word writes and reads, AXI4 write bursts with random byte
// strobes, valid gaps and late bready, and read bursts with rready stalls, in a random order; every R beat and
// host read must return what a byte array says, for 32-, 64- and 128-bit beats.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withIcarus } from '../helpers.js';
import { axiBramModule } from '../../rtl/modules/axi-bram.js';
import { runTool } from '../../rtl/sim.js';
import { prng, randInt } from '../../rtl/verify.js';

const PROV = { configName: 'test' };
const hex = (v: bigint, bits: number) => v.toString(16).padStart(bits / 4, '0');

for (const dataBits of [32, 64, 128]) {
  withIcarus(test, `axi_bram, ${dataBits}-bit beats: bursts with stalls and the host port agree with a byte array`, () => {
    const beats = 64;
    const bytes = dataBits / 8;
    const r = prng(dataBits);
    const mem = new Uint8Array(beats * bytes);
    const beatOf = (b: number) => mem.slice(b * bytes, (b + 1) * bytes).reduceRight((v, x) => (v << 8n) | BigInt(x), 0n);
    const code: string[] = [];
    const want: string[] = [];
    for (let op = 0; op < 120; op++) {
      const kind = randInt(r, 0, 3);
      if (kind === 0) {
        const a = randInt(r, 0, (beats * bytes) / 4 - 1);
        const d = randInt(r, 0, 0xffff) * 65536 + randInt(r, 0, 0xffff);
        for (let i = 0; i < 4; i++) mem[a * 4 + i] = (d >>> (8 * i)) & 255;
        code.push(`    @(negedge clk) h_we = 1; h_addr = ${a}; h_wdata = 32'h${d.toString(16)}; @(negedge clk) h_we = 0;`);
      } else if (kind === 1) {
        const a = randInt(r, 0, (beats * bytes) / 4 - 1);
        code.push(`    @(negedge clk) h_re = 1; h_addr = ${a}; @(negedge clk) h_re = 0; $display("H %h", h_rdata);`);
        want.push(`H ${hex(BigInt(mem[a * 4] | (mem[a * 4 + 1] << 8) | (mem[a * 4 + 2] << 16)) + (BigInt(mem[a * 4 + 3]) << 24n), 32)}`);
      } else if (kind === 2) {
        const len = randInt(r, 1, 8);
        const start = randInt(r, 0, beats - len);
        code.push(`    @(negedge clk) awvalid = 1; awaddr = ${start * bytes}; awlen = ${len - 1}; while (!awready) @(negedge clk); @(negedge clk) awvalid = 0;`);
        for (let k = 0; k < len; k++) {
          const strb = randInt(r, 0, 2 ** bytes - 1);
          let data = 0n;
          for (let i = 0; i < bytes; i++) {
            const v = randInt(r, 0, 255);
            data |= BigInt(v) << BigInt(8 * i);
            if ((strb >> i) & 1) mem[(start + k) * bytes + i] = v;
          }
          const gap = randInt(r, 0, 2);
          code.push(`    repeat (${gap}) @(negedge clk); wvalid = 1; wdata = ${dataBits}'h${hex(data, dataBits)}; wstrb = ${bytes}'h${strb.toString(16)}; `
            + `wlast = ${k === len - 1 ? 1 : 0}; while (!wready) @(negedge clk); @(negedge clk) wvalid = 0;`);
        }
        code.push(`    while (!bvalid) @(negedge clk); repeat (${randInt(r, 0, 3)}) @(negedge clk); bready = 1; @(negedge clk) bready = 0;`);
      } else {
        const len = randInt(r, 1, 8);
        const start = randInt(r, 0, beats - len);
        code.push(`    @(negedge clk) arvalid = 1; araddr = ${start * bytes}; arlen = ${len - 1}; while (!arready) @(negedge clk); @(negedge clk) arvalid = 0;`);
        const stalls = Array.from({ length: 3 * len + 4 }, () => (randInt(r, 0, 2) > 0 ? 1 : 0));
        code.push(`    got = 0; k = 0; while (got < ${len}) begin rready = stall[k]; if (rvalid && rready) begin $display("R %h %0d", rdata, rlast); `
          + `got = got + 1; end @(negedge clk); k = k + 1; end rready = 0;`);
        code.push(`    // stalls for the next read`);
        code.unshift(`    stall = ${stalls.length + 40}'b${[...Array(40).fill(1), ...stalls].reverse().join('')};`);
        for (let k = 0; k < len; k++) want.push(`R ${hex(beatOf(start + k), dataBits)} ${k === len - 1 ? 1 : 0}`);
      }
    }
    const m = axiBramModule({ dataBits, addrBits: 32, beats }, PROV);
    const haw = Math.log2((beats * dataBits) / 32);
    // Each read burst sets its own stall pattern just before it runs: re-order the pattern lines in front of their reads.
    const body: string[] = [];
    const patterns = code.filter((l) => l.startsWith('    stall = ')).reverse();
    for (const l of code) {
      if (l.startsWith('    stall = ')) continue;
      if (l.includes('arvalid = 1')) body.push(patterns.shift()!);
      body.push(l);
    }
    const tb = `module tb;
  reg clk = 0, rst = 1;
  reg h_we = 0, h_re = 0; reg [${haw - 1}:0] h_addr = 0; reg [31:0] h_wdata = 0; wire [31:0] h_rdata;
  reg arvalid = 0, rready = 0, awvalid = 0, wvalid = 0, wlast = 0, bready = 0;
  reg [31:0] araddr = 0, awaddr = 0; reg [7:0] arlen = 0, awlen = 0;
  reg [${dataBits - 1}:0] wdata = 0; reg [${bytes - 1}:0] wstrb = 0;
  wire arready, rvalid, rlast, awready, wready, bvalid; wire [${dataBits - 1}:0] rdata; wire [1:0] rresp, bresp;
  reg [255:0] stall; integer got, k;
  axi_bram u (.clk(clk), .rst(rst),
    .s_axi_araddr(araddr), .s_axi_arlen(arlen), .s_axi_arvalid(arvalid), .s_axi_arready(arready),
    .s_axi_rdata(rdata), .s_axi_rresp(rresp), .s_axi_rlast(rlast), .s_axi_rvalid(rvalid), .s_axi_rready(rready),
    .s_axi_awaddr(awaddr), .s_axi_awlen(awlen), .s_axi_awvalid(awvalid), .s_axi_awready(awready),
    .s_axi_wdata(wdata), .s_axi_wstrb(wstrb), .s_axi_wlast(wlast), .s_axi_wvalid(wvalid), .s_axi_wready(wready),
    .s_axi_bresp(bresp), .s_axi_bvalid(bvalid), .s_axi_bready(bready),
    .h_we(h_we), .h_re(h_re), .h_addr(h_addr), .h_wdata(h_wdata), .h_rdata(h_rdata));
  always #5 clk = ~clk;
  initial begin
    // the memory starts at zero, as the byte array does
    for (k = 0; k < ${beats}; k = k + 1) u.mem[k] = 0;
    #22 rst = 0;
${body.join('\n')}
    $finish;
  end
endmodule
`;
    const dir = mkdtempSync(join(tmpdir(), 'hwq-axibram-'));
    writeFileSync(join(dir, 'axi_bram.v'), m.text);
    writeFileSync(join(dir, 'tb.v'), tb);
    runTool('iverilog', ['-g2012', '-o', 'sim.vvp', '-s', 'tb', 'axi_bram.v', 'tb.v'], dir, 'iverilog compile of axi_bram');
    const got = runTool('vvp', ['-n', 'sim.vvp'], dir, 'axi_bram testbench').stdout.trim().split('\n').filter((l) => /^[HR] /.test(l));
    assert.ok(want.filter((w) => w.startsWith('R')).length > 40, 'read beats checked');
    assert.equal(got, want);
  });
}

test.run();
