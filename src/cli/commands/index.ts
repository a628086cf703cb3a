// Every hwq command, in the order `hwq --help` lists them.
import type { CommandModule } from 'yargs';
import { command as sim } from './sim.js';
import { command as sweep } from './sweep.js';
import { command as zoo } from './zoo.js';
import { command as quantize } from './quantize.js';
import { command as evalCommand } from './eval.js';
import { command as compare } from './compare.js';
import { command as rtl } from './rtl.js';
import { command as board } from './board.js';
import { command as codesign } from './codesign.js';
import { command as calibrate } from './calibrate.js';
import { command as config } from './config.js';
import { command as cache } from './cache.js';
import { command as worker } from './worker.js';

// typed by hand: the declaration files cannot name each command's private argument type
export const commands: Array<CommandModule<{}, any>> = [sim, sweep, zoo, quantize, evalCommand, compare, codesign, calibrate, rtl, board, config, cache, worker];
