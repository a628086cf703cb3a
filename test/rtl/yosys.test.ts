import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { XC7VX690T, parseStat } from '../../rtl/yosys.js';

const STAT = `
=== bitfusion_core ===

   Number of wires:              12345
   Number of cells:              54321
     BUFG                            1
     CARRY4                        907
     FDRE                         1100
     FDSE                           28
     IBUF                           70
     LUT2                         1000
     LUT6                        10109
     MUXF7                         700
     MUXF8                          90
     RAMB18E1                        8
     RAMB36E1                       80
     SRLC32E                        34
`;

test('parseStat groups Yosys cells the way a utilization report does', () => {
  assert.equal(parseStat(STAT), { lut: 11109, lutram: 34, ff: 1128, carry4: 907, dsp: 0, bram36: 84, muxf: 790 });
  assert.equal(parseStat(''), { lut: 0, lutram: 0, ff: 0, carry4: 0, dsp: 0, bram36: 0, muxf: 0 });
  assert.is(XC7VX690T.lut, 433_200);
  assert.is(XC7VX690T.bram36, 1_470);
});

test.run();
