// The sequencer under Icarus with behavioural engines (each accepts a command after a few cycles and finishes a
// few cycles later): it must hand every instruction of a compiled network program to its engine in order with
// its payload bit for bit, write the row table entries of every rows instruction, stop at the host step with the
// step number and the next instruction's address, resume there, and stop at the end; a bad opcode stops it too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withIcarus } from '../helpers.js';
import { loadHwq } from '../../src/intmodel/format.js';
import { simTiling } from '../../src/jobs/kinds/rtl-image.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { rowTableBits } from '../../rtl/descriptor.js';
import { encodeProgram, instrLayout } from '../../rtl/isa.js';
import { sdpRamModule } from '../../rtl/modules/buffers.js';
import { ENGINE_OF, STOP_CODE, maxPayloadWords, sequencerModule } from '../../rtl/modules/sequencer.js';
import { compileNetwork } from '../../rtl/net-program.js';
import { rtlParams } from '../../rtl/params.js';
import { runTool } from '../../rtl/sim.js';
import { quantizeTiny } from '../intmodel/tiny-resnet.js';

const PROV = { configName: 'test' };

function testbench(words: Uint32Array, imAw: number, payBits: number, width: (port: string) => number): string {
  const init = Array.from(words, (w, i) => `    u_seq.u_imem.mem[${i}] = 32'h${w.toString(16).padStart(8, '0')};`).join('\n');
  return `\`timescale 1ns/1ps
module tb;
  reg clk = 0, rst = 1, run = 0;
  reg [${imAw - 1}:0] run_pc = 0;
  wire busy, halted, ld_valid, st_valid, tile_start, op_start, rt_wr_en;
  wire [1:0] stop_code;
  wire [${imAw - 1}:0] stop_pc;
  wire [15:0] stop_arg;
  wire [${payBits - 1}:0] fields;
  wire [7:0] cmd_op;
  wire [${width('tile_desc') - 1}:0] tile_desc;
  wire [${width('op_desc') - 1}:0] op_desc;
  wire [${width('rt_wr_row') - 1}:0] rt_wr_row;
  wire [${width('rt_wr_data') - 1}:0] rt_wr_data;
  // Behavioural engines, each on its own: ready after (cycle % 3) cycles, done 2..12 cycles after accepting.
  integer cyc = 0;
  integer left [0:3];
  reg ld_ready = 0, st_ready = 0, ld_done = 0, st_done = 0, tile_done = 0, op_done = 0, tile_busy = 0, op_busy = 0;
  wire [3:0] eng_busy = {left[3] >= 0, left[2] >= 0, left[1] >= 0, left[0] >= 0};
  net_sequencer u_seq (
    .clk(clk), .rst(rst), .im_we(1'b0), .im_waddr({${imAw}{1'b0}}), .im_wdata(32'd0), .run(run), .run_pc(run_pc),
    .busy(busy), .pc(), .halted(halted), .stop_code(stop_code), .stop_pc(stop_pc), .stop_arg(stop_arg), .fields(fields),
    .ld_valid(ld_valid), .ld_ready(ld_ready), .ld_done(ld_done), .st_valid(st_valid), .st_ready(st_ready), .st_done(st_done),
    .cmd_op(cmd_op), .tile_start(tile_start), .tile_desc(tile_desc), .tile_busy(tile_busy), .tile_done(tile_done),
    .rt_wr_en(rt_wr_en), .rt_wr_row(rt_wr_row), .rt_wr_data(rt_wr_data), .op_start(op_start), .op_desc(op_desc), .op_busy(op_busy), .op_done(op_done)
  );
  always #5 clk = ~clk;
  initial begin
    left[0] = -1; left[1] = -1; left[2] = -1; left[3] = -1;
${init}
  end
  // At every issue: the wait mask and which engines still run a command (bit 0 loader, 1 storer, 2 core, 3 output).
  always @(posedge clk) begin
    cyc <= cyc + 1;
    ld_done <= 0; st_done <= 0; tile_done <= 0; op_done <= 0;
    ld_ready <= ld_valid && (cyc % 3 == 0);
    st_ready <= st_valid && (cyc % 3 == 1);
    if (ld_valid && ld_ready) begin $display("D %0d %h", cmd_op, fields); $display("W %0d %0d %0d", u_seq.mask, eng_busy, 0); left[0] <= 2 + (cyc * 7) % 11; end
    if (st_valid && st_ready) begin $display("D %0d %h", cmd_op, fields); $display("W %0d %0d %0d", u_seq.mask, eng_busy, 1); left[1] <= 2 + (cyc * 7) % 11; end
    if (tile_start) begin $display("D 4 %h", tile_desc); $display("W %0d %0d %0d", u_seq.mask, eng_busy, 2); left[2] <= 2 + (cyc * 7) % 11; tile_busy <= 1; end
    if (op_start) begin $display("D 6 %h", op_desc); $display("W %0d %0d %0d", u_seq.mask, eng_busy, 3); left[3] <= 2 + (cyc * 7) % 11; op_busy <= 1; end
    if (rt_wr_en) $display("R %0d %h", rt_wr_row, rt_wr_data);
    if (u_seq.state == 3'd6 && u_seq.row == 0) $display("W %0d %0d %0d", u_seq.mask, eng_busy, 4);
    if (left[0] == 0) ld_done <= 1;
    if (left[1] == 0) st_done <= 1;
    if (left[2] == 0) begin tile_done <= 1; tile_busy <= 0; end
    if (left[3] == 0) begin op_done <= 1; op_busy <= 0; end
    if (left[0] >= 0 && !(ld_valid && ld_ready)) left[0] <= left[0] - 1;
    if (left[1] >= 0 && !(st_valid && st_ready)) left[1] <= left[1] - 1;
    if (left[2] >= 0 && !tile_start) left[2] <= left[2] - 1;
    if (left[3] >= 0 && !op_start) left[3] <= left[3] - 1;
    if (halted) $display("H %0d %0d %0d %0d", stop_code, stop_pc, stop_arg, eng_busy);
  end
  initial begin
    #21 rst = 0;
    #20 run = 1; #10 run = 0;
    wait (halted); #20;
    run_pc = u_seq.stop_pc; run = 1; #10 run = 0;
    wait (halted); #20;
    $finish;
  end
  initial begin #50000000 $display("TIMEOUT"); $finish; end
endmodule
`;
}

