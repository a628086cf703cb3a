// A compute layer as the loop nest the accelerator runs: groups x batch x output rows x output columns x
// output channels x input channels x kernel window. Conv, fully connected and matmul layers all reduce to it.
import { ComputeLayer } from '../src/model/ir.js';

export interface LoopNest {
  /** Independent convolution groups (depthwise: one per channel). */
  groups: number;
  batch: number;
  oh: number;
  ow: number;
  ih: number;
  iw: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** Effective kernel extent minus one per axis (dilation * (k - 1)). */
  haloH: number;
  haloW: number;
  /** Input and output channels per group. */
  icg: number;
  ocg: number;
  /** Sequential repetitions with the same weights (time steps of a recurrent cell). */
  repeat: number;
}

export function loopNest(l: ComputeLayer, batch: number): LoopNest {
  switch (l.kind) {
    case 'conv':
      return {
        groups: l.groups,
        batch,
        oh: l.output.h,
        ow: l.output.w,
        ih: l.input.h + l.pad[0] + l.pad[2],
        iw: l.input.w + l.pad[1] + l.pad[3],
        kh: l.kernel[0],
        kw: l.kernel[1],
        sh: l.stride[0],
        sw: l.stride[1],
        haloH: l.dilation[0] * (l.kernel[0] - 1),
        haloW: l.dilation[1] * (l.kernel[1] - 1),
        icg: l.inC / l.groups,
        ocg: l.outC / l.groups,
        repeat: 1,
      };
    case 'fc':
      return { groups: 1, batch, oh: 1, ow: 1, ih: 1, iw: 1, kh: 1, kw: 1, sh: 1, sw: 1, haloH: 0, haloW: 0, icg: l.inFeatures, ocg: l.outFeatures, repeat: 1 };
    case 'matmul':
      // Rows of the product behave like output pixels; time steps repeat the whole product because each
      // step's input depends on the previous step's output.
      return { groups: 1, batch, oh: l.m, ow: 1, ih: l.m, iw: 1, kh: 1, kw: 1, sh: 1, sw: 1, haloH: 0, haloW: 0, icg: l.k, ocg: l.n, repeat: l.steps };
  }
}

/** Input rows (or columns) an output tile of `out` rows needs: the receptive field with its halo. */
export function inputExtent(out: number, stride: number, halo: number, full: number): number {
  return Math.min(full, (out - 1) * stride + halo + 1);
}
