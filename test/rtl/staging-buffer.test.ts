// The staging buffer under Icarus: random writes of 1..COLS consecutive words at any address, then every word
// read back one a cycle, against an array; for 1, 3, 4 and 8 lanes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withIcarus } from '../helpers.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { sdpRamModule } from '../../rtl/modules/buffers.js';
import { stagingModule, stagingWords } from '../../rtl/modules/staging-buffer.js';
import { rtlParams } from '../../rtl/params.js';
import { runTool } from '../../rtl/sim.js';
import { prng, randInt } from '../../rtl/verify.js';

const PROV = { configName: 'test' };

for (const cols of [1, 3, 4, 8]) {
  withIcarus(test, `staging buffer, ${cols} lanes: multi-word writes land where a flat array says`, () => {
    const p = rtlParams(vc709Sized(2, cols));
    const m = stagingModule(p, PROV);
    const depth = stagingWords(p);
    const aw = Math.log2(depth);
    const r = prng(cols * 7 + 1);
    const model = new Array<number>(depth).fill(-1);
    const lines: string[] = [];
    for (let k = 0; k < Math.max(300, (3 * depth) / cols); k++) {
      const addr = randInt(r, 0, depth - cols);
      const count = randInt(r, 1, cols);
      const words = Array.from({ length: cols }, () => randInt(r, 0, 0xffff) * 65536 + randInt(r, 0, 0xffff));
      for (let i = 0; i < count; i++) model[addr + i] = words[i];
      const data = words.map((w) => w.toString(16).padStart(8, '0')).reverse().join('');
      lines.push(`    @(negedge clk) wr_en = 1; wr_addr = ${addr}; wr_count = ${count}; wr_data = ${cols * 32}'h${data};`);
    }
    lines.push('    @(negedge clk) wr_en = 0;');
    for (let a = 0; a < depth; a++) lines.push(`    @(negedge clk) rd_en = 1; rd_addr = ${a}; @(posedge clk) #1 $display("%0d %h", ${a}, rd_data);`);
    const cw = Math.ceil(Math.log2(cols + 1));
    const tb = `module tb;
  reg clk = 0, wr_en = 0, rd_en = 0;
  reg [${aw - 1}:0] wr_addr = 0, rd_addr = 0;
  reg [${cw - 1}:0] wr_count = 0;
  reg [${cols * 32 - 1}:0] wr_data = 0;
  wire [31:0] rd_data;
  staging_buffer u (.clk(clk), .wr_en(wr_en), .wr_addr(wr_addr), .wr_count(wr_count), .wr_data(wr_data), .rd_en(rd_en), .rd_addr(rd_addr), .rd_data(rd_data));
  always #5 clk = ~clk;
  initial begin
${lines.join('\n')}
    $finish;
  end
endmodule
`;
    const dir = mkdtempSync(join(tmpdir(), 'hwq-staging-'));
    writeFileSync(join(dir, 'sdp_ram.v'), sdpRamModule(PROV).text);
    writeFileSync(join(dir, 'staging_buffer.v'), m.text);
    writeFileSync(join(dir, 'tb.v'), tb);
    runTool('iverilog', ['-g2012', '-o', 'sim.vvp', '-s', 'tb', 'sdp_ram.v', 'staging_buffer.v', 'tb.v'], dir, 'iverilog compile of staging_buffer');
    const got = runTool('vvp', ['-n', 'sim.vvp'], dir, 'staging buffer testbench').stdout.trim().split('\n').filter((l) => /^\d+ /.test(l))
      .map((l) => parseInt(l.split(' ')[1], 16));
    assert.is(got.length, depth);
    // Words never written read as x (NaN here); every written one holds its last write.
    assert.ok(model.filter((v) => v >= 0).length > depth / 2, 'most words written');
    assert.equal(got.map((v, a) => (model[a] < 0 ? -1 : v)), model);
  });
}

test.run();
