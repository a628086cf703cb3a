// `hwq rtl --config vc709 --out DIR`: writes the Bit Fusion core's Verilog for a hardware config, the VC709
// board top, its XDC, a Vivado build script and a params JSON; `--verify` first checks the generated design
// under Verilator against the TypeScript models (BitBrick, Fusion Unit, whole tiles through the core).
// `--model q.hwq` adds weights/*.mem: each quantized layer's weights packed in the core's WBUF layout
// (rtl/weights.ts), and weights/manifest.json.
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../../hw/presets.js';
import { boardOutput } from '../../../rtl/board.js';
import { hasTool } from '../../../rtl/sim.js';
import { CheckResult, verifyDesign } from '../../../rtl/verify.js';
import { weightFiles } from '../../../rtl/weights.js';
import { loadHwq } from '../../intmodel/format.js';
import { UserError } from '../../errors.js';
import { checkTreeTarget, writeTreeAtomic } from '../../fsutil.js';
import { configOption, progressOption, wantProgress } from '../flags.js';
import { checkOutputs } from '../outputs.js';
import { progress } from '../progress.js';

interface RtlArgs {
  config: string;
  out: string;
  model?: string;
  verify: boolean;
  force: boolean;
  json: boolean;
  progress?: boolean;
}

/** What verifyDesign checks, in order: BitBrick, Fusion Unit, the whole core. */
const VERIFY_STEPS = 3;

export async function runRtl(a: RtlArgs): Promise<{ files: string[]; checks: CheckResult[] }> {
  const [out] = checkOutputs([{ flag: 'out', path: a.out, kind: 'dir' }], [
    ...(a.model ? [{ what: 'the --model file', path: a.model }] : []),
    ...(a.config.toLowerCase().endsWith('.json') ? [{ what: 'the --config file', path: a.config }] : []),
  ]);
  checkTreeTarget(out, a.force);
  const cfg = loadConfig(a.config);
  const { design, files } = boardOutput(cfg);
  // The model is checked before the (slow) verification so bad input fails at once and writes nothing.
  if (a.model) for (const [name, text] of weightFiles(loadHwq(a.model), cfg, design.params, a.model)) files.set(name, text);
  const checks: CheckResult[] = [];
  if (a.verify) {
    if (!hasTool('verilator')) throw new UserError('--verify needs verilator on PATH (apt-get install verilator)');
    const bar = progress('verify under Verilator', wantProgress(a.progress));
    let done = 0;
    try {
      checks.push(...verifyDesign(design, 'verilator', () => bar.update(done++, VERIFY_STEPS)));
      bar.update(done, VERIFY_STEPS);
    } finally {
      bar.stop();
    }
  }
  const failed = checks.filter((c) => c.mismatches > 0);
  if (failed.length === 0) writeTreeAtomic(out, files, a.force);
  return { files: [...files.keys()], checks };
}

export const command: CommandModule<{}, RtlArgs> = {
  command: 'rtl',
  describe: 'Generate the Bit Fusion core\'s Verilog, a VC709 top, XDC and Vivado build script for a config',
  builder: (y: Argv) =>
    y
      .option('config', configOption('vc709'))
      .option('out', { type: 'string', requiresArg: true, demandOption: true, describe: 'Output directory (created with any missing parents; must be absent or empty unless --force)' })
      .option('model', { type: 'string', describe: 'Quantized model (.hwq from `hwq quantize`): also write weights/*.mem WBUF images and weights/manifest.json' })
      .option('verify', { type: 'boolean', default: false, describe: 'First run the Verilator checks against the TypeScript models (nothing is written if they fail)' })
      .option('force', { type: 'boolean', default: false, describe: 'Replace a non-empty --out directory' })
      .option('json', { type: 'boolean', default: false, describe: 'Print a JSON summary' })
      .option('progress', progressOption)
      .example('hwq rtl --config vc709 --out build/vc709 --verify', 'generate and check the VC709 design')
      .example('hwq rtl --config vc709 --model resnet18.hwq --out build/vc709', 'also write the model\'s weight memory images')
      .example('vivado -mode batch -source build/vc709/build.tcl', 'then build the bitstream') as unknown as Argv<RtlArgs>,
  handler: async (a) => {
    const { files, checks } = await runRtl(a);
    const failed = checks.filter((c) => c.mismatches > 0);
    if (a.json) {
      process.stdout.write(JSON.stringify({ out: resolve(a.out), written: failed.length === 0, files, checks }, null, 2) + '\n');
    } else {
      for (const c of checks) {
        process.stdout.write(`${c.mismatches ? 'FAIL' : 'ok  '} ${c.what} (${c.simulator}): ${c.checked} checked, ${c.mismatches} mismatches\n`);
        if (c.first) process.stdout.write(`     first mismatch: ${c.first}\n`);
      }
      if (failed.length === 0) process.stdout.write(`wrote ${files.length} files to ${resolve(a.out)}: ${files.join(', ')}\n`);
      else process.stdout.write('verification failed: nothing written\n');
    }
    if (failed.length) process.exitCode = 1;
  },
};
