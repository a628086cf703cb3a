// The predicted trade-off: for each config, the least damaging precision mix at a sweep of budgets on the objective,
// then the points no other point beats in both damage and cost (over all configs, so the front is over (array,
// precisions) pairs). Damage is the sum of the layers' measured sensitivities, the proxy the search minimizes.
import { type Assignment, solveAssignment } from './assignment.js';
import { type CostTable, type Objective, mixCost, objectiveCost } from './cost-table.js';

export interface FrontPoint {
  config: string;
  /** Candidate index per layer, into the config's cost table. */
  choice: number[];
  /** Predicted damage: the sum of the chosen candidates' sensitivities. */
  damage: number;
  /** The objective's total (ms, uJ or bytes). */
  cost: number;
}

/** The least damage within `budget` on one config (null when even the cheapest mix is over it). */
export async function bestWithin(table: CostTable, damage: number[][], objective: Objective, budget: number): Promise<FrontPoint | null> {
  const a: Assignment | null = await solveAssignment({
    damage,
    limits: [{ name: objective, cost: table.layers.map((l) => l.costs.map((c) => objectiveCost(table, c, objective))), budget }],
  });
  return a && { config: table.config, choice: a.choice, damage: a.damage, cost: mixCost(table, a.choice, objective) };
}

/** The cheapest and the dearest mix of a table. */
export function costRange(table: CostTable, objective: Objective): { min: number; max: number } {
  const per = table.layers.map((l) => l.costs.map((c) => objectiveCost(table, c, objective)));
  return { min: per.reduce((s, r) => s + Math.min(...r), 0), max: per.reduce((s, r) => s + Math.max(...r), 0) };
}

/** Points that no other point matches or beats in both damage and cost (the first of equal points kept), cheapest first. */
export function paretoFilter<T extends { damage: number; cost: number }>(points: T[]): T[] {
  const sorted = [...points].sort((p, q) => p.cost - q.cost || p.damage - q.damage);
  const out: T[] = [];
  for (const p of sorted) if (out.length === 0 || p.damage < out[out.length - 1].damage) out.push(p);
  return out;
}

/**
 * The front of each table at `steps` budgets spread evenly in log cost from its cheapest to its dearest mix, merged
 * over the tables and filtered to the undominated points.
 */
export async function predictedFront(
  tables: CostTable[], damageOf: (t: CostTable) => number[][], objective: Objective, steps: number,
  progress?: (done: number, total: number) => void,
): Promise<FrontPoint[]> {
  const points: FrontPoint[] = [];
  let done = 0;
  for (const t of tables) {
    const { min, max } = costRange(t, objective);
    const damage = damageOf(t);
    for (let k = 0; k < steps; k++) {
      // geometric steps: the cheap end of a front, where each layer's choice matters most, is traced as finely as the dear end
      const budget = steps === 1 ? max : min > 0 ? min * (max / min) ** (k / (steps - 1)) : min + ((max - min) * k) / (steps - 1);
      const p = await bestWithin(t, damage, objective, budget);
      if (p) points.push(p);
      progress?.(++done, tables.length * steps);
    }
  }
  return paretoFilter(points);
}
