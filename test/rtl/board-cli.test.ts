import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getPreset } from '../../hw/presets.js';
import { ConfigError } from '../../hw/config.js';
import { UserError } from '../../src/errors.js';
import { runRtl } from '../../src/cli/commands/rtl.js';
import { boardOutput, primitiveModels } from '../../rtl/board.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { encodeStatus } from '../../rtl/host-link.js';
import { boardSystemParams } from '../../rtl/modules/board-system.js';
import { dataInputs, fieldOf, lintVerilator, runVerilator, valueOf } from '../../rtl/sim.js';
import { uartDecode, uartLevels } from '../../rtl/uart-model.js';
import { tempDir, withTools, withVerilator } from '../helpers.js';

const work = tempDir('hwq-rtl-cli-');
const args = (out: string, extra: Partial<{ config: string; verify: boolean; force: boolean }> = {}) => ({ config: 'vc709', out, verify: false, force: false, json: true, ...extra });

test('vc709 files: XDC pins and clock, Vivado non-project script, params JSON', () => {
  const { files } = boardOutput(getPreset('vc709')!);
  const x = files.get('vc709.xdc')!;
  assert.match(x, /PACKAGE_PIN H19 IOSTANDARD DIFF_SSTL15\} \[get_ports sys_clk_p\]/);
  assert.match(x, /PACKAGE_PIN G18 IOSTANDARD DIFF_SSTL15\} \[get_ports sys_clk_n\]/);
  assert.match(x, /create_clock -name sys_clk -period 5\.000 \[get_ports sys_clk_p\]/);
  assert.match(x, /PACKAGE_PIN AV40 IOSTANDARD LVCMOS18\} \[get_ports cpu_reset\]/);
  const leds = [...x.matchAll(/PACKAGE_PIN (\w+) IOSTANDARD LVCMOS18\} \[get_ports \{led\[(\d)\]\}\]/g)].map((m) => `${m[2]}:${m[1]}`);
  assert.equal(leds, ['0:AM39', '1:AN39', '2:AR37', '3:AT37', '4:AR35', '5:AP41', '6:AP42', '7:AU39']);
  assert.match(x, /PACKAGE_PIN AU36 IOSTANDARD LVCMOS18\} \[get_ports uart_txd\]/);
  assert.match(x, /PACKAGE_PIN AU33 IOSTANDARD LVCMOS18\} \[get_ports uart_rxd\]/);
  const tcl = files.get('build.tcl')!;
  for (const step of [
    'read_verilog', 'read_xdc', 'synth_design -top $top -part $part', 'opt_design', 'place_design', 'route_design', 'report_timing_summary',
    'report_utilization', 'write_bitstream',
  ]) assert.ok(tcl.includes(step), step);
  assert.match(tcl, /set part  xc7vx690tffg1761-2/);
  for (const f of [...files.keys()].filter((n) => n.endsWith('.v'))) assert.ok(tcl.includes(`$here ${f}]`), f);
  assert.ok(files.has('board_system.v') && files.has('axi_bram.v') && files.has('vc709_top.v'));
  assert.not.ok(files.has('board_system_sim.v'), 'the simulation wrapper is no synthesis source');
  // the DDR3 path: only with -tclargs use_ddr3, board_system_axi behind MIG; its own pins file
  assert.match(tcl, /set use_ddr3 \[expr \{\[lsearch -exact \$argv use_ddr3\] >= 0\}\]/);
  assert.match(tcl, /create_bd_cell -type module -reference board_system_axi u_board/);
  assert.match(tcl, /set_property CONFIG.CLKS_PER_BIT 2025 \$board/);
  assert.match(files.get('vc709_ddr3.xdc')!, /PACKAGE_PIN AU36 IOSTANDARD LVCMOS18\} \[get_ports uart_txd\]/);
  const pj = JSON.parse(files.get('params.json')!);
  assert.is(pj.array.rows, 8);
  assert.is(pj.descriptor.bits, 166);
  assert.is(pj.output.descriptor.bits, 253);
  assert.is(pj.output.channels, 2048);
  assert.is(pj.timing.exampleTileCycles.cycles, 1 + 1 + 7 + 7 + 2);
  assert.equal([pj.board.clksPerBit, pj.board.memoryWords, pj.board.windows.status], [1736, 2 ** 18, 0xc00000]);
});

test('hwq rtl writes every file, refuses a non-empty --out without --force, replaces it with --force', async () => {
  const out = join(work, 'vc709');
  const r = await runRtl(args(out));
  assert.equal(readdirSync(out).sort(), [...r.files].sort());
  assert.ok(r.files.includes('vc709_top.v') && r.files.includes('bitfusion_core.v') && r.files.includes('fusion_unit.v'));
  try {
    await runRtl(args(out, { config: 'bitfusion-8x8' }));
    assert.unreachable('should refuse');
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, /--force/);
  }
  await runRtl(args(out, { config: 'bitfusion-8x8', force: true }));
  assert.match(readFileSync(join(out, 'fusion_unit.v'), 'utf8'), /config 'bitfusion-8x8'/);
  assert.equal(readdirSync(work).filter((n) => n.startsWith('.')), [], 'no temp directories left');
});

