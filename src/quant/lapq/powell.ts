// Powell's conjugate-direction method (Powell 1964, as LAPQ uses it for the joint clipping search): a set of
// search directions, a bracketed 1-D minimization along each (Brent's parabolic/golden-section method), and
// after each sweep the direction of largest decrease is replaced by the sweep's total displacement. The
// objective is async (a network run) and expensive, so every evaluation counts against a budget; the
// method never returns a point worse than its start.

export type Objective = (x: Float64Array) => number | Promise<number>;

export interface PowellOptions {
  /** Sweeps over all directions. */
  maxIter: number;
  /** Objective evaluations in total, f(x0) included; the search stops (with its best point) when spent. */
  maxEvals: number;
  /** Stop when a sweep lowers f by less than ftol * (|f_before| + |f_after|) / 2. */
  ftol: number;
  /** Line-search tolerance, in units of the (unit-length) direction. */
  xtol: number;
  /** First trial step of each line search's bracketing. */
  step: number;
  /** Evaluations allowed per line search. */
  lineEvals: number;
  /** Largest |t| a line search moves along a direction (the bracketing stops expanding there). */
  maxStep: number;
}

export const DEFAULT_POWELL: PowellOptions = { maxIter: 20, maxEvals: 2000, ftol: 1e-6, xtol: 1e-4, step: 0.1, lineEvals: 40, maxStep: 1e3 };

export interface PowellStep {
  iteration: number;
  evaluations: number;
  fx: number;
}

export interface PowellResult {
  x: Float64Array;
  fx: number;
  f0: number;
  iterations: number;
  evaluations: number;
  stop: 'tolerance' | 'maxIter' | 'maxEvals';
  /** f after each sweep. */
  history: PowellStep[];
}

const GOLD = 1.618033988749895;
const CGOLD = 0.3819660112501051;

/** Counts evaluations against the global budget; null once it is spent. */
class Budget {
  used = 0;
  constructor(private readonly f: Objective, private readonly max: number) {}
  left(): number {
    return this.max - this.used;
  }
  async eval(x: Float64Array): Promise<number | null> {
    if (this.used >= this.max) return null;
    this.used++;
    const v = await this.f(x);
    return Number.isNaN(v) ? Infinity : v;
  }
}

export interface LineResult {
  t: number;
  ft: number;
  evaluations: number;
}

/**
 * Minimizes g(t) from t = 0 (where g is known: g0) by bracketing (golden expansion, trying the negative
 * direction when the first step rises) and Brent's method inside the bracket. Returns the best t evaluated
 * (0 when nothing was lower), within `maxEvals` evaluations of g (null from g ends the search).
 */
export async function lineMinimize(g: (t: number) => Promise<number | null>, g0: number, o: Pick<PowellOptions, 'xtol' | 'step' | 'lineEvals' | 'maxStep'>): Promise<LineResult> {
  let evals = 0;
  let bestT = 0, bestF = g0;
  const at = async (t: number): Promise<number | null> => {
    if (evals >= o.lineEvals) return null;
    const v = await g(t);
    if (v === null) return null;
    evals++;
    if (v < bestF) { bestF = v; bestT = t; }
    return v;
  };
  const done = (): LineResult => ({ t: bestT, ft: bestF, evaluations: evals });

  // Bracket: a, b, c with g(b) <= g(a), g(b) <= g(c).
  let a = 0;
  let b = o.step;
  let fb = await at(b);
  if (fb === null) return done();
  if (fb > g0) {
    const fm = await at(-o.step);
    if (fm === null) return done();
    if (fm >= g0) {
      return brent(-o.step, 0, o.step, g0, at, o.xtol, done);
    }
    // downhill is negative: walk that way
    [a, b, fb] = [0, -o.step, fm];
  }
  let c = b + GOLD * (b - a);
  if (Math.abs(c) > o.maxStep) c = Math.sign(c) * o.maxStep;
  let fc = await at(c);
  if (fc === null) return done();
  while (fc < fb) {
    if (Math.abs(c) >= o.maxStep) return done();
    [a, b, fb] = [b, c, fc];
    c = b + GOLD * (b - a);
    if (Math.abs(c) > o.maxStep) c = Math.sign(c) * o.maxStep;
    const v = await at(c);
    if (v === null) return done();
    fc = v;
  }
  const [lo, hi] = a < c ? [a, c] : [c, a];
  return brent(lo, b, hi, fb, at, o.xtol, done);
}

