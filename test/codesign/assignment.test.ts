import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AssignmentProblem, enumerateAssignment, evaluateChoice, solveAssignment, toLpFormat } from '../../src/codesign/assignment.js';
import { mulberry32 } from '../../src/random.js';
import { UserError } from '../../src/errors.js';

/** Layers with 3..9 candidates whose damage falls and cost rises with the bits, as real tables do, plus noise. */
function randomProblem(seed: number, layers: number, limits: number): AssignmentProblem {
  const rnd = mulberry32(seed);
  const counts = Array.from({ length: layers }, () => 3 + Math.floor(rnd() * 7));
  const damage = counts.map((n) => Array.from({ length: n }, (_, c) => (n - c) * rnd() * 1e-3));
  const make = (scale: number) => counts.map((n) => Array.from({ length: n }, (_, c) => Math.round((c + 1) * scale * (0.5 + rnd()))));
  const lims = Array.from({ length: limits }, (_, k) => {
    const cost = make(10 ** (3 + 2 * k));
    const lo = cost.reduce((s, row) => s + Math.min(...row), 0);
    const hi = cost.reduce((s, row) => s + Math.max(...row), 0);
    return { name: `r${k}`, cost, budget: lo + (hi - lo) * (0.2 + 0.6 * rnd()) };
  });
  return { damage, limits: lims };
}

test('the solver finds the enumerated optimum on 60 random problems (one and two budgets)', async () => {
  for (let seed = 1; seed <= 60; seed++) {
    const p = randomProblem(seed, 2 + (seed % 4), 1 + (seed % 2));
    const want = enumerateAssignment(p);
    const got = await solveAssignment(p);
    if (!want) {
      assert.is(got, null, `seed ${seed}: enumeration found no feasible choice, the solver did`);
      continue;
    }
    assert.ok(got, `seed ${seed}: the solver found no choice`);
    for (const lim of p.limits) assert.ok(got!.totals[lim.name] <= lim.budget * (1 + 1e-9), `seed ${seed}: ${lim.name} over budget`);
    assert.ok(Math.abs(got!.damage - want.damage) <= 1e-12 + 1e-9 * want.damage, `seed ${seed}: damage ${got!.damage} vs optimum ${want.damage}`);
  }
});

test('a budget met exactly is feasible; one below the cheapest choice is not', async () => {
  const p: AssignmentProblem = { damage: [[3, 2, 4], [1, 0]], limits: [{ name: 'cycles', cost: [[5, 3, 1], [2, 7]], budget: 5 }] };
  assert.equal((await solveAssignment(p))?.choice, [1, 0]);
  assert.equal(evaluateChoice(p, [1, 0]).totals, { cycles: 5 });
  assert.is(await solveAssignment({ ...p, limits: [{ ...p.limits[0], budget: 2.5 }] }), null);
  assert.is(enumerateAssignment({ ...p, limits: [{ ...p.limits[0], budget: 2.5 }] }), null);
});

test('without limits each layer takes its least damaging candidate', async () => {
  assert.equal((await solveAssignment({ damage: [[0.3, 0.1, 0.2], [0, 1]], limits: [] }))?.choice, [1, 0]);
});

test('malformed problems are refused', async () => {
  const bad = async (p: AssignmentProblem, re: RegExp) => {
    try {
      await solveAssignment(p);
    } catch (e) {
      assert.instance(e, UserError);
      assert.match((e as Error).message, re);
      return;
    }
    assert.unreachable('expected a UserError');
  };
  await bad({ damage: [], limits: [] }, /no layers/);
  await bad({ damage: [[1], []], limits: [] }, /layer 1 has no candidate/);
  await bad({ damage: [[1, NaN]], limits: [] }, /not a finite number/);
  await bad({ damage: [[1, 2]], limits: [{ name: 'bytes', cost: [[1]], budget: 3 }] }, /bytes costs do not have one value/);
});

test('the LP text names one binary per layer and candidate and one row per limit', () => {
  const lp = toLpFormat({ damage: [[0.5, 0.25]], limits: [{ name: 'c', cost: [[4, 2]], budget: 4 }] });
  assert.match(lp, /one_0: \+ 1 x_0_0 \+ 1 x_0_1 = 1/);
  assert.match(lp, /limit_0: \+ 1 x_0_0 \+ 0\.50000000000000000 x_0_1 <= 1\.0000000010/);
  assert.match(lp, /Binary\n x_0_0 x_0_1\nEnd/);
});

test.run();
