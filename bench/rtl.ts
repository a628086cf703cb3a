// The RTL co-simulation benchmark: Verilator C++ build of the 8x8 (vc709) bitfusion_core from a cold model
// cache, then the 40-tile core suite through it, bit and cycle checked against runTile.
import { hasTool } from '../rtl/sim.js';
import { runCoreSuite, withColdCache } from '../rtl/cosim-suite.js';

export async function benchRtl(): Promise<string[]> {
  if (!hasTool('verilator')) return ['## RTL co-simulation', '', 'Not measured: verilator is not on PATH.', ''];
  const run = withColdCache(() => runCoreSuite(8, 8));
  const total = run.buildSeconds + run.runSeconds;
  process.stderr.write(`rtl: verilator build of bitfusion_core 8x8 ${run.buildSeconds.toFixed(1)} s, ${run.result.checked} tiles ${run.runSeconds.toFixed(1)} s\n`);
  if (run.result.mismatches) throw new Error(`RTL co-simulation mismatch: ${run.result.first}`);
  return [
    '## RTL co-simulation',
    '',
    `- Verilator build of the 8x8 \`bitfusion_core\` (vc709) from a cold cache: **${run.buildSeconds.toFixed(1)} s**; `
      + `${run.result.checked} tiles through it, every output and write cycle checked against runTile: **${run.runSeconds.toFixed(1)} s**. `
      + `Total **${total.toFixed(1)} s** (goal: 180 s on 2 cores).`,
    '',
  ];
}
