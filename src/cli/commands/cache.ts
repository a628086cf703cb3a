// `hwq cache list|prune`: what the result cache holds (entries and bytes per job kind) and removing entries by
// age or kind. Entries are keyed by content, so removing one only costs the time to compute it again.
import type { Argv, CommandModule } from 'yargs';
import { cacheFiles, parseAge, prune, summarize, KindSummary, OTHER_KIND } from '../../jobs/result-cache.js';
import { cachedKinds } from '../../jobs/job.js';
import '../../jobs/kinds/index.js';
import { chosenCache } from '../job-options.js';
import { unknownChoice, UserError } from '../../errors.js';
import { bytes, formatTable, grouped } from '../table.js';

interface CacheArgs {
  action: 'list' | 'prune';
  cache?: string | boolean;
  'older-than'?: string;
  kind?: string;
  json: boolean;
}

const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));

function listText(dir: string, kinds: KindSummary[]): string {
  if (kinds.length === 0) return `${dir}: empty\n`;
  const total = kinds.reduce((a, k) => ({ entries: a.entries + k.entries, bytes: a.bytes + k.bytes }), { entries: 0, bytes: 0 });
  return `${dir}: ${grouped(total.entries)} entries, ${bytes(total.bytes)}\n` + formatTable(
    [
      { header: 'kind' }, { header: 'entries', numeric: true }, { header: 'size', numeric: true },
      { header: 'oldest use (UTC)' }, { header: 'newest use (UTC)' },
    ],
    kinds.map((k) => [k.kind, grouped(k.entries), bytes(k.bytes), when(k.oldestMs), when(k.newestMs)]),
  );
}

export const command: CommandModule<{}, CacheArgs> = {
  command: 'cache <action>',
  describe: 'List or prune the result cache (sweep points and other jobs kept by content hash)',
  builder: (y: Argv) =>
    y.positional('action', {
      type: 'string', choices: ['list', 'prune'], demandOption: true, describe: 'list: entries and size per kind; prune: remove entries',
    })
      .option('cache', { type: 'string', requiresArg: true, defaultDescription: '$HWQ_CACHE or ~/.cache/hwq/results', describe: 'The cache folder' })
      .option('older-than', { type: 'string', requiresArg: true, describe: 'prune: only entries last used longer ago than this (e.g. 7d, 12h, 30m)' })
      .option('kind', { type: 'string', requiresArg: true, describe: "Only this job kind (e.g. sim-point; 'other' for entries outside the job model)" })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON' })
      .example('hwq cache prune --older-than 7d', 'remove results no run has used for a week') as unknown as Argv<CacheArgs>,
  handler: (argv) => {
    if (argv.cache === false) throw new UserError('hwq cache needs a cache folder: give --cache DIR, not --no-cache');
    const dir = chosenCache(argv)!;
    if (argv.action === 'list' && argv['older-than'] !== undefined) throw new UserError('--older-than applies to hwq cache prune, not list');
    const cutoffMs = argv['older-than'] === undefined ? undefined : Date.now() - parseAge(argv['older-than']);
    const present = summarize(cacheFiles(dir));
    const known = [...new Set([...cachedKinds(), OTHER_KIND, ...present.map((k) => k.kind)])].sort();
    if (argv.kind !== undefined && !known.includes(argv.kind)) throw unknownChoice('--kind', argv.kind, known);
    if (argv.action === 'list') {
      const kinds = present.filter((k) => argv.kind === undefined || k.kind === argv.kind);
      if (argv.json) process.stdout.write(JSON.stringify({ dir, kinds }, null, 2) + '\n');
      else process.stdout.write(listText(dir, kinds));
      return;
    }
    const removed = prune(dir, { cutoffMs, kind: argv.kind });
    const kinds = summarize(removed).map(({ kind, entries, bytes: b }) => ({ kind, entries, bytes: b }));
    const freed = removed.reduce((a, f) => a + f.bytes, 0);
    if (argv.json) process.stdout.write(JSON.stringify({ dir, removed: removed.length, bytes: freed, kinds }, null, 2) + '\n');
    else process.stdout.write(`removed ${grouped(removed.length)} entries (${bytes(freed)}) from ${dir}\n`);
  },
};

export default command;
