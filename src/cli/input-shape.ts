// --input-shape: the dims of one sample for an .onnx model exported with symbolic dims (e.g. H and W), in the
// model input's own order. Shared by sim/sweep (the network's shapes) and eval/quantize/compare (the data fed).
import { UserError } from '../errors.js';

/** '3x224x224' -> [3, 224, 224]: positive integers joined by x. */
export function parseInputShape(raw: unknown): number[] {
  const text = String(raw).trim();
  if (Array.isArray(raw)) throw new UserError(`--input-shape is given more than once: give it once`);
  if (!/^\d+(x\d+)*$/i.test(text) || text.split(/x/i).some((d) => Number(d) < 1)) {
    throw new UserError(`--input-shape '${text}' must be the dims of one sample joined by x, each at least 1 (e.g. 3x224x224)`);
  }
  return text.split(/x/i).map(Number);
}

export const inputShapeOption = {
  type: 'string',
  requiresArg: true,
  coerce: parseInputShape,
} as const;

/** The given sample dims, checked against the rank and the fixed dims of the model's data input. */
export function checkInputShape(input: { name: string; dims?: ReadonlyArray<number | string | undefined> }, shape: number[], spec: string): number[] {
  const stored = input.dims;
  if (!stored) return shape;
  const sample = stored.slice(1);
  const text = (ds: ReadonlyArray<number | string | undefined>) => ds.map((d) => (typeof d === 'number' ? d : d ?? '?')).join('x');
  const given = `--input-shape ${shape.join('x')}`;
  if (sample.length !== shape.length) {
    throw new UserError(`${given} has ${shape.length} dims but '${spec}' input '${input.name}' has ${sample.length} per sample (${text(sample)})`);
  }
  sample.forEach((d, i) => {
    if (typeof d !== 'number' || d === shape[i]) return;
    throw new UserError(`${given} disagrees with '${spec}', whose input '${input.name}' is fixed at ${text(sample)} per sample`);
  });
  return shape;
}
