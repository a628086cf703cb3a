// Runs the bad-input cases in this process through runCli (the CLI's own entry, minus process.exit), so the
// whole table takes seconds: each case's exit code, stdout, stderr, and whatever it left in the fixture folder.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runCaptured } from '../run-hwq.js';
import { BAD_CASES, BadCase } from './cases.js';
import { Fixtures, damageHwq, writeFixtures } from './fixtures.js';

export interface CaseRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Files and folders the case created in the fixture folder (paths relative to it). */
  leftovers: string[];
}

function listTree(dir: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      out.add(relative(dir, p));
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** '@name' -> the fixture's path; '@dir' -> the fixture folder. Applied inside arguments too ('@dir/x.onnx'). */
export function expand(text: string, fx: Fixtures): string {
  return text.replace(/@([A-Za-z0-9-]+)/g, (m, name: string) => {
    if (name === 'dir') return fx.dir;
    const p = fx.files[name];
    if (p === undefined) throw new Error(`bad-input case names unknown fixture '${m}'`);
    return p;
  });
}

/** The fixture folder with the quantized models the .hwq cases damage; remove it with rmSync when done. */
export async function makeFixtures(): Promise<Fixtures> {
  const fx = writeFixtures(mkdtempSync(join(tmpdir(), 'hwq-bad-inputs-')));
  const good = join(fx.dir, 'q.hwq');
  const wonly = join(fx.dir, 'w4.hwq');
  const runs = [
    ['quantize', fx.files.cnn, '--a8w8', '--calib', fx.files.images, '--calib-size', '6', '--sqnr-images', '0', '--out', join(fx.dir, 'q.onnx'), '--hwq', good, '--no-progress'],
    ['quantize', fx.files.cnn, '--w4', '--out', join(fx.dir, 'w4.onnx'), '--hwq', wonly, '--no-progress'],
  ];
  for (const args of runs) {
    const r = await runCaptured(args);
    if (r.code !== 0) throw new Error(`fixture 'hwq ${args.join(' ')}' failed (${r.code}): ${r.stderr}`);
  }
  Object.assign(fx.files, { hwq: good, qonnx: join(fx.dir, 'q.onnx'), hwqWeightOnly: wonly });
  damageHwq(fx, good);
  return fx;
}

/** Runs one case and reports what it left behind. */
export async function runCase(c: BadCase, fx: Fixtures): Promise<CaseRun> {
  const before = listTree(fx.dir);
  const r = await runCaptured(c.args.map((a) => expand(a, fx)));
  const after = listTree(fx.dir);
  const leftovers = [...after].filter((p) => !before.has(p));
  // leave the folder as it was for the next case, whatever this one did
  for (const p of leftovers.sort().reverse()) rmSync(join(fx.dir, p), { recursive: true, force: true });
  return { ...r, leftovers };
}

/** What a case must show: exit 2, nothing on stdout, one `hwq:` line naming the bad input, nothing left behind. */
export function judge(c: BadCase, r: CaseRun, fx: Fixtures): string[] {
  const problems: string[] = [];
  if (r.code !== 2) problems.push(`exit ${r.code}, expected 2`);
  if (r.stdout !== '') problems.push(`printed on stdout: ${r.stdout.slice(0, 200)}`);
  const lines = messageLines(r.stderr);
  if (lines.length !== 1 || !lines[0].startsWith('hwq: ')) problems.push(`expected one 'hwq: ...' line, got ${JSON.stringify(lines)}`);
  if (/\n\s+at /.test(r.stderr)) problems.push('stack trace printed');
  const msg = lines.join(' ');
  const names = expand(c.names, fx);
  if (!msg.includes(names)) problems.push(`message does not name '${names}': ${msg}`);
  if (c.says && !c.says.test(msg)) problems.push(`message does not match ${c.says}: ${msg}`);
  if (/\bNaN\b|undefined|\[object /.test(msg)) problems.push(`message shows an internal value: ${msg}`);
  if (r.leftovers.length) problems.push(`left behind: ${r.leftovers.join(', ')}`);
  return problems;
}

const USAGE_HINT = "Run 'hwq --help' (or 'hwq <command> --help') for usage.";

export function messageLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && l !== USAGE_HINT);
}

export { BAD_CASES };
