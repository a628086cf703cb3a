// One precision per layer, chosen exactly: the integer linear program of HAWQ-V3 (Yao et al., 2021). Each layer l
// picks one candidate c (binary x[l][c], one per layer); the objective sums the candidates' damage (the
// sensitivity of the network to that layer at that precision); each limit bounds a sum of per-layer costs
// (cycles, energy, bytes) by a budget. Solved by HiGHS (WebAssembly) with zero optimality gap, so the answer is
// the optimum, not a heuristic's; `enumerateAssignment` checks it on small problems.
import * as highsModule from 'highs';
import type { LegacyHighs } from 'highs';
import { UserError } from '../errors.js';

export interface Limit {
  name: string;
  /** cost[l][c]: what candidate c of layer l adds to the limited sum. */
  cost: number[][];
  budget: number;
}

export interface AssignmentProblem {
  /** damage[l][c]: the objective's term for candidate c of layer l (lower is better). */
  damage: number[][];
  limits: Limit[];
}

export interface Assignment {
  /** The chosen candidate of each layer. */
  choice: number[];
  damage: number;
  /** Each limit's sum at the choice, by limit name. */
  totals: Record<string, number>;
}

// The package's types describe its CommonJS build, where the loader is `default`; Node loads its ES build, whose
// default export is the same loader.
const highsLoader = (highsModule as unknown as { default: () => Promise<LegacyHighs> }).default;
type Highs = LegacyHighs;
let solver: Promise<Highs> | undefined;

function checkShape(p: AssignmentProblem): void {
  if (p.damage.length === 0) throw new UserError('the assignment problem has no layers');
  p.damage.forEach((row, l) => {
    if (row.length === 0) throw new UserError(`layer ${l} has no candidate`);
  });
  for (const lim of p.limits) {
    if (!Number.isFinite(lim.budget)) throw new UserError(`the ${lim.name} budget ${lim.budget} is not a finite number`);
    if (lim.cost.length !== p.damage.length || lim.cost.some((row, l) => row.length !== p.damage[l].length)) {
      throw new UserError(`the ${lim.name} costs do not have one value per layer and candidate`);
    }
  }
  const all = [...p.damage.flat(), ...p.limits.flatMap((l) => l.cost.flat())];
  if (all.some((v) => !Number.isFinite(v))) throw new UserError('a damage or cost of the assignment problem is not a finite number');
}

/** The sums of a choice: its damage and each limit's total. */
export function evaluateChoice(p: AssignmentProblem, choice: number[]): Assignment {
  const totals: Record<string, number> = {};
  for (const lim of p.limits) totals[lim.name] = choice.reduce((s, c, l) => s + lim.cost[l][c], 0);
  return { choice, damage: choice.reduce((s, c, l) => s + p.damage[l][c], 0), totals };
}

/** A number as CPLEX LP text: full precision, no locale. */
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(17));
const term = (coef: number, name: string) => `${coef < 0 ? '-' : '+'} ${num(Math.abs(coef))} ${name}`;

/**
 * The problem in CPLEX LP format. Each limit row is divided by its budget (cycles and microjoules differ by
 * orders of magnitude; HiGHS's tolerances are relative to row scale), with a relative slack of 1e-9 so a choice
 * that meets the budget exactly is not refused by rounding.
 */
export function toLpFormat(p: AssignmentProblem): string {
  const x = (l: number, c: number) => `x_${l}_${c}`;
  const objective = p.damage.flatMap((row, l) => row.map((d, c) => term(d, x(l, c)))).join(' ');
  const rows: string[] = [];
  p.damage.forEach((row, l) => rows.push(` one_${l}: ${row.map((_, c) => term(1, x(l, c))).join(' ')} = 1`));
  p.limits.forEach((lim, k) => {
    const scale = lim.budget !== 0 ? Math.abs(lim.budget) : 1;
    const terms = lim.cost.flatMap((row, l) => row.map((v, c) => (v === 0 ? '' : term(v / scale, x(l, c))))).filter(Boolean);
    const bound = lim.budget / scale;
    rows.push(` limit_${k}: ${terms.length ? terms.join(' ') : `0 ${x(0, 0)}`} <= ${num(bound + 1e-9 * Math.max(1, Math.abs(bound)))}`);
  });
  const binaries = p.damage.flatMap((row, l) => row.map((_, c) => x(l, c)));
  return ['Minimize', ` obj: ${objective || `0 ${x(0, 0)}`}`, 'Subject To', ...rows, 'Binary', ` ${binaries.join(' ')}`, 'End', ''].join('\n');
}

/** The optimal choice, or null when no choice meets every budget. */
export async function solveAssignment(p: AssignmentProblem): Promise<Assignment | null> {
  checkShape(p);
  solver ??= highsLoader();
  const highs = await solver;
  const r = highs.solve(toLpFormat(p), { mip_rel_gap: 0, mip_abs_gap: 0, output_flag: false });
  if (r.Status === 'Infeasible') return null;
  if (r.Status !== 'Optimal') throw new Error(`HiGHS ended with status '${r.Status}' on a ${p.damage.length}-layer assignment`);
  const choice = p.damage.map((row, l) => {
    const picked = row.map((_, c) => r.Columns[`x_${l}_${c}`]?.Primal ?? 0);
    return picked.indexOf(Math.max(...picked));
  });
  return evaluateChoice(p, choice);
}

/**
 * The optimum by trying every choice (prod of the candidate counts): the reference the solver is tested against.
 * Ties in damage go to the lexicographically first choice.
 */
export function enumerateAssignment(p: AssignmentProblem): Assignment | null {
  checkShape(p);
  const count = p.damage.reduce((n, row) => n * row.length, 1);
  if (count > 1e6) throw new UserError(`enumeration of ${count} choices is too large: use solveAssignment`);
  let best: Assignment | null = null;
  const choice = p.damage.map(() => 0);
  for (let k = 0; k < count; k++) {
    let rest = k;
    for (let l = p.damage.length - 1; l >= 0; l--) {
      choice[l] = rest % p.damage[l].length;
      rest = Math.floor(rest / p.damage[l].length);
    }
    const a = evaluateChoice(p, [...choice]);
    const fits = p.limits.every((lim) => a.totals[lim.name] <= lim.budget * (1 + 1e-9) + 1e-12);
    if (fits && (!best || a.damage < best.damage - 1e-12)) best = a;
  }
  return best;
}