/** Brent's minimization on [lo, hi] from the interior point x (f(x) = fx known), until the bracket is ~xtol. */
async function brent(lo: number, x: number, hi: number, fx: number, at: (t: number) => Promise<number | null>, xtol: number, done: () => LineResult): Promise<LineResult> {
  let a = lo, b = hi;
  let w = x, v = x, fw = fx, fv = fx;
  let d = 0, e = 0;
  const tol1 = xtol / 4, tol2 = 2 * tol1;
  for (;;) {
    const xm = 0.5 * (a + b);
    if (Math.abs(x - xm) <= tol2 - 0.5 * (b - a)) return done();
    let useGolden = true;
    if (Math.abs(e) > tol1) {
      // parabola through x, w, v
      const r = (x - w) * (fx - fv);
      let q = (x - v) * (fx - fw);
      let p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      q = Math.abs(q);
      const eOld = e;
      e = d;
      if (!(Math.abs(p) >= Math.abs(0.5 * q * eOld) || p <= q * (a - x) || p >= q * (b - x))) {
        d = p / q;
        const u = x + d;
        if (u - a < tol2 || b - u < tol2) d = xm >= x ? tol1 : -tol1;
        useGolden = false;
      }
    }
    if (useGolden) {
      e = x >= xm ? a - x : b - x;
      d = CGOLD * e;
    }
    const u = Math.abs(d) >= tol1 ? x + d : x + (d >= 0 ? tol1 : -tol1);
    const fu = await at(u);
    if (fu === null) return done();
    if (fu <= fx) {
      if (u >= x) a = x; else b = x;
      [v, fv, w, fw, x, fx] = [w, fw, x, fx, u, fu];
    } else {
      if (u < x) a = u; else b = u;
      if (fu <= fw || w === x) {
        [v, fv, w, fw] = [w, fw, u, fu];
      } else if (fu <= fv || v === x || v === w) {
        [v, fv] = [u, fu];
      }
    }
  }
}

function unit(d: Float64Array): Float64Array | null {
  let n = 0;
  for (const v of d) n += v * v;
  n = Math.sqrt(n);
  return n > 0 ? d.map((v) => v / n) : null;
}

/**
 * Minimizes f from x0. Directions start as the coordinate axes (or `directions`, normalized). Each sweep
 * line-minimizes along every direction; then, if the extrapolated point 2x - x_start is promising (Powell's
 * test), it line-minimizes along the displacement, which replaces the direction of largest decrease.
 */
export async function powell(f: Objective, x0: ArrayLike<number>, options: Partial<PowellOptions> = {}, directions?: Float64Array[]): Promise<PowellResult> {
  const o = { ...DEFAULT_POWELL, ...options };
  const n = x0.length;
  const budget = new Budget(f, o.maxEvals);
  let x: Float64Array = Float64Array.from(x0);
  const f0 = await budget.eval(x);
  if (f0 === null) throw new Error('Powell: maxEvals must allow at least one evaluation');
  let fx = f0;
  const dirs: Float64Array[] = directions
    ? directions.map((d, i) => { const u = unit(Float64Array.from(d)); if (!u) throw new Error(`Powell: direction ${i} is zero`); return u; })
    : Array.from({ length: n }, (_, i) => { const d = new Float64Array(n); d[i] = 1; return d; });
  const history: PowellStep[] = [];
  const along = (base: Float64Array, d: Float64Array) => (t: number): Float64Array => base.map((v, i) => v + t * d[i]);
  const line = async (d: Float64Array): Promise<boolean> => {
    const point = along(x, d);
    const r = await lineMinimize((t) => budget.eval(point(t)), fx, o);
    if (r.ft < fx) {
      x = point(r.t);
      fx = r.ft;
    }
    return budget.left() > 0;
  };
  let stop: PowellResult['stop'] = 'maxIter';
  let iterations = 0;
  outer: for (let it = 0; it < o.maxIter; it++) {
    const fStart = fx;
    const xStart = x;
    let biggest = 0, bigIdx = -1;
    for (let i = 0; i < dirs.length; i++) {
      const before = fx;
      const more = await line(dirs[i]);
      if (before - fx > biggest) { biggest = before - fx; bigIdx = i; }
      if (!more) {
        iterations = it + 1;
        history.push({ iteration: iterations, evaluations: budget.used, fx });
        stop = 'maxEvals';
        break outer;
      }
    }
    iterations = it + 1;
    if (2 * (fStart - fx) <= o.ftol * (Math.abs(fStart) + Math.abs(fx)) + 1e-300) {
      history.push({ iteration: iterations, evaluations: budget.used, fx });
      stop = 'tolerance';
      break;
    }
    const disp = x.map((v, i) => v - xStart[i]);
    const xe = x.map((v, i) => v + disp[i]);
    const fe = await budget.eval(xe);
    if (fe === null) {
      history.push({ iteration: iterations, evaluations: budget.used, fx });
      stop = 'maxEvals';
      break;
    }
    if (fe < fStart) {
      const t = 2 * (fStart - 2 * fx + fe) * (fStart - fx - biggest) ** 2 - biggest * (fStart - fe) ** 2;
      const u = unit(disp);
      if (t < 0 && u) {
        await line(u);
        if (bigIdx >= 0) {
          dirs[bigIdx] = dirs[dirs.length - 1];
          dirs[dirs.length - 1] = u;
        }
      }
      if (fe < fx) { x = xe; fx = fe; }
    }
    history.push({ iteration: iterations, evaluations: budget.used, fx });
    if (budget.left() <= 0) { stop = 'maxEvals'; break; }
  }
  return { x, fx, f0, iterations, evaluations: budget.used, stop, history };
}
