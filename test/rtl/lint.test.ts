// `verilator --lint-only -Wall` of the whole generated design (vc709_top over board_system, with stand-ins
// for the two Xilinx clock primitives) at several array sizes up to 16x32: every size must be warning-free.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { boardOutput, primitiveModels } from '../../rtl/board.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { lintVerilator } from '../../rtl/sim.js';
import { withVerilator } from '../helpers.js';

const SIZES: Array<[number, number]> = [[2, 2], [4, 4], [3, 5], [8, 8], [16, 32]];

for (const [R, C] of SIZES) {
  withVerilator(test, `${R}x${C}: verilator --lint-only -Wall of vc709_top and the whole core is clean`, () => {
    const { files } = boardOutput(vc709Sized(R, C));
    const src = new Map([...files].filter(([n]) => n.endsWith('.v')));
    assert.ok(src.has('bitfusion_core.v') && src.has('systolic_array.v') && src.has('vc709_top.v'));
    for (const [n, t] of primitiveModels) src.set(n, t);
    assert.is(lintVerilator(src, 'vc709_top'), '');
  });
}

test.run();
