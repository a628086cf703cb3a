// A campaign's sensitivities measured and its mixes quantized and evaluated as jobs ('sensitivity', 'quantize',
// 'evaluate': src/jobs/kinds) on this machine's worker threads or on `hwq worker` processes through Redis, results
// kept in the job cache. Each candidate precision's column of the sensitivity table and each mix is its own job, so
// they run side by side; they do not share weight fits as the local path does.
import type { Precision } from '../model/ir.js';
import { type ExecOptions, executeJobs } from '../jobs/execute.js';
import { readResult } from '../jobs/result-cache.js';
import type { DataRef, Job } from '../jobs/job.js';
import { type QuantizeInputs, quantizeJob, quantizedFiles } from '../jobs/kinds/quantize.js';
import { type SensitivityResult, sensitivityJob } from '../jobs/kinds/sensitivity.js';
import { type EvaluateInputs, accuracyOf, evaluateJob } from '../jobs/kinds/evaluate.js';
import type { Materializer } from './materialize.js';

export interface JobsMaterializerSetup {
  /** Everything a mix's 'quantize' job takes but its bits. */
  quantize: Omit<QuantizeInputs, 'bits'>;
  /** The held-out images the sensitivities are measured on (never the calibration ones). */
  heldOut: DataRef;
  /** Everything an 'evaluate' job takes but the model. */
  evaluate: Omit<EvaluateInputs, 'model'>;
  exec: Omit<ExecOptions, 'label' | 'onProgress'>;
}

const precisionLabel = (p: Precision) => `a${p.a}w${p.w}`;
const label = (mix: Readonly<Record<string, Precision>>) => Object.entries(mix).map(([n, p]) => `${n}=${precisionLabel(p)}`).join(',');

async function run(s: JobsMaterializerSetup, jobs: Job[], what: (k: number) => string, onProgress?: (d: number, n: number) => void) {
  const dir = s.exec.cacheDir;
  const hits = jobs.map((j) => dir !== undefined && readResult(dir, j) !== undefined);
  const { results } = await executeJobs(jobs, { ...s.exec, label: what, onProgress });
  return { results, hits };
}

export function jobsMaterializer(s: JobsMaterializerSetup): Materializer {
  return {
    async sensitivity(candidates, progress) {
      const jobs = candidates.map((p) => sensitivityJob({ ...s.quantize, precision: p, heldOut: s.heldOut }));
      const { results } = await run(s, jobs, (k) => `measuring sensitivities at ${precisionLabel(candidates[k])}`, (d, n) => progress?.('sensitivity', d, n));
      const columns = results as SensitivityResult[];
      const layers = columns[0].layers;
      return { layers, candidates: [...candidates], damage: layers.map((_, l) => columns.map((c) => c.damage[l])), images: columns[0].images };
    },
    async quantize(mixes, onMix) {
      const jobs = mixes.map((m) => quantizeJob({ ...s.quantize, bits: { aBits: 8, wBits: 8, firstLast: null, layerBits: { ...m } } }));
      const { results, hits } = await run(s, jobs, (k) => `quantizing mix ${label(mixes[k])}`, onMix);
      return results.map((r, k) => {
        const f = quantizedFiles(r);
        return { hwq: f.hwq, qdq: f.qdq, hit: hits[k] };
      });
    },
    async evaluate(models, onModel) {
      const jobs = models.map((bytes) => evaluateJob({ ...s.evaluate, model: bytes }));
      const { results, hits } = await run(s, jobs, (k) => `evaluating model ${k + 1} of ${models.length}`, onModel);
      return results.map((r, k) => ({ ...accuracyOf(r), hit: hits[k] }));
    },
  };
}
