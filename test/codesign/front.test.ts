import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { candidateGrid, costTable, type CostTable } from '../../src/codesign/cost-table.js';
import { bestWithin, costRange, paretoFilter, predictedFront } from '../../src/codesign/front.js';
import { enumerateAssignment } from '../../src/codesign/assignment.js';
import { getPreset } from '../../hw/presets.js';
import { getNetwork } from '../../src/model/zoo.js';

const grid = candidateGrid();
/** Damage falling with the bits, more for the first layers: a stand-in with the shape of measured sensitivities. */
const damageOf = (t: CostTable) => t.layers.map((l, i) => l.candidates.map((p) => (2 ** -p.a + 2 ** -p.w) / (i + 1)));

test('pareto filter keeps the undominated points, cheapest first', () => {
  const pts = [{ damage: 3, cost: 1 }, { damage: 2, cost: 2 }, { damage: 2.5, cost: 3 }, { damage: 1, cost: 4 }, { damage: 1, cost: 5 }];
  assert.equal(paretoFilter(pts), [{ damage: 3, cost: 1 }, { damage: 2, cost: 2 }, { damage: 1, cost: 4 }]);
});

test('a front point at a budget is the enumerated optimum on a 4-layer network', async () => {
  const net = getNetwork('bf-lenet5');
  const t = costTable(net, getPreset('bitfusion-8x8')!, () => grid);
  const { min, max } = costRange(t, 'latency');
  for (const f of [0, 0.1, 0.35, 0.7, 1]) {
    const budget = min + (max - min) * f;
    const got = await bestWithin(t, damageOf(t), 'latency', budget);
    const want = enumerateAssignment({ damage: damageOf(t), limits: [{ name: 'latency', cost: t.layers.map((l) => l.costs.map((c) => c.cycles / (t.clockMHz * 1e3))), budget }] });
    assert.ok(got && want, `budget ${budget}: no point`);
    assert.ok(Math.abs(got!.damage - want!.damage) < 1e-12, `budget ${budget}: ${got!.damage} vs ${want!.damage}`);
    assert.ok(got!.cost <= budget * (1 + 1e-9));
  }
  assert.is(await bestWithin(t, damageOf(t), 'latency', min * 0.99), null);
});

test('the front over two arrays is undominated and spans both', async () => {
  const net = getNetwork('bf-lenet5');
  const tables = [4, 16].map((rows) => costTable(net, { ...getPreset('bitfusion-8x8')!, name: `r${rows}`, rows }, () => grid));
  const front = await predictedFront(tables, damageOf, 'latency', 8);
  assert.ok(front.length >= 3, `only ${front.length} points`);
  for (let i = 1; i < front.length; i++) {
    assert.ok(front[i].cost > front[i - 1].cost && front[i].damage < front[i - 1].damage, 'not a front');
  }
  assert.ok(front.some((p) => p.config === 'r16'), 'the larger array never appears');
});

test.run();
