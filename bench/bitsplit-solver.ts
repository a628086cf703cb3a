// Times the layer-wise reconstruction solvers on synthetic layers of the sizes the pipeline meets:
// ResNet-20's largest conv (D = 576, OC = 64), MobileNetV2's largest 1x1 conv (D = 960, OC = 320) and a
// 960-group depthwise 3x3 conv (D = 9, OC = 1 per group), N = 12,000 sampled positions, 4 and 3 bits.
// X is ReLU of correlated Gaussians (like post-ReLU activations), Y = X W^T + 5 % noise (the pipeline's X comes
// from the partly quantized network, so y is not exactly reachable).
// Run: npx tsc -p . && node dist/bench/bitsplit-solver.js
import { cpus, loadavg } from 'node:os';
import { attr } from '../src/onnx/attr.js';
import { buildModel } from '../src/onnx/build.js';
import { encodeModel } from '../src/onnx/proto.js';
import { openModel } from '../src/onnx/run.js';
import { type GroupSamples, type LayerProblem, buildProblems, releaseGramSession } from '../src/quant/bitsplit/gram.js';
import { bitsplitSolve } from '../src/quant/bitsplit/bitsplit.js';
import { logSolve } from '../src/quant/bitsplit/log-quant.js';

function gauss(seed: number): () => number {
  let a = seed >>> 0;
  const u = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Y = X W^T (G groups), by onnxruntime: the JS product would dominate the benchmark's set-up. */
async function outputs(X: Float32Array, W: Float32Array, G: number, N: number, D: number, OC: number): Promise<Float32Array> {
  const m = await openModel(encodeModel(buildModel({
    inputs: [{ name: 'X', dims: [G, N, D] }, { name: 'W', dims: [G, OC, D] }],
    outputs: [{ name: 'Y', dims: [G, N, OC] }],
    nodes: [
      { op: 'Transpose', inputs: ['W'], outputs: ['Wt'], attrs: { perm: attr.ints([0, 2, 1]) } },
      { op: 'MatMul', inputs: ['X', 'Wt'], outputs: ['Y'] },
    ],
  })), 2);
  const r = await m.run({ X: { dims: [G, N, D], data: X }, W: { dims: [G, OC, D], data: W } });
  await m.release();
  return r.get('Y')!.data as Float32Array;
}

interface Layer { name: string; G: number; N: number; D: number; OC: number; groups: GroupSamples[]; W: Float32Array[] }

async function makeLayer(name: string, G: number, N: number, D: number, OC: number, seed: number): Promise<Layer> {
  const r = gauss(seed);
  const latent = Math.min(16, D);
  const X = new Float32Array(G * N * D);
  const mix = Float32Array.from({ length: latent * D }, () => r());
  const z = new Float64Array(latent);
  for (let gn = 0; gn < G * N; gn++) {
    for (let l = 0; l < latent; l++) z[l] = r();
    for (let d = 0; d < D; d++) {
      let s = 0.7 * r();
      for (let l = 0; l < latent; l++) s += (z[l] * mix[l * D + d]) / Math.sqrt(latent);
      X[gn * D + d] = Math.max(0, s);
    }
  }
  const W = Float32Array.from({ length: G * OC * D }, () => r() / Math.sqrt(D));
  const Y = await outputs(X, W, G, N, D, OC);
  let e = 0;
  for (let i = 0; i < Y.length; i++) e += Y[i] * Y[i];
  const noise = 0.05 * Math.sqrt(e / Y.length);
  for (let i = 0; i < Y.length; i++) Y[i] += noise * r();
  const groups: GroupSamples[] = [];
  const Ws: Float32Array[] = [];
  for (let g = 0; g < G; g++) {
    groups.push({ X: X.subarray(g * N * D, (g + 1) * N * D), Y: Y.subarray(g * N * OC, (g + 1) * N * OC) });
    Ws.push(W.subarray(g * OC * D, (g + 1) * OC * D));
  }
  return { name, G, N, D, OC, groups, W: Ws };
}

function sum(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

async function bench(l: Layer): Promise<string[]> {
  const lines: string[] = [];
  const t0 = performance.now();
  const probs: LayerProblem[] = await buildProblems(l.groups, l.N, l.D, l.OC);
  const tStats = performance.now() - t0;
  lines.push(`${l.name}, N = ${l.N}: statistics (onnxruntime MatMul, ${l.G} group(s)) ${tStats.toFixed(0)} ms`);
  for (const bits of [4, 3]) {
    for (const kind of ['bitsplit', 'log'] as const) {
      const t1 = performance.now();
      let J0 = 0, J = 0, sweeps = 0, sweepSum = 0, channels = 0;
      for (let g = 0; g < l.G; g++) {
        const r = kind === 'bitsplit' ? await bitsplitSolve(probs[g], l.W[g], { bits }) : await logSolve(probs[g], l.W[g], { bits });
        J0 += sum(r.initialObjective);
        J += sum(r.objective);
        sweeps = Math.max(sweeps, r.sweeps);
        for (const s of r.channelSweeps) sweepSum += s;
        channels += r.channelSweeps.length;
      }
      const ms = performance.now() - t1;
      lines.push(`  ${kind} ${bits}-bit: ${ms.toFixed(0)} ms, sweeps mean ${(sweepSum / channels).toFixed(1)} max ${sweeps}, error vs TF-Lite init ${(J / J0).toFixed(3)}x`);
    }
  }
  return lines;
}

// Open the onnxruntime sessions first, so the first layer's statistics time is only the MatMul.
await buildProblems([{ X: new Float32Array(4), Y: new Float32Array(2) }], 2, 2, 1);
console.log(`${cpus().length} cores, node ${process.version}, 1-minute load average ${loadavg()[0].toFixed(1)}`);
const N = 12000;
const specs: [string, number, number, number][] = [
  ['resnet20 conv D=576 OC=64', 1, 576, 64],
  ['mobilenetv2 1x1 D=960 OC=320', 1, 960, 320],
  ['mobilenetv2 depthwise D=9 x 960 groups', 960, 9, 1],
];
for (const [i, [name, G, D, OC]] of specs.entries()) {
  const l = await makeLayer(name, G, N, D, OC, 1000 + i);
  for (const line of await bench(l)) console.log(line);
}
await releaseGramSession();
