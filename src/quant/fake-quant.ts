// Fake quantization of sampled activations, exactly as the QDQ graph applies it at inference.
import { fakeQuantize } from './qdq.js';
import type { ActQuant } from './types.js';

export function fakeQuantizeInPlace(x: Float32Array, a: ActQuant): void {
  for (let i = 0; i < x.length; i++) x[i] = fakeQuantize(x[i], a);
}