withIcarus(test, 'the sequencer hands a compiled program to its engines in order, payloads bit for bit, and stops at the host step and the end', async () => {
  const { hwq } = await quantizeTiny(4);
  const model = loadHwq(hwq);
  const cfg = vc709Sized(4, 2);
  const p = rtlParams(cfg);
  const prog = compileNetwork(model, cfg, p, hwq, simTiling(cfg));
  const words = encodeProgram(prog.instrs, p);
  const imAw = Math.ceil(Math.log2(words.length + 1));
  const payBits = maxPayloadWords(p) * 32;
  const dir = mkdtempSync(join(tmpdir(), 'hwq-seq-'));
  writeFileSync(join(dir, 'sdp_ram.v'), sdpRamModule(PROV).text);
  const seq = sequencerModule(p, { imAddrBits: imAw }, PROV);
  writeFileSync(join(dir, 'net_sequencer.v'), seq.text);
  writeFileSync(join(dir, 'tb.v'), testbench(words, imAw, payBits, (n) => seq.ports.find((x) => x.name === n)!.width));
  runTool('iverilog', ['-g2012', '-o', 'sim.vvp', '-s', 'tb', 'sdp_ram.v', 'net_sequencer.v', 'tb.v'], dir, 'iverilog compile of the sequencer');
  const out = runTool('vvp', ['-n', 'sim.vvp'], dir, 'the sequencer testbench').stdout.split('\n').filter((l) => /^[DRHW] |TIMEOUT/.test(l));
  const waits = out.filter((l) => l.startsWith('W ')).map((l) => l.split(' ').slice(1).map(Number));
  const events = out.filter((l) => !l.startsWith('W '));

  // What it should do: every engine instruction's payload, every row write, and the two stops.
  const want: string[] = [];
  let at = 0;
  const hostAt = prog.instrs.findIndex((i) => i.op === 'host');
  prog.instrs.forEach((ins, k) => {
    const n = (words[at] >>> 8) & 0xff;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 32n) | BigInt(words[at + 1 + i]);
    at += 1 + n;
    const engine = ENGINE_OF[ins.op];
    const layout = instrLayout(ins.op, p);
    const bits = layout.length ? layout[layout.length - 1].lsb + layout[layout.length - 1].bits : 0;
    if (engine === 'rows') {
      const w = rowTableBits(p);
      for (let r = 0; r < p.rows; r++) want.push(`R ${r} ${((v >> BigInt(r * w)) & ((1n << BigInt(w)) - 1n)).toString(16).padStart(Math.ceil(w / 4), '0')}`);
    } else if (engine === 'halt') {
      want.push(`H ${ins.op === 'end' ? STOP_CODE.end : STOP_CODE.host} ${at} ${k === hostAt && ins.op === 'host' ? ins.step : 0} 0`);
    } else {
      // The engine sees the whole payload register; compare the instruction's own bits.
      want.push(`D ${words[at - 1 - n] & 0xff} ${bits}:${(v & ((1n << BigInt(bits)) - 1n)).toString(16)}`);
    }
  });
  const got = events.map((l) => {
    if (!l.startsWith('D ')) return l;
    const [, op, hex] = l.split(' ');
    const ins = Object.entries(ENGINE_OF).find(([o]) => instrOpcode(o) === Number(op))![0] as keyof typeof ENGINE_OF;
    const layout = instrLayout(ins, p);
    const bits = layout[layout.length - 1].lsb + layout[layout.length - 1].bits;
    return `D ${op} ${bits}:${(BigInt(`0x${hex}`) & ((1n << BigInt(bits)) - 1n)).toString(16)}`;
  });
  assert.ok(!out.includes('TIMEOUT'), 'the testbench finished');
  assert.is(got.length, want.length, 'as many events as the program has');
  assert.equal(got, want);
  // Overlap: an issue finds no engine of its mask, nor its own engine, still running (halts find all idle: H ... 0).
  assert.ok(waits.length > 0);
  for (const [mask, busy, engine] of waits) {
    assert.is(mask & busy, 0, `an issue with mask ${mask} while engines ${busy} run`);
    if (engine < 4) assert.is(busy & (1 << engine), 0, `an issue to engine ${engine} while it runs`);
  }
  assert.ok(waits.some(([, busy]) => busy !== 0), 'some instruction issued while another engine ran');
});

function instrOpcode(op: string): number {
  return (OPCODE_TABLE as Record<string, number>)[op];
}
import { OPCODES as OPCODE_TABLE } from '../../rtl/isa.js';

test.run();
