// parseLcov: verilator_coverage --write-info records summed per module file, instances merged per line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLcov } from '../../rtl/coverage.js';

const INFO = `TN:verilator_coverage
SF:/tmp/x/fusion_unit.v
DA:44,8
DA:55,0
DA:56,3
end_of_record
SF:/tmp/x/tile_controller.v
DA:10,1
DA:12,0
DA:14,0
end_of_record
SF:/tmp/y/fusion_unit.v
DA:55,2
DA:57,0
end_of_record
`;

test('per-module line coverage, the same file in several records merged line by line', () => {
  assert.equal(parseLcov(INFO), [
    { module: 'fusion_unit', lines: 4, hit: 3, missed: [57] },
    { module: 'tile_controller', lines: 3, hit: 1, missed: [12, 14] },
  ]);
  assert.equal(parseLcov(''), []);
});

test.run();
