// Flags several commands share, defined once so each means the same thing, with the same type, range and
// help text, wherever it appears.
import { presetNames } from '../../hw/presets.js';
import { MAX_BITS, MIN_BITS, parseFirstLast } from '../../sim/precision.js';
import { intOption } from './numbers.js';
import type { ProgressMode } from './progress.js';

/**
 * --progress: a bar on a terminal; plain lines (every 10%) when stderr is not one, which CI logs can keep.
 * Without the flag the same, except that off a terminal the lines start only once the work has run a second.
 */
export const progressOption = {
  type: 'boolean',
  describe: 'progress on stderr: a bar on a terminal, otherwise a line every 10% (default: on; off a terminal only for work that runs over a second; --no-progress to silence)',
} as const;

export function wantProgress(flag: boolean | undefined): ProgressMode {
  return flag ?? 'auto';
}

export const workersOption = intOption('workers', { min: 0, describe: 'image decode threads (0 = main thread; default: one per core)' });

/** --first-last with its default: the quantizer keeps 8 bits there, the simulator takes the network as given. */
export function firstLastOption(defaultValue: number | 'none') {
  return {
    describe: `bits of the first and last compute layer (activations and weights), ${MIN_BITS}..${MAX_BITS}, or 'none' to treat them like the rest`,
    requiresArg: true,
    default: defaultValue,
    coerce: parseFirstLast,
  } as const;
}

/**
 * --config: a hardware preset or a .json config. The simulator defaults to the published 8x8 Bit Fusion array, the
 * RTL generator to the board it targets; `sweep` leaves it unset because it also takes --configs (the default is
 * then only described).
 */
export function configOption(defaultName: string, mode: 'default' | 'described' = 'default') {
  return {
    type: 'string',
    requiresArg: true,
    ...(mode === 'default' ? { default: defaultName } : { defaultDescription: defaultName }),
    describe: `Hardware preset (${presetNames().join(', ')}) or a .json config file`,
  } as const;
}