test('hwq rtl: bad configs are user errors and leave nothing behind', async () => {
  const out = join(work, 'bad');
  try {
    await runRtl(args(out, { config: 'nope' }));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ConfigError);
    assert.match((e as Error).message, /valid presets are/);
  }
  const f = join(work, 'm4.json');
  writeFileSync(f, JSON.stringify({ base: 'vc709', maxBits: 4, bitBricksPerUnit: 4 }));
  try {
    await runRtl(args(out, { config: f }));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, /maxBits 8/);
  }
  const one = join(work, 'r1.json');
  writeFileSync(one, JSON.stringify({ base: 'vc709', rows: 1 }));
  try {
    await runRtl(args(out, { config: one }));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, /at least 2 rows/);
  }
  assert.not.ok(existsSync(out));
  // missing parent folders are created, as for every output (src/cli/outputs.ts)
  await runRtl(args(join(work, 'missing', 'deeper')));
  assert.ok(existsSync(join(work, 'missing', 'deeper', 'bitfusion_core.v')));
  rmSync(join(work, 'missing'), { recursive: true });
});

withVerilator(test, 'hwq rtl --verify checks a 2x2 config under Verilator before writing', async () => {
  const f = join(work, 'small.json');
  writeFileSync(f, JSON.stringify({ base: 'vc709', rows: 2, cols: 2 }));
  const out = join(work, 'small');
  const r = await runRtl(args(out, { config: f, verify: true }));
  assert.equal(r.checks.map((c) => c.what), ['bitbrick exhaustive', 'fusion_unit', 'bitfusion_core 2x2']);
  assert.equal(r.checks.map((c) => c.mismatches), [0, 0, 0]);
  assert.equal(r.checks.map((c) => c.checked), [64, 9 * 4 * 68 + 2, 40]);
  assert.ok(existsSync(join(out, 'bitfusion_core.v')));
});

withVerilator(test, 'verilator --lint-only -Wall is clean for vc709_top (with stand-ins for IBUFDS/BUFG)', () => {
  const { files } = boardOutput(getPreset('vc709')!);
  const src = new Map([...files].filter(([n]) => n.endsWith('.v')));
  for (const [n, t] of primitiveModels) src.set(n, t);
  assert.is(lintVerilator(src, 'vc709_top'), '');
});

withTools(test, ['yosys'], 'yosys elaborates vc709_top with the Xilinx primitives (hierarchy complete)', () => {
  const { files } = boardOutput(getPreset('vc709')!);
  const dir = tempDir('hwq-yosys-top-');
  const vs = [...files.keys()].filter((n) => n.endsWith('.v'));
  for (const n of vs) writeFileSync(join(dir, n), files.get(n)!);
  const r = spawnSync('yosys', ['-q', '-p', `read_verilog ${vs.join(' ')}; synth_xilinx -family xc7 -top vc709_top -run begin:coarse; hierarchy -check`], { cwd: dir, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
});

withVerilator(test, 'vc709_top on a 2x2 array answers a status command on its UART pins at 115200 baud; the RX and TX LEDs light', () => {
  const { design, files, top } = boardOutput(vc709Sized(2, 2));
  const src = new Map([...files].filter(([n]) => n.endsWith('.v')));
  for (const [n, t] of primitiveModels) src.set(n, t);
  const cpb = boardSystemParams(design.params).clksPerBit;
  const rxd = [...Array<number>(20).fill(1), ...uartLevels(encodeStatus().bytes, cpb), ...Array<number>(25 * cpb).fill(1)];
  const simTop = { name: 'vc709_top', ports: top.ports, clock: 'sys_clk_p' };
  const names = dataInputs(simTop).map((q) => q.name);
  const stim = rxd.map((v, k) => names.map((n) => (n === 'cpu_reset' ? BigInt(k < 8) : n === 'uart_rxd' ? BigInt(v) : 0n)));
  const resp = runVerilator(src, simTop, stim);
  const outs = simTop.ports.filter((q) => q.dir === 'output').map((q) => q.name);
  const txd = resp.map((r) => Number(valueOf(r[outs.indexOf('uart_txd')])));
  assert.equal(uartDecode(txd, cpb).map((b) => b.byte), [0x84, 0], 'status reply: not busy, not done');
  const led = (k: number, i: number) => fieldOf(resp[k][outs.indexOf('led')], i, 1);
  assert.is(led(25 * cpb, 6), 1n, 'RX activity');
  assert.is(led(resp.length - 1, 7), 1n, 'TX activity');
  assert.is(led(resp.length - 1, 1), 0n, 'not busy');
});

test.run();
