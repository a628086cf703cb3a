// `npm run bench`: times the simulator, the quantizer (when ../shared is present) and writes reports/bench.md.
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { writeFileAtomic } from '../src/fsutil.js';
import { benchSimulator } from './sim.js';
import { benchQuantizer } from './quant.js';

const lines = [
  '# Benchmarks',
  '',
  `Measured by \`npm run bench\` (bench/) on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}, ${new Date().toISOString().slice(0, 10)}; 1-minute load average at the start ${loadavg()[0].toFixed(1)}.`,
  '',
  ...benchSimulator(),
];
try {
  lines.push(...(await benchQuantizer()));
} catch (e) {
  lines.push('## Quantizer', '', `Not measured: ${(e as Error).message}`, '');
}
writeFileAtomic(join(import.meta.dirname, '..', '..', 'reports', 'bench.md'), lines.join('\n'));
process.stderr.write('wrote reports/bench.md\n');
