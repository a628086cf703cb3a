// A campaign's mixes quantized and evaluated as jobs ('quantize', 'evaluate': src/jobs/kinds) on this machine's
// worker threads or on `hwq worker` processes through Redis, results kept in the job cache. Each mix is its own
// job, so mixes run side by side; they do not share weight fits as the local path does.
import type { Precision } from '../model/ir.js';
import { type ExecOptions, executeJobs } from '../jobs/execute.js';
import { readResult } from '../jobs/result-cache.js';
import type { Job } from '../jobs/job.js';
import { type QuantizeInputs, quantizeJob, quantizedFiles } from '../jobs/kinds/quantize.js';
import { type EvaluateInputs, accuracyOf, evaluateJob } from '../jobs/kinds/evaluate.js';
import type { Materializer } from './materialize.js';

export interface JobsMaterializerSetup {
  /** Everything a mix's 'quantize' job takes but its bits. */
  quantize: Omit<QuantizeInputs, 'bits'>;
  /** Everything an 'evaluate' job takes but the model. */
  evaluate: Omit<EvaluateInputs, 'model'>;
  exec: Omit<ExecOptions, 'label' | 'onProgress'>;
}

const label = (mix: Readonly<Record<string, Precision>>) => Object.entries(mix).map(([n, p]) => `${n}=a${p.a}w${p.w}`).join(',');

async function run(s: JobsMaterializerSetup, jobs: Job[], what: (k: number) => string, onProgress?: (d: number, n: number) => void) {
  const dir = s.exec.cacheDir;
  const hits = jobs.map((j) => dir !== undefined && readResult(dir, j) !== undefined);
  const { results } = await executeJobs(jobs, { ...s.exec, label: what, onProgress });
  return { results, hits };
}

export function jobsMaterializer(s: JobsMaterializerSetup): Materializer {
  return {
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
