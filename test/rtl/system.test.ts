// The whole system on a real network: the tiny residual network's program (rtl/net-program.ts) in the sequencer's
// instruction memory, its weights, tables and image in the DRAM model, run under Verilator to the host step (the
// pool), resumed to the end: every tensor it leaves in memory and the logits equal the integer model's. The engines
// run overlapped (the compiler's wait masks); with every instruction waiting for every engine the run gives the same
// memory in more cycles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withVerilator } from '../helpers.js';
import { loadHwq } from '../../src/intmodel/format.js';
import { runNetwork } from '../../src/intmodel/run-network.js';
import { simTiling } from '../../src/jobs/kinds/rtl-image.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { ALL_ENGINES } from '../../rtl/net-deps.js';
import { tensorCodes } from '../../rtl/net-exec.js';
import { compileNetwork } from '../../rtl/net-program.js';
import { rtlParams } from '../../rtl/params.js';
import { runProgramOnSystem } from '../../rtl/system-run.js';
import { quantizeTiny, tinyInputs } from '../intmodel/tiny-resnet.js';

for (const [bits, rows, cols] of [[4, 4, 2], [8, 2, 2]] as const) {
  withVerilator(test, `tiny network a${bits}w${bits} on the ${rows}x${cols} system: run, host step, run; every tensor and the logits`, async () => {
    const { hwq } = await quantizeTiny(bits);
    const model = loadHwq(hwq);
    const cfg = vc709Sized(rows, cols);
    const prog = compileNetwork(model, cfg, rtlParams(cfg), hwq, simTiling(cfg));
    const [x] = tinyInputs(1, 9 + bits);
    const want = runNetwork(model, x, hwq);
    const got = runProgramOnSystem(prog, cfg, x);
    assert.equal(got.segments.map((s) => s.stopCode), [1, 0], 'a host step, then the end');
    for (const [name, t] of want.tensors) {
      for (const c of prog.tensors.get(name)!.copies) assert.equal(Array.from(tensorCodes(got.memory, c)), Array.from(t.codes), name);
    }
    assert.equal(Array.from(got.accumulators), Array.from(want.accumulators));
    if (bits !== 4) return;
    const serial = runProgramOnSystem(prog, cfg, x, prog.instrs.map(() => ALL_ENGINES));
    assert.equal(Array.from(serial.memory), Array.from(got.memory), 'the same memory one instruction at a time');
    const cycles = (r: typeof got) => r.segments.reduce((a, s) => a + s.cycles, 0);
    assert.ok(cycles(got) < cycles(serial), `overlapped ${cycles(got)} cycles, one at a time ${cycles(serial)}`);
  });
}

test.run();
