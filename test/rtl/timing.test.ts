import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DELAYS, FAST_DELAYS, longestPath } from '../../rtl/timing.js';

// A register-to-register path of two LUTs and a two-CARRY4 chain, and a shorter port-to-register path.
type Bits = Array<number | string>;
const cell = (type: string, dirs: Record<string, 'input' | 'output'>, con: Record<string, Bits>) => ({ type, port_directions: dirs, connections: con });
const lut = (i: number[], o: number) => cell(`LUT${i.length}`, { ...Object.fromEntries(i.map((_, k) => [`I${k}`, 'input'])), O: 'output' },
  { ...Object.fromEntries(i.map((b, k) => [`I${k}`, [b]])), O: [o] });
const C4_DIRS = { CI: 'input', CYINIT: 'input', DI: 'input', S: 'input', O: 'output', CO: 'output' } as const;
const c4 = (ci: number | string, s: number[], o: number[], co: number[]) =>
  cell('CARRY4', C4_DIRS, { CI: [ci], CYINIT: ['0'], DI: ['0', '0', '0', '0'], S: s, O: o, CO: co });
const FF_DIRS = { C: 'input', CE: 'input', D: 'input', R: 'input', Q: 'output' } as const;
const ff = (d: number, q: number) => cell('FDRE', FF_DIRS, { C: [2], CE: ['1'], D: [d], R: ['0'], Q: [q] });
const NET = JSON.stringify({
  modules: {
    top: {
      ports: { clk: { direction: 'input', bits: [2] }, a: { direction: 'input', bits: [3] } },
      cells: {
        r0: ff(3, 10),
        l1: lut([10], 11),
        l2: lut([11, 3], 12),
        k0: c4('0', [12, 20, 20, 20], [30, 31, 32, 33], [40, 41, 42, 43]),
        k1: c4(43, [20, 20, 20, 20], [34, 35, 36, 37], [44, 45, 46, 47]),
        r1: ff(37, 50),
        r2: ff(12, 51),
      },
    },
  },
});

test('longestPath: LUT levels, carry ripple and nets of the worst register-to-register path', () => {
  const p = longestPath(NET, 'top');
  assert.is(p.luts, 2);
  assert.is(p.carry4, 1);
  assert.is(p.nets, 4);
  // clock-to-Q, two LUTs, into the chain at bit 0 and out of CO[3] (3 bits of ripple), through the second CARRY4
  // on the dedicated carry link, then three nets before the chain and one into the register, and setup.
  const want = DELAYS.clockToQ + 2 * DELAYS.lut + DELAYS.carryIn + 3 * DELAYS.carryBit + DELAYS.carryThrough + 4 * DELAYS.net + DELAYS.setup;
  assert.ok(Math.abs(p.ns - want) < 1e-9, `${p.ns} vs ${want}`);
  assert.ok(Math.abs(p.mhz - 1000 / want) < 1e-9);
  assert.ok(longestPath(NET, 'top', FAST_DELAYS).ns < p.ns);
  assert.throws(() => longestPath(NET, 'other'), /no module other/);
});

test.run();
