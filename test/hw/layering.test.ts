// The library's imports run one way: hw/ says what the hardware is and depends on none of the models built on
// it, and the RTL generator and verifier do not reach into the simulator or the data pipeline. Checked on the
// TypeScript sources, so a new import that crosses a layer fails here with the file and the import named.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { REPO_ROOT } from '../helpers.js';

/** Folders (repo-relative, '/'-separated) whose files must not import from the listed folders. */
const RULES: Array<{ from: string; banned: string[] }> = [
  { from: 'rtl/', banned: ['sim/', 'src/data/'] },
  { from: 'hw/', banned: ['sim/', 'rtl/', 'src/quant/'] },
];

const SOURCE_DIRS = ['hw', 'sim', 'rtl', 'src'];

/** Module specifiers of static imports, re-exports, side-effect imports and dynamic imports. */
function importsOf(text: string): string[] {
  const out: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]);
  return out;
}

/** Every rule broken by `files` (repo-relative path -> source text), as "file imports 'specifier'" lines. */
function layeringViolations(files: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    const rule = RULES.find((r) => file.startsWith(r.from));
    if (!rule) continue;
    for (const spec of importsOf(text)) {
      if (!spec.startsWith('.')) continue;
      const target = posix.normalize(posix.join(posix.dirname(file), spec));
      const hit = rule.banned.find((b) => target.startsWith(b));
      if (hit) out.push(`${file} imports '${spec}' (${hit} is off limits to ${rule.from})`);
    }
  }
  return out;
}

function sourceTree(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) files.set(relative(REPO_ROOT, p).split(sep).join('/'), readFileSync(p, 'utf8'));
    }
  };
  for (const d of SOURCE_DIRS) walk(join(REPO_ROOT, d));
  return files;
}

test('the checker names each file that crosses a layer and the import that does it', () => {
  const files = new Map([
    ['rtl/a.ts', "import { x } from '../sim/layer-model.js';\nimport type { T } from '../hw/config.js';"],
    ['rtl/modules/b.ts', "export { y } from '../../src/data/sampling.js';\nconst m = await import('../../src/random.js');"],
    ['hw/c.ts', "import {\n  q,\n} from '../src/quant/methods.js';\nimport '../rtl/params.js';\nimport { r } from './fusion-unit.js';"],
    ['hw/d.ts', "const s = await import('../sim/simulate.js');"],
    ['sim/e.ts', "import { a } from '../rtl/pack.js';\nimport { b } from '../src/data/sampling.js';"],
    ['src/f.ts', "import { c } from '../sim/simulate.js';"],
  ]);
  assert.equal(layeringViolations(files), [
    "rtl/a.ts imports '../sim/layer-model.js' (sim/ is off limits to rtl/)",
    "rtl/modules/b.ts imports '../../src/data/sampling.js' (src/data/ is off limits to rtl/)",
    "hw/c.ts imports '../src/quant/methods.js' (src/quant/ is off limits to hw/)",
    "hw/c.ts imports '../rtl/params.js' (rtl/ is off limits to hw/)",
    "hw/d.ts imports '../sim/simulate.js' (sim/ is off limits to hw/)",
  ]);
});

test('hw/ imports nothing from sim/, rtl/ or src/quant/; rtl/ nothing from sim/ or src/data/', () => {
  const files = sourceTree();
  assert.ok(files.has('hw/stepped-array.ts') && files.has('rtl/verify.ts'), `source tree not found under ${REPO_ROOT}`);
  const bad = layeringViolations(files);
  assert.ok(bad.length === 0, `imports against the layering:\n  ${bad.join('\n  ')}`);
});

test.run();
