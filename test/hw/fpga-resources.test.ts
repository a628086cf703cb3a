import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FUSION_UNIT_LUTS, LUTS_PER_UNIT, estimatedLuts, fitsDevice, fpgaDeviceOf, XC7VX690T } from '../../hw/fpga-resources.js';
import { getPreset } from '../../hw/presets.js';
import { REPO_ROOT } from '../helpers.js';

interface Luts { lut: number; lutram: number }
interface Row { rows: number; cols: number; resources?: Luts }
const TOL_BIG = 0.01;
const TOL_SMALL = 0.07;
const report = JSON.parse(readFileSync(join(REPO_ROOT, 'reports', 'rtl', 'resources.json'), 'utf8')) as { rows: Row[]; fusionUnit: Luts };

test('the LUT estimate follows every synthesized array in reports/rtl/resources.json, 16x32 included', () => {
  const rows = report.rows.filter((r) => r.resources);
  assert.ok(rows.length >= 5, 'too few synthesized arrays to check the fit');
  assert.ok(rows.some((r) => r.rows === 16 && r.cols === 32), 'the 16x32 core is measured, not extrapolated');
  for (const r of rows) {
    const luts = r.resources!.lut + r.resources!.lutram;
    const err = Math.abs(estimatedLuts(r) - luts) / luts;
    assert.ok(err <= (r.rows * r.cols >= 64 ? TOL_BIG : TOL_SMALL), `${r.rows}x${r.cols}: estimate ${estimatedLuts(r)} vs ${luts} LUTs`);
  }
});

test('the per-unit cost is the measured Fusion Unit plus its share of the array', () => {
  assert.is(FUSION_UNIT_LUTS, report.fusionUnit.lut + report.fusionUnit.lutram);
  assert.ok(FUSION_UNIT_LUTS <= 350);
  assert.ok(LUTS_PER_UNIT > FUSION_UNIT_LUTS && LUTS_PER_UNIT < FUSION_UNIT_LUTS + 60, `${LUTS_PER_UNIT}`);
});

test('the vc709 preset targets the XC7VX690T: 16x32 fits, 32x32 does not', () => {
  const vc709 = getPreset('vc709')!;
  assert.is(fpgaDeviceOf(vc709), XC7VX690T);
  assert.is(fpgaDeviceOf(getPreset('bitfusion-asic')!), undefined);
  assert.ok(fitsDevice({ ...vc709, rows: 16, cols: 32 }));
  assert.not.ok(fitsDevice({ ...vc709, rows: 32, cols: 32 }));
  assert.ok(fitsDevice({ ...getPreset('bitfusion-asic')!, rows: 64, cols: 64 }), 'an ASIC config has no LUT limit');
});

test.run();
