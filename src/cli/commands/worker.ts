// `hwq worker --queue redis://host:port`: runs jobs others enqueue (`hwq sweep --queue`, quantize and evaluate
// jobs) on this machine's threads until stopped. Stopping it (even with SIGKILL) loses nothing: the jobs it held
// go back to the queue once their locks expire.
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_LOCK_MS, parseQueueUrl, serveQueue } from '../../jobs/queue.js';
import { defaultThreads } from '../../jobs/pool.js';
import { intOption } from '../numbers.js';

interface WorkerArgs {
  queue: string;
  concurrency?: number;
  'lock-ms': number;
}

export const command: CommandModule<{}, WorkerArgs> = {
  command: 'worker',
  describe: 'Run queued jobs (sweep points, quantizations, evaluations) from a Redis server until stopped',
  builder: (y: Argv) =>
    y.option('queue', { type: 'string', requiresArg: true, demandOption: true, describe: 'The Redis server: redis://host:port' })
      .option('concurrency', intOption('concurrency', { min: 1, defaultDescription: 'one per core', describe: 'Jobs run at once, each on its own thread' }))
      .option('lock-ms', intOption('lock-ms', {
        min: 200, default: DEFAULT_LOCK_MS, describe: 'How long a job stays claimed by a worker that stops answering before another worker takes it over',
      }))
      .example('hwq worker --queue redis://10.0.0.5:6379', 'serve the queue with every core') as unknown as Argv<WorkerArgs>,
  handler: async (argv) => {
    parseQueueUrl(argv.queue);
    await serveQueue(argv.queue, {
      threads: argv.concurrency ?? defaultThreads(),
      lockMs: argv['lock-ms'],
      log: (line) => process.stderr.write(`hwq worker: ${line}\n`),
    });
  },
};

export default command;
