#!/usr/bin/env node
// Second half of `npm run bundle`: turns ncc's output directory into a runnable single-file CLI.
//  - bundle/index.js -> bundle/hwq.js with a `#!/usr/bin/env node` line, mode 755.
//  - ncc splits each dynamic import() into a chunk file. A chunk whose only content is ncc's stub for a
//    package it could not find (`eval("require")("canvas")`, vega's optional PNG backend) can never load in
//    an ES module (`require` is not defined there), and the code importing it already catches a failed
//    import, so deleting the stub changes nothing and leaves one file. Any chunk with real code is kept and
//    named in the summary: it has to ship next to hwq.js.
//  - ncc does not relocate onnxruntime-node's native binding (a template-literal require of
//    ../bin/napi-v6/<platform>/<arch>/onnxruntime_binding.node relative to the bundle). When the bundle
//    contains that require, the binding and libonnxruntime.so (found via the binding's $ORIGIN runpath) are
//    copied to bundle/onnxruntime/ and the require is pointed there, so the bundle runs from any directory.
//  - bundle/package.json ({"type":"module"}, written by ncc) is kept: the bundle is an ES module (the CLI
//    uses top-level await) and Node before 20.19 does not detect that from the syntax alone.
// Usage: node scripts/finish-bundle.js [bundle-dir]
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const dir = process.argv[2] ?? join(root, 'bundle');
const SHEBANG = '#!/usr/bin/env node\n';
const STUB = /^\s*export const id = (\d+);\s*export const ids = \[\d+\];\s*export const modules = \{\s*\/\*{3}\/ \d+:\s*\/\*{3}\/ \(\(module\) => \{\s*module\.exports = eval\("require"\)\("([^"]+)"\);\s*\/\*{3}\/ \}\)\s*\};\s*$/;
// The binding path as onnxruntime-node writes it, or as ncc evaluates it at build time.
const ORT_REQUIRE = /(["'`])\.\.\/bin\/napi-v(\d+)\/(?:\$\{process\.platform\}|[\w-]+)\/(?:\$\{process\.arch\}|[\w-]+)\/onnxruntime_binding\.node\1/g;
const ORT_DIR = 'onnxruntime';

function fail(msg) {
  process.stderr.write(`finish-bundle: ${msg}\n`);
  process.exit(1);
}

function mainFile() {
  for (const ext of ['.js', '.mjs']) {
    if (existsSync(join(dir, `index${ext}`))) return { from: join(dir, `index${ext}`), to: join(dir, `hwq${ext}`) };
  }
  fail(`no index.js in ${dir}: run ncc first (npm run bundle does)`);
}

/** Copies onnxruntime-node's native files next to the bundle and rewrites the require; returns the files copied. */
function relocateOnnxRuntime(code) {
  const versions = new Set([...code.matchAll(ORT_REQUIRE)].map((m) => m[2]));
  rmSync(join(dir, ORT_DIR), { recursive: true, force: true });
  if (versions.size === 0) return { code, copied: [] };
  if (versions.size > 1) fail(`the bundle requires onnxruntime bindings of several N-API versions (${[...versions].join(', ')})`);
  const src = join(root, 'node_modules', 'onnxruntime-node', 'bin', `napi-v${[...versions][0]}`, process.platform, process.arch);
  if (!existsSync(src)) fail(`onnxruntime-node has no native binding for ${process.platform}/${process.arch} at ${src}`);
  mkdirSync(join(dir, ORT_DIR), { recursive: true });
  const copied = readdirSync(src).filter((f) => statSync(join(src, f)).isFile());
  for (const f of copied) copyFileSync(join(src, f), join(dir, ORT_DIR, f));
  if (!copied.includes('onnxruntime_binding.node')) fail(`${src} has no onnxruntime_binding.node`);
  return { code: code.replace(ORT_REQUIRE, `"./${ORT_DIR}/onnxruntime_binding.node"`), copied: copied.map((f) => join(ORT_DIR, f)) };
}

const { from, to } = mainFile();
let code = readFileSync(from, 'utf8');
if (!code.startsWith('#!')) code = SHEBANG + code;
const ort = relocateOnnxRuntime(code);
code = ort.code;

const removed = [];
const kept = [];
for (const f of readdirSync(dir).filter((f) => /^\d+\.index\.m?js$/.test(f))) {
  const m = STUB.exec(readFileSync(join(dir, f), 'utf8'));
  if (m) {
    rmSync(join(dir, f));
    removed.push(`${f} (stub for missing optional package '${m[2]}')`);
  } else kept.push(f);
}

// Write the new file before removing index.js, so an interrupted run never leaves the directory without a CLI.
const tmp = `${to}.${process.pid}.tmp`;
writeFileSync(tmp, code);
chmodSync(tmp, 0o755);
renameSync(tmp, to);
rmSync(from);

const size = (p) => `${(statSync(p).size / 1024).toFixed(0)} KiB`;
const lines = [`finish-bundle: ${relative(process.cwd(), to) || to} ${size(to)}`];
for (const r of removed) lines.push(`  removed ${r}`);
for (const c of ort.copied) lines.push(`  native asset ${c} ${size(join(dir, c))}`);
for (const k of kept) lines.push(`  kept chunk ${k} ${size(join(dir, k))}: ship it next to ${relative(dir, to)}`);
process.stdout.write(lines.join('\n') + '\n');
