// Empirical bias correction (Nagel et al. 2019, "data-free quantization", section 4.2 with data): after a model
// is quantized, walk its layers in order and give each one the bias that makes its mean output on the
// calibration set equal the float network's. The layer's inputs come from the network whose earlier layers
// are already quantized and corrected, and pass through the layer's own activation quantizer, so the shift
// removed is the whole one: weight rounding, activation clipping and rounding, and what earlier layers left.
//
// The mean of a linear layer's output is linear in its input's mean, so per output channel c:
//   b'[c] = b[c] + E[y_float[c] - b[c]] - sum_d E[Q(x)[d]] * wq[c, d]
// with the expectations over the sampled output positions of the reconstruction driver.
import { ecaqCodesInPlace } from './ecaq.js';
import { fakeQuantizeInPlace } from './fake-quant.js';
import type { LayerData } from './layer-data.js';
import type { LayerSite } from './prepare.js';
import { reconstructLayers, type ReconstructInput } from './reconstruct.js';
import type { QuantLayer, QuantModel } from './types.js';

/** Column means of a group's X (N x D) and Y (N x OC). */
function columnMeans(m: Float32Array, n: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < n; r++) for (let c = 0; c < cols; c++) out[c] += m[r * cols + c];
  return out.map((v) => v / Math.max(1, n));
}

/**
 * The bias of `layer` that zeroes its mean output error on the samples in `data` (X: the layer's input before
 * its own quantizer, Y: the float output minus the float bias). `data` is consumed (X is quantized in place).
 */
export function empiricalBias(layer: QuantLayer, site: LayerSite, data: LayerData): Float32Array {
  const act = layer.act;
  if (act?.channelScales) ecaqCodesInPlace(data, act, true);
  else if (act) for (const g of data.groups) fakeQuantizeInPlace(g.X, act);
  const { D, OC } = data;
  const outC = OC * data.groups.length;
  const bias = new Float32Array(outC);
  // Integer weights in im2col order: conv [outC][D] as stored; fc/gemm with the channel axis 1 are [D][outC].
  const wAt = (c: number, d: number) => (layer.channelAxis === 0 ? layer.wInt[c * D + d] : layer.wInt[d * outC + c]);
  data.groups.forEach((g, gi) => {
    const mx = columnMeans(g.X, data.N, D);
    const my = columnMeans(g.Y, data.N, OC);
    for (let o = 0; o < OC; o++) {
      const c = gi * OC + o;
      let dot = 0;
      for (let d = 0; d < D; d++) dot += mx[d] * wAt(c, d);
      bias[c] = (site.bias ? site.bias[c] : 0) + my[o] - dot * layer.wScales[c];
    }
  });
  return bias;
}

export type EmpiricalBiasInput = Omit<ReconstructInput, 'quantizedSoFar' | 'layer' | 'needStats'> & { model: QuantModel };

/** The model with every conv and fc bias replaced by its empirical correction (MatMul layers have none). */
export async function correctBiasesEmpirically(x: EmpiricalBiasInput): Promise<QuantModel> {
  const layers: QuantLayer[] = [];
  await reconstructLayers({
    ...x,
    needStats: false,
    quantizedSoFar: () => ({ ...x.model, layers }),
    layer: async (i, site, _stats, data) => {
      const l = x.model.layers[i];
      layers.push(l.kind === 'matmul' ? l : { ...l, bias: empiricalBias(l, site, data) });
      x.progress?.('bias correction', i + 1, x.sites.length);
      return l.act;
    },
  });
  return { ...x.model, layers };
}
