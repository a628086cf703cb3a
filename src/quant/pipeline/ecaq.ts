// The ECAQ pass: per-input-channel activation scales folded into the weights. Placed before the weights pass it
// works inside the fit (every layer but the first, or the depthwise ones); placed after it, the depthwise layers
// get their channel scales from the weight-quantized network when the activation clips are calibrated, folded into
// the weight scales without touching the integers.
import { UserError } from '../../errors.js';
import type { LayerSite } from '../prepare.js';
import type { EcaqPass, WeightsPass } from './spec.js';
import { type PassDef, passIndex } from './state.js';

/** A layer whose every output channel reads a single input channel. */
export function readsOneChannel(s: LayerSite): boolean {
  return s.kind === 'conv' && s.weightShape[1] === 1;
}

export const ecaqPass: PassDef<EcaqPass> = {
  check(spec, { recipe, index, run }) {
    if (run.aBits === null) throw new UserError('--ecaq quantizes activations per input channel: it needs activation bits (--a<A>w<W>)');
    const w = passIndex(recipe, 'weights');
    if (index < w) {
      if (!(recipe.passes[w] as WeightsPass).fit) throw new UserError(`recipe ${recipe.name}: ECAQ before the weights pass works inside the fit, which then needs activation clips (weights.fit)`);
      return;
    }
    if (spec.scope === 'all') {
      throw new UserError('--act-fit after calibrates activations once the weights are fitted; '
        + '--ecaq all folds its channel scales into the weights before the fit: use one of them, or --ecaq depthwise');
    }
    if (!recipe.passes.slice(index + 1).some((p) => p.pass === 'acts' && p.network === 'quantized')) {
      throw new UserError(`recipe ${recipe.name}: ECAQ after the weights pass sets its scales with the activation clips `
        + 'of the weight-quantized network (an acts pass on the quantized network after it)');
    }
  },
  // it only marks where ECAQ acts; the passes that act on the mark read the bits
  actBitsFree: () => true,
  async apply(st, spec) {
    const after = st.layers.length > 0;
    return after ? { ...st, ecaqAfter: true } : { ...st, inFit: { ...st.inFit, ecaq: spec.scope } };
  },
};
