// board_system (host_link + bitfusion_system + axi_bram) under Verilator as a serial device: the host code that
// drives the board's USB-UART (HostLink over a StreamByteLink) runs the tiny residual network through the
// simulated UART pins, host step included; the logits equal the integer model's. A bad opcode stops the run with
// a clear error, and the status registers report the build's sizes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, withVerilator } from '../helpers.js';
import { writeNpy } from '../compat/models.js';
import { runCaptured } from '../cli/run-hwq.js';
import { getPreset, loadConfig } from '../../hw/presets.js';
import { loadHwq } from '../../src/intmodel/format.js';
import { runNetwork } from '../../src/intmodel/run-network.js';
import { simTiling } from '../../src/jobs/kinds/rtl-image.js';
import { BOARD_MEM_WORDS, windowBase } from '../../rtl/board-map.js';
import { BoardRunError, loadProgramOverLink, readBoardStatus, runLoadedProgram, runProgramOverLink } from '../../rtl/board-run.js';
import { BoardSim, SIM_CLKS_PER_BIT } from '../../rtl/board-sim.js';
import { generateRtl, provenance, sourcesOf } from '../../rtl/generate.js';
import { boardModules } from '../../rtl/modules/board-system.js';
import { IM_ADDR_BITS } from '../../rtl/modules/system.js';
import { compileNetwork } from '../../rtl/net-program.js';
import { rtlParams } from '../../rtl/params.js';
import { lintVerilator } from '../../rtl/sim.js';
import { TINY, quantizeTiny, tinyInputs } from '../intmodel/tiny-resnet.js';

// The 4x2 vc709 design of both runs, as a config file for the CLI (one Verilator build serves both).
const dir = tempDir('hwq-board-');
const CFG_FILE = join(dir, 'vc709-4x2.json');
writeFileSync(CFG_FILE, JSON.stringify({ base: 'vc709', rows: 4, cols: 2 }));

withVerilator(test, 'board_system, board_system_axi and axi_word_port as generated for vc709 lint clean (-Wall)', () => {
  const design = generateRtl(getPreset('vc709')!);
  const src = sourcesOf(design);
  for (const m of boardModules(design.params, provenance(design.params), undefined, true)) src.set(`${m.name}.v`, m.text);
  for (const top of ['board_system', 'board_system_axi', 'axi_word_port']) assert.is(lintVerilator(src, top), '', top);
});

withVerilator(test, 'tiny network a4w4 on the 4x2 board through the UART model: load, run, host step, run; logits equal; a bad opcode is an error', async () => {
  const { hwq } = await quantizeTiny(4);
  const model = loadHwq(hwq);
  const cfg = loadConfig(CFG_FILE);
  const p = rtlParams(cfg);
  const prog = compileNetwork(model, cfg, p, hwq, simTiling(cfg));
  const [x] = tinyInputs(1, 13);
  const want = runNetwork(model, x, hwq);
  const sim = BoardSim.start(cfg);
  try {
    const st = await readBoardStatus(sim.link);
    assert.equal([st.busy, st.done, st.memWords, st.imWords, st.rows, st.cols], [false, false, BOARD_MEM_WORDS, 2 ** IM_ADDR_BITS, 4, 2]);
    try {
      await loadProgramOverLink(sim.link, prog, rtlParams(getPreset('vc709')!), x);
      assert.unreachable('a program for another array must be refused');
    } catch (e) {
      assert.instance(e, BoardRunError);
      assert.match((e as Error).message, /the board's design has a 4x2 array; the program is compiled for 8x8/);
    }
    const loaded = await loadProgramOverLink(sim.link, prog, p, x);
    const run = await runLoadedProgram(sim.link, loaded);
    assert.equal(run.segments.map((s) => s.stopCode), [1, 0], 'a host step, then the end');
    assert.ok(run.segments.every((s) => s.cycles > 100), 'the board counted the running cycles');
    assert.equal(Array.from(run.logits), Array.from(want.accumulators));
    // The same program again from the board's memory as the first run left it: the input copies are read-only, so
    // only the instruction memory's first word changes: an unknown opcode (0xff, no payload).
    await sim.link.write(windowBase('imem'), [0xffn]);
    try {
      await runLoadedProgram(sim.link, loaded);
      assert.unreachable('a bad opcode must stop the run');
    } catch (e) {
      assert.instance(e, BoardRunError);
      assert.match((e as Error).message, /bad opcode 0xff in the instruction before word 1/);
    }
    const after = await readBoardStatus(sim.link);
    assert.equal([after.done, after.stopCode, after.stopArg, after.stopPc], [true, 2, 0xff, 1]);
  } finally {
    const { cycles } = await sim.close();
    assert.ok(cycles > 0);
    console.log(`  board sim at ${SIM_CLKS_PER_BIT} cycles per bit: ${cycles} cycles, program ${prog.words} memory words`);
  }
});

withVerilator(test, 'tiny network a4w4 on board_system_axi: the host\'s words and the system\'s bursts through one AXI4 port to the DRAM model', async () => {
  const { hwq } = await quantizeTiny(4);
  const model = loadHwq(hwq);
  const cfg = loadConfig(CFG_FILE);
  const p = rtlParams(cfg);
  const prog = compileNetwork(model, cfg, p, hwq, simTiling(cfg));
  const [x] = tinyInputs(1, 17);
  const sim = BoardSim.start(cfg, { memory: 'dram' });
  try {
    const st = await readBoardStatus(sim.link);
    assert.equal([st.memWords, st.lost], [2 ** 23, false]);
    const run = await runProgramOverLink(sim.link, prog, p, x);
    assert.equal(run.segments.map((s) => s.stopCode), [1, 0]);
    assert.equal(Array.from(run.logits), Array.from(runNetwork(model, x, hwq).accumulators));
    assert.is((await readBoardStatus(sim.link)).lost, false);
    console.log(`  board_system_axi on the DRAM model: ${run.segments.map((s) => s.cycles).join(' + ')} cycles`);
  } finally {
    await sim.close();
  }
});

withVerilator(test, 'hwq board run --sim: the tiny network a4w4 on the 4x2 board model, logits equal, JSON and text', async () => {
  const { hwq } = await quantizeTiny(4);
  const cfg = CFG_FILE;
  const npy = writeNpy(join(dir, 'x.npy'), [TINY.C0, TINY.H, TINY.W], Array.from(tinyInputs(1, 21)[0]));
  const want = runNetwork(loadHwq(hwq), tinyInputs(1, 21)[0], hwq).accumulators;
  const r = await runCaptured(['board', 'run', '--model', hwq, '--image', npy, '--sim', '--config', cfg, '--json']);
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal([j.logitsEqual, j.link, j.segments.map((s: { stopCode: number }) => s.stopCode)], [true, 'sim', [1, 0]]);
  assert.equal(j.logits, Array.from(want));
  assert.ok(j.simCycles > j.runCycles && j.runCycles > 0 && j.wordsWritten > 0 && j.wordsRead > 0);
  const t = await runCaptured(['board', 'run', '--model', hwq, '--image', npy, '--sim', '--config', cfg]);
  assert.is(t.code, 0, t.stderr);
  assert.match(t.stdout, /logits equal to the integer model's/);
});

test.run();
