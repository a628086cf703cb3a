// Writes reports/simulator/bitfusion-ref.md: the `bitfusion-ref` model's ResNet-18 figures beside the
// published simulator's. Usage: node dist/scripts/ref-report.js [output.md]
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { refReportMarkdown } from '../sim/ref/report.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = process.argv[2] ?? join(repoRoot, 'reports', 'simulator', 'bitfusion-ref.md');
const text = refReportMarkdown({ timing: true });
mkdirSync(dirname(out), { recursive: true });
// Via a temporary file, so an interrupted run never leaves half a report.
const tmp = `${out}.tmp-${process.pid}`;
writeFileSync(tmp, text.endsWith('\n') ? text : `${text}\n`);
renameSync(tmp, out);
console.log(`wrote ${out}`);
