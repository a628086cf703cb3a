// Logic depth of a mapped netlist: the longest register-to-register (or port-to-port) path through the LUTs,
// MUXF7/8 and CARRY4 chains of a Yosys `synth_xilinx` result, read from `write_json` after `flatten`.
// Delays are a model, not a placed-and-routed timing: each cell's input-to-output delay comes from the
// specify blocks of Yosys's 7-series cell library (techlibs/xilinx/cells_sim.v), which cite Project X-Ray's
// measured Artix-7 timing; a Virtex-7 in speed grade -2 is faster, so these bound it from above. Every net
// between two cells adds NET_NS (an assumption for a routed 7-series net; no placement is done), except the
// dedicated carry link from one CARRY4's CO[3] to the next one's CI.

export interface DelayModel {
  lut: number;
  muxf: number;
  carryIn: number;
  carryBit: number;
  carryThrough: number;
  clockToQ: number;
  setup: number;
  net: number;
}

/** Delay model, nanoseconds: the slow bound. */
export const DELAYS: DelayModel = {
  /** LUT input to output; the library gives 0.127 (fastest pin) .. 0.642 ns (slowest); the mapper does not say which pin, so the slowest. */
  lut: 0.642,
  /** MUXF7 / MUXF8 select to output. */
  muxf: 0.296,
  /** CARRY4: S or DI input to an output of the same bit, and the extra per bit of ripple above it. */
  carryIn: 0.34,
  carryBit: 0.12,
  /** CARRY4: CI to CO[3] / O[k] through a whole CARRY4. */
  carryThrough: 0.271,
  /** Flip-flop clock to Q and setup of D. */
  clockToQ: 0.303,
  setup: 0.1,
  /** One routed net between two cells (assumption, see the header). */
  net: 0.5,
};

/**
 * The fast bound: every LUT entered on its fastest pin (0.127 ns, where Vivado puts a critical signal) and
 * 0.3 ns per net (a short route inside a few neighbouring slices).
 */
export const FAST_DELAYS: DelayModel = { ...DELAYS, lut: 0.127, net: 0.3 };

interface JsonCell {
  type: string;
  port_directions: Record<string, 'input' | 'output' | 'inout'>;
  connections: Record<string, Array<number | string>>;
}

interface JsonModule {
  ports: Record<string, { direction: string; bits: Array<number | string> }>;
  cells: Record<string, JsonCell>;
}

export interface PathReport {
  /** Arrival at the worst endpoint, ns (clock-to-Q and setup included for register endpoints). */
  ns: number;
  /** Cells on the worst path by kind. */
  luts: number;
  carry4: number;
  muxf: number;
  /** Nets crossed on the worst path. */
  nets: number;
  /** Estimated clock in MHz: 1000 / ns. */
  mhz: number;
}

const isFf = (t: string) => /^FD[RSCP]E$/.test(t);
const isLut = (t: string) => /^LUT[1-6]$/.test(t);

/** Input-to-output arcs of one cell: [input port, bit] -> [output port, bit, delay]. */
function arcs(c: JsonCell, dm: DelayModel): Array<{ from: number | string; to: number | string; ns: number; dedicated: boolean }> {
  const out: Array<{ from: number | string; to: number | string; ns: number; dedicated: boolean }> = [];
  const con = c.connections;
  if (isLut(c.type)) {
    for (const [p, dir] of Object.entries(c.port_directions)) if (dir === 'input') out.push({ from: con[p][0], to: con.O[0], ns: dm.lut, dedicated: false });
  } else if (/^MUXF[78]$/.test(c.type)) {
    for (const p of ['I0', 'I1', 'S']) out.push({ from: con[p][0], to: con.O[0], ns: dm.muxf, dedicated: false });
  } else if (c.type === 'CARRY4') {
    for (let k = 0; k < 4; k++) {
      for (let j = k; j < 4; j++) {
        const ns = dm.carryIn + (j - k) * dm.carryBit;
        for (const p of ['S', 'DI']) {
          out.push({ from: con[p][k], to: con.O[j], ns, dedicated: false });
          out.push({ from: con[p][k], to: con.CO[j], ns, dedicated: false });
        }
      }
      out.push({ from: con.CI[0], to: con.O[k], ns: dm.carryThrough, dedicated: true });
      out.push({ from: con.CI[0], to: con.CO[k], ns: dm.carryThrough, dedicated: true });
      out.push({ from: con.CYINIT[0], to: con.CO[k], ns: dm.carryIn + k * dm.carryBit, dedicated: false });
      out.push({ from: con.CYINIT[0], to: con.O[k], ns: dm.carryIn + k * dm.carryBit, dedicated: false });
    }
  }
  return out;
}

