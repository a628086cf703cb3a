// `hwq rtl --config vc709 --out DIR`: writes the Bit Fusion core's Verilog for a hardware config, the VC709
// board top, its XDC, a Vivado build script and a params JSON; `--verify` first checks the generated design
// under Verilator against the TypeScript models (BitBrick, Fusion Unit, whole tiles through the core).
// `--model q.hwq` adds weights/*.mem: each quantized layer's weights packed in the core's WBUF layout
// (rtl/weights.ts), and weights/manifest.json.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../../hw/presets.js';
import { boardOutput } from '../../../rtl/board.js';
import { hasTool } from '../../../rtl/sim.js';
import { CheckResult, verifyDesign } from '../../../rtl/verify.js';
import { weightFiles } from '../../../rtl/weights.js';
import { loadHwq } from '../../quant/hwq-format.js';
import { UserError } from '../../errors.js';

interface RtlArgs {
  config: string;
  out: string;
  model?: string;
  verify: boolean;
  force: boolean;
  json: boolean;
}

function isNonEmptyDir(p: string): boolean {
  return existsSync(p) && (!statSync(p).isDirectory() || readdirSync(p).length > 0);
}

/** Writes every file into a fresh temp directory beside `out`, then renames it into place. */
function writeAtomically(out: string, files: Map<string, string>, force: boolean): void {
  const parent = dirname(out);
  if (!existsSync(parent)) throw new UserError(`--out ${out}: the parent directory ${parent} does not exist`);
  if (isNonEmptyDir(out) && !force) throw new UserError(`--out ${out} exists and is not empty: pass --force to replace it`);
  const tmp = mkdtempSync(join(parent, `.${basename(out)}.tmp-`));
  try {
    for (const [name, text] of files) {
      mkdirSync(dirname(join(tmp, name)), { recursive: true });
      writeFileSync(join(tmp, name), text);
    }
    if (existsSync(out)) {
      const old = `${tmp}.old`;
      renameSync(out, old);
      renameSync(tmp, out);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, out);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

export async function runRtl(a: RtlArgs): Promise<{ files: string[]; checks: CheckResult[] }> {
  const cfg = loadConfig(a.config);
  const { design, files } = boardOutput(cfg);
  // The model is checked before the (slow) verification so bad input fails at once and writes nothing.
  if (a.model) for (const [name, text] of weightFiles(loadHwq(a.model), cfg, design.params, a.model)) files.set(name, text);
  const checks: CheckResult[] = [];
  if (a.verify) {
    if (!hasTool('verilator')) throw new UserError('--verify needs verilator on PATH (apt-get install verilator)');
    checks.push(...verifyDesign(design, 'verilator', (what) => {
      if (!a.json) process.stderr.write(`verifying ${what} under Verilator...\n`);
    }));
  }
  const failed = checks.filter((c) => c.mismatches > 0);
  if (failed.length === 0) writeAtomically(resolve(a.out), files, a.force);
  return { files: [...files.keys()], checks };
}

export const command: CommandModule<{}, RtlArgs> = {
  command: 'rtl',
  describe: 'Generate the Bit Fusion core\'s Verilog, a VC709 top, XDC and Vivado build script for a config',
  builder: (y: Argv) =>
    y
      .option('config', { type: 'string', default: 'vc709', describe: 'Preset name (vc709, bitfusion-8x8, bitfusion-asic) or a config .json file' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output directory (created; must be absent or empty unless --force)' })
      .option('model', { type: 'string', describe: 'Quantized model (.hwq from `hwq quantize`): also write weights/*.mem WBUF images and weights/manifest.json' })
      .option('verify', { type: 'boolean', default: false, describe: 'First run the Verilator checks against the TypeScript models (nothing is written if they fail)' })
      .option('force', { type: 'boolean', default: false, describe: 'Replace a non-empty --out directory' })
      .option('json', { type: 'boolean', default: false, describe: 'Print a JSON summary' })
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
