import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { estimatedLuts, fitsDevice, fpgaDeviceOf, XC7VX690T } from '../../hw/fpga-resources.js';
import { getPreset } from '../../hw/presets.js';
import { REPO_ROOT } from '../helpers.js';

interface Row { rows: number; cols: number; resources?: { lut: number } }

test('the LUT estimate follows every synthesized array in reports/rtl/resources.json', () => {
  const rows = (JSON.parse(readFileSync(join(REPO_ROOT, 'reports', 'rtl', 'resources.json'), 'utf8')).rows as Row[]).filter((r) => r.resources);
  assert.ok(rows.length >= 5, 'too few synthesized arrays to check the fit');
  for (const r of rows) {
    const err = Math.abs(estimatedLuts(r) - r.resources!.lut) / r.resources!.lut;
    assert.ok(err <= (r.rows * r.cols >= 64 ? 0.01 : 0.07), `${r.rows}x${r.cols}: estimate ${estimatedLuts(r)} vs ${r.resources!.lut} LUTs`);
  }
});

test('the vc709 preset targets the XC7VX690T; its largest fitting arrays are about 512 units', () => {
  const vc709 = getPreset('vc709')!;
  assert.is(fpgaDeviceOf(vc709), XC7VX690T);
  assert.is(fpgaDeviceOf(getPreset('bitfusion-asic')!), undefined);
  assert.ok(fitsDevice({ ...vc709, rows: 16, cols: 32 }));
  assert.not.ok(fitsDevice({ ...vc709, rows: 32, cols: 32 }));
  assert.ok(fitsDevice({ ...getPreset('bitfusion-asic')!, rows: 64, cols: 64 }), 'an ASIC config has no LUT limit');
});

test.run();
