// The hwq entry point: runs the command line and exits with its code (the contract is in src/cli/run.ts).
import { hideBin } from 'yargs/helpers';
import { runCli } from './run.js';

process.exitCode = await runCli(hideBin(process.argv));
