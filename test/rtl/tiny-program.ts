// The tiny residual network compiled into a network program under the simulator's tilings, with the design it
// runs on and the executor's state at its start (the image in memory): what the per-instruction co-simulation
// tests step through.
import { loadHwq } from '../../src/intmodel/format.js';
import { simTiling } from '../../src/jobs/kinds/rtl-image.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { generateRtl } from '../../rtl/generate.js';
import { coreState, programMemory } from '../../rtl/net-exec.js';
import { compileNetwork } from '../../rtl/net-program.js';
import { quantizeTiny, tinyInputs } from '../intmodel/tiny-resnet.js';

export async function tinyProgram(bits: number, rows: number, cols: number) {
  const { hwq } = await quantizeTiny(bits);
  const model = loadHwq(hwq);
  const cfg = vc709Sized(rows, cols);
  const design = generateRtl(cfg);
  const p = design.params;
  const prog = compileNetwork(model, cfg, p, hwq, simTiling(cfg));
  const [x] = tinyInputs(1, 3);
  const memory = programMemory(prog, x);
  return { design, p, prog, memory, st: coreState(p, memory) };
}
