// Every hwq command, in the order `hwq --help` lists them.
import { command as sim } from './sim.js';
import { command as sweep } from './sweep.js';
import { command as zoo } from './zoo.js';

export const commands = [sim, sweep, zoo];
