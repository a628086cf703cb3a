// --jobs, --queue, --cache and --no-cache for the report drivers, with the meanings `hwq sweep` gives them
// (src/cli/job-options.ts), but run by default as the drivers always ran: one job at a time in this process and
// no cache, so a report's numbers come from its own run of the code unless a cache is asked for.
import yargs from 'yargs';
import type { ExecOptions } from '../src/jobs/execute.js';
import { type JobArgs, chosenCache, jobOptions } from '../src/cli/job-options.js';
import { parseQueueUrl } from '../src/jobs/queue.js';

export type ScriptExec = Omit<ExecOptions, 'label'>;

/** The job flags in `argv`; anything else, or a bad value, is one line on stderr and exit 2. */
export function scriptJobFlags(argv: string[], script: string): ScriptExec {
  const a = jobOptions(yargs(argv).scriptName(script).strict().help(false).version(false))
    .fail((msg, err) => {
      process.stderr.write(`${script}: ${err?.message ?? msg}\n`);
      process.exit(2);
    })
    .parseSync() as JobArgs;
  try {
    if (a.queue !== undefined) parseQueueUrl(a.queue);
    return { threads: a.jobs ?? 1, cacheDir: a.cache === undefined ? undefined : chosenCache(a), queue: a.queue };
  } catch (e) {
    process.stderr.write(`${script}: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