interface Step {
  t: number;
  luts: number;
  carry4: number;
  muxf: number;
  nets: number;
}

/**
 * The longest path of `top` in a Yosys JSON netlist (flattened, mapped to 7-series cells). Start points are
 * the module's inputs and flip-flop outputs (both taken as launched by a register: clock-to-Q), end points
 * its outputs and flip-flop D / CE / R inputs (setup added). Cells other than LUTs, MUXF7/8, CARRY4 and
 * flip-flops (block RAM, I/O buffers) are treated as start and end points.
 */
export function longestPath(netlistJson: string, top: string, d: DelayModel = DELAYS): PathReport {
  const mod = (JSON.parse(netlistJson) as { modules: Record<string, JsonModule> }).modules[top];
  if (!mod) throw new Error(`internal: no module ${top} in the netlist`);
  // Arcs into each net, and which arcs each net feeds.
  const fanout = new Map<number | string, Array<{ to: number | string; ns: number; dedicated: boolean; kind: 'lut' | 'carry4' | 'muxf' }>>();
  const indeg = new Map<number | string, number>();
  const starts = new Set<number | string>();
  const ends = new Set<number | string>();
  for (const p of Object.values(mod.ports)) for (const b of p.bits) (p.direction === 'input' ? starts : ends).add(b);
  for (const c of Object.values(mod.cells)) {
    const a = arcs(c, d);
    if (a.length) {
      const kind = isLut(c.type) ? 'lut' : c.type === 'CARRY4' ? 'carry4' : 'muxf';
      for (const x of a) {
        if (x.from === undefined || x.to === undefined || typeof x.from === 'string') continue;
        if (!fanout.has(x.from)) fanout.set(x.from, []);
        fanout.get(x.from)!.push({ to: x.to, ns: x.ns, dedicated: x.dedicated, kind });
        indeg.set(x.to, (indeg.get(x.to) ?? 0) + 1);
      }
    } else {
      for (const [p, bits] of Object.entries(c.connections)) {
        const dir = c.port_directions[p];
        for (const b of bits) {
          if (dir === 'output') starts.add(b);
          else if (!(isFf(c.type) && p === 'C')) ends.add(b);
        }
      }
    }
  }
  // Longest arrival by a topological walk from every net no arc drives.
  const best = new Map<number | string, Step>();
  const queue: Array<number | string> = [];
  const allNets = new Set<number | string>([...fanout.keys(), ...indeg.keys(), ...starts]);
  for (const n of allNets) {
    if ((indeg.get(n) ?? 0) === 0) {
      best.set(n, { t: d.clockToQ, luts: 0, carry4: 0, muxf: 0, nets: 0 });
      queue.push(n);
    }
  }
  const left = new Map(indeg);
  while (queue.length) {
    const n = queue.pop()!;
    const s = best.get(n)!;
    for (const e of fanout.get(n) ?? []) {
      if (typeof e.to === 'string') continue;
      const t = s.t + e.ns + (e.dedicated ? 0 : d.net);
      const cur = best.get(e.to);
      if (!cur || t > cur.t) {
        best.set(e.to, {
          t, luts: s.luts + (e.kind === 'lut' ? 1 : 0), carry4: s.carry4 + (e.kind === 'carry4' && !e.dedicated ? 1 : 0),
          muxf: s.muxf + (e.kind === 'muxf' ? 1 : 0), nets: s.nets + (e.dedicated ? 0 : 1),
        });
      }
      const k = (left.get(e.to) ?? 1) - 1;
      left.set(e.to, k);
      if (k === 0) queue.push(e.to);
    }
  }
  let worst: Step = { t: 0, luts: 0, carry4: 0, muxf: 0, nets: 0 };
  for (const e of ends) {
    const s = best.get(e);
    if (s && s.t > worst.t) worst = s;
  }
  const ns = worst.t + d.net + d.setup;
  return { ns, luts: worst.luts, carry4: worst.carry4, muxf: worst.muxf, nets: worst.nets + 1, mhz: 1000 / ns };
}
