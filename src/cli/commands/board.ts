// `hwq board run --model q.hwq --image FILE --port /dev/ttyUSB0`: one image through a quantized network on the
// VC709 running the generated bitstream, over its USB-UART (rtl/board-run.ts: the program and memory image are
// loaded over the host link, the host does the pooling steps, the logits come back). `--sim` runs the same host
// code against a Verilator model of the board's design behind a simulated UART (rtl/board-sim.ts) instead. The
// logits are checked against the integer model's on this machine.
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, existsSync, openSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ReadStream, WriteStream, isatty } from 'node:tty';
import type { Readable, Writable } from 'node:stream';
import type { Argv, CommandModule } from 'yargs';
import type { HwConfig } from '../../../hw/config.js';
import { loadConfig } from '../../../hw/presets.js';
import { type BoardSegment, BoardRunError, runProgramOverLink } from '../../../rtl/board-run.js';
import { BoardSim, SIM_CLKS_PER_BIT } from '../../../rtl/board-sim.js';
import { HOST_BAUD, HostLink, HostLinkError } from '../../../rtl/host-link.js';
import { compileNetwork } from '../../../rtl/net-program.js';
import { rtlParams } from '../../../rtl/params.js';
import { StreamByteLink } from '../../../rtl/serial-link.js';
import { hasTool } from '../../../rtl/sim.js';
import { readImageFile } from '../../data/image.js';
import { readNpy } from '../../data/npy.js';
import { PRESETS, outputChannels, preprocess } from '../../data/preprocess.js';
import { UserError } from '../../errors.js';
import { type HwqModel, loadHwq } from '../../intmodel/format.js';
import { runNetwork, top1 } from '../../intmodel/run-network.js';
import { simTiling } from '../../jobs/kinds/rtl-image.js';
import { configOption } from '../flags.js';
import { intOption } from '../numbers.js';

export interface BoardRunArgs {
  config: string;
  model: string;
  image: string;
  port?: string;
  sim: boolean;
  dram?: boolean;
  clksPerBit?: number;
  timeout?: number;
  json: boolean;
}

export interface BoardCliResult {
  model: string;
  image: string;
  config: string;
  /** The serial device, or 'sim' for the Verilator model. */
  link: string;
  logits: number[];
  top1: number;
  /** The integer model's logits (the network run on this machine) equal the board's. */
  logitsEqual: boolean;
  segments: BoardSegment[];
  /** Cycles the board counted running the program, all segments. */
  runCycles: number;
  wordsWritten: number;
  wordsRead: number;
  /** Cycles the simulation ran in all (link traffic included); --sim only. */
  simCycles?: number;
  seconds: number;
}

/** The image as the network's input: a .npy of exactly its size, or an image file through the matching preprocessing preset. */
export function boardInput(model: HwqModel, modelPath: string, image: string): Float32Array {
  if (!existsSync(image)) throw new UserError(`--image '${image}' not found`);
  if (statSync(image).isDirectory()) throw new UserError(`--image '${image}' is a directory; give one image file or .npy sample`);
  const inp = model.network.input;
  const n = inp.c * inp.h * inp.w;
  if (image.toLowerCase().endsWith('.npy')) {
    const { shape, data } = readNpy(image);
    if (data.length !== n) throw new UserError(`--image '${image}' holds ${shape.join('x')} values; '${modelPath}' takes ${inp.c}x${inp.h}x${inp.w}`);
    return data;
  }
  const preset = Object.values(PRESETS).find((s) => s.height === inp.h && s.width === inp.w && outputChannels(s) === inp.c);
  if (!preset) {
    throw new UserError(`'${modelPath}' takes ${inp.c}x${inp.h}x${inp.w} inputs; no preprocessing preset (${Object.keys(PRESETS).join(', ')}) `
      + `produces them: give --image as a .npy of that shape`);
  }
  return preprocess(readImageFile(image), preset);
}

