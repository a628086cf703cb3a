// `npm run bench [-- sim quant rtl scale]`: times the simulator, the quantizer (needs ../shared), the RTL
// co-simulation (needs verilator) and the scale-out (pool, Redis, cache); each section writes its own file under reports/bench/.
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { writeFileAtomic } from '../src/fsutil.js';
import { benchSimulator } from './sim.js';
import { benchQuantizer } from './quant.js';
import { benchRtl } from './rtl.js';
import { benchScale } from './scale.js';

const SECTIONS: Record<string, () => Promise<string[]> | string[]> = {
  sim: benchSimulator,
  quant: benchQuantizer,
  rtl: benchRtl,
  scale: benchScale,
};
const chosen = process.argv.slice(2);
for (const name of chosen) if (!(name in SECTIONS)) throw new Error(`unknown bench section '${name}': valid ${Object.keys(SECTIONS).join(', ')}`);

for (const name of chosen.length ? chosen : Object.keys(SECTIONS)) {
  const header = [
    `Measured by \`npm run bench -- ${name}\` (bench/) on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}, `
      + `${new Date().toISOString().slice(0, 10)}; 1-minute load average at the start ${loadavg()[0].toFixed(1)}.`,
    '',
  ];
  let body: string[];
  try {
    body = await SECTIONS[name]();
  } catch (e) {
    body = [`Not measured: ${(e as Error).message}`, ''];
  }
  const [title, ...rest] = body;
  writeFileAtomic(join(import.meta.dirname, '..', '..', 'reports', 'bench', `${name}.md`), [title.replace(/^## /, '# '), '', ...header, ...rest].join('\n'));
  process.stderr.write(`wrote reports/bench/${name}.md\n`);
}
