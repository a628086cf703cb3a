import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getPreset } from '../../hw/presets.js';
import { generateRtl, sourcesOf } from '../../rtl/generate.js';
import { fusionUnitModuleNames } from '../../rtl/modules/fusion-unit.js';
import { XC7VX690T, parseModuleStats, parseStat, synthXilinx } from '../../rtl/yosys.js';
import { withTools } from '../helpers.js';

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

// A hierarchical run: each module's own cells, then the totals with instance counts expanded.
const HIER = `
=== bitbrick ===

   Number of cells:                  5
     LUT2                            1
     LUT6                            4

=== $paramod$0123abcd\\fusion_node4 ===

   Number of cells:                 30
     CARRY4                          5
     LUT4                           25
     bitbrick                        4

=== design hierarchy ===

   fusion_node4                      1
     bitbrick                        4

   Number of cells:                 50
     CARRY4                          5
     LUT2                            4
     LUT4                           25
     LUT6                           16
`;

test('parseStat takes a kept hierarchy\'s totals; parseModuleStats each module\'s own cells', () => {
  assert.equal(parseStat(HIER), { lut: 45, lutram: 0, ff: 0, carry4: 5, dsp: 0, bram36: 0, muxf: 0 });
  const mods = parseModuleStats(HIER);
  assert.equal([...mods.keys()], ['bitbrick', 'fusion_node4']);
  assert.is(mods.get('bitbrick')!.lut, 5);
  assert.is(mods.get('fusion_node4')!.lut, 25);
  assert.is(mods.get('fusion_node4')!.carry4, 5);
});

withTools(test, ['yosys'], 'Yosys: the 8-bit Fusion Unit maps to at most 350 LUTs, each tree level folded into its carry chains', () => {
  const r = synthXilinx(sourcesOf(generateRtl(getPreset('vc709')!), fusionUnitModuleNames()), 'fusion_unit', 300, { timing: true });
  assert.ok(r.resources.lut + r.resources.lutram <= 350, `${r.resources.lut} LUTs`);
  assert.is(r.resources.dsp, 0);
  // Three adders per node, about one LUT per sum bit: level 4 sums 7 + 7 + 9 bits, level 8 13 + 13 + 17.
  assert.ok(r.modules.get('fusion_node4')!.lut <= 25, `${r.modules.get('fusion_node4')!.lut}`);
  assert.ok(r.modules.get('fusion_node8')!.lut <= 45, `${r.modules.get('fusion_node8')!.lut}`);
  assert.ok(r.modules.get('bitbrick')!.lut <= 5);
  assert.ok(r.path!.luts >= 4 && r.path!.carry4 >= 4, JSON.stringify(r.path));
  assert.ok(r.pathFast!.ns < r.path!.ns);
});

test.run();