/** The serial device set to the host link's rate, 8N1, raw, and streams over it. */
function openSerial(port: string): { input: Readable; output: Writable; close: () => void } {
  let fd: number;
  try {
    fd = openSync(port, 'r+');
  } catch (e) {
    throw new UserError(`cannot open --port '${port}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (is your user in the dialout group?)`);
  }
  if (isatty(fd)) {
    const r = spawnSync('stty', ['-F', port, String(HOST_BAUD), 'raw', '-echo', 'cs8', '-cstopb', '-parenb', '-crtscts', '-ixon', '-ixoff'], { encoding: 'utf8' });
    if (r.status !== 0) {
      closeSync(fd);
      throw new UserError(`cannot set --port '${port}' to ${HOST_BAUD} 8N1 raw with stty: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
    }
    // A second descriptor for writing: each tty stream owns (and closes) its own.
    const out = openSync(port, 'w');
    const input = new ReadStream(fd);
    const output = new WriteStream(out);
    return { input, output, close: () => { input.destroy(); output.destroy(); } };
  }
  // Not a terminal (a FIFO or a socket file standing in for the board): plain file streams.
  const input = createReadStream('', { fd, autoClose: false });
  const output = createWriteStream('', { fd, autoClose: false });
  return { input, output, close: () => { input.destroy(); closeSync(fd); } };
}

export async function runBoard(a: BoardRunArgs): Promise<BoardCliResult> {
  if (a.sim === (a.port !== undefined)) throw new UserError(a.sim ? '--sim and --port exclude each other: give one' : 'give --port DEVICE (the board) or --sim (its Verilator model)');
  if (!a.sim && a.clksPerBit !== undefined) throw new UserError('--clks-per-bit goes with --sim (the board runs at its clock over 115200 baud)');
  if (!a.sim && a.dram) throw new UserError('--dram goes with --sim (on the board, the memory is the one the bitstream was built with)');
  const cfg: HwConfig = loadConfig(a.config);
  const model = loadHwq(a.model);
  const x = boardInput(model, a.model, a.image);
  // The link before the (slower) compile: a missing device is the commonest mistake.
  if (a.sim && !hasTool('verilator')) throw new UserError('--sim needs verilator on PATH (apt-get install verilator)');
  if (a.port !== undefined && !existsSync(a.port)) {
    throw new UserError(`--port '${a.port}' not found (the board's USB-UART is usually /dev/ttyUSB0; is the cable in and the board on?)`);
  }
  const p = rtlParams(cfg);
  let prog;
  try {
    prog = compileNetwork(model, cfg, p, a.model, simTiling(cfg));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot compile '${a.model}' into a network program for config '${a.config}': ${(e as Error).message}`);
  }
  const want = runNetwork(model, x, a.model).accumulators;
  const opts = { haltTimeoutMs: (a.timeout ?? (a.sim ? 3600 : 60)) * 1000 };
  const t0 = Date.now();
  let run;
  let simCycles: number | undefined;
  const fail = (e: unknown, where: string): never => {
    if (e instanceof BoardRunError || e instanceof HostLinkError) throw new UserError(`${where}: ${(e as Error).message}`);
    throw e;
  };
  if (a.sim) {
    const sim = BoardSim.start(cfg, { clksPerBit: a.clksPerBit ?? SIM_CLKS_PER_BIT, replyTimeoutMs: opts.haltTimeoutMs, memory: a.dram ? 'dram' : 'bram' });
    try {
      run = await runProgramOverLink(sim.link, prog, p, x, opts).catch((e) => fail(e, 'the simulated board'));
      simCycles = (await sim.close()).cycles;
    } catch (e) {
      sim.kill();
      throw e;
    }
  } else {
    const port = a.port!;
    const s = openSerial(port);
    try {
      const link = new HostLink(new StreamByteLink(s.input, s.output, 2000), 32);
      run = await runProgramOverLink(link, prog, p, x, opts).catch((e) => fail(e, `the board on ${port}`));
    } finally {
      s.close();
    }
  }
  const logits = Array.from(run.logits);
  return {
    model: resolve(a.model), image: resolve(a.image), config: a.config, link: a.sim ? 'sim' : a.port!, logits, top1: top1(run.logits),
    logitsEqual: logits.length === want.length && logits.every((v, i) => v === want[i]), segments: run.segments,
    runCycles: run.segments.reduce((s, g) => s + g.cycles, 0), wordsWritten: run.wordsWritten, wordsRead: run.wordsRead,
    ...(simCycles !== undefined ? { simCycles } : {}), seconds: (Date.now() - t0) / 1000,
  };
}

function summary(r: BoardCliResult): string {
  const segs = r.segments.map((s) => `${s.cycles} cycles from word ${s.fromPc} to ${['the end', 'a host step', 'a bad opcode'][s.stopCode] ?? `stop code ${s.stopCode}`}`);
  return [
    `${r.image} on ${r.link === 'sim' ? 'the simulated board' : `the board at ${r.link}`}: top-1 ${r.top1}, logits ${r.logitsEqual ? 'equal to' : 'DIFFERENT from'} the integer model's`,
    `logits: ${r.logits.join(' ')}`,
    `runs: ${segs.join('; ')} (${r.runCycles} cycles)`,
    `link: ${r.wordsWritten} words written, ${r.wordsRead} read${r.simCycles !== undefined ? `; ${r.simCycles} simulated cycles` : ''}; ${r.seconds.toFixed(1)} s`,
  ].join('\n') + '\n';
}

interface BoardArgs extends BoardRunArgs {
  action: string;
}

export const command: CommandModule<{}, BoardArgs> = {
  command: 'board <action>',
  describe: 'Run a quantized network on the VC709 board over its USB-UART (or on a Verilator model of it with --sim)',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['run'], describe: 'run: one image through the network on the board' })
      .option('model', { type: 'string', demandOption: true, describe: 'Quantized model (.hwq from `hwq quantize`)' })
      .option('image', { type: 'string', demandOption: true, describe: 'The input: an image file (preprocessed by the preset of the model\'s input size) or a .npy sample' })
      .option('port', { type: 'string', describe: 'The board\'s serial device (e.g. /dev/ttyUSB0), running the bitstream of `hwq rtl --config CONFIG`' })
      .option('sim', { type: 'boolean', default: false, describe: 'Run on a Verilator model of the board\'s design instead (board_system behind a simulated UART)' })
      .option('dram', { type: 'boolean', describe: '--sim: the external-memory design (board_system_axi, build.tcl\'s DDR3 path) on the DRAM model instead of block RAM' })
      .option('config', configOption('vc709'))
      .option('clks-per-bit', intOption('clks-per-bit', { min: 4, describe: `--sim: UART bit time in cycles (default ${SIM_CLKS_PER_BIT}; the board's is its clock over 115200)` }))
      .option('timeout', intOption('timeout', { min: 1, describe: 'Seconds a run may take to halt (default 60 on the board, 3600 under --sim)' }))
      .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON' })
      .example('hwq board run --model q.hwq --image cat.png --port /dev/ttyUSB0', 'one image on the board')
      .example('hwq board run --model q.hwq --image x.npy --sim --config small.json', 'the same host code on a Verilator model of a small array') as unknown as Argv<BoardArgs>,
  handler: async (a) => {
    const r = await runBoard(a);
    process.stdout.write(a.json ? JSON.stringify(r, null, 2) + '\n' : summary(r));
    if (!r.logitsEqual) process.exitCode = 1;
  },
};
