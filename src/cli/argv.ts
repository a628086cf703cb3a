// Argument rewriting done before yargs sees the command line.

/**
 * Precision shorthands: `--a4w4` (any `--a<A>w<W>`) means `--precision a4w4`, and `--w4` (weights only,
 * float activations) means `--precision w4`, so users type what the papers write.
 */
export function expandPrecisionFlags(argv: string[]): string[] {
  return argv.flatMap((t) => (/^--(a\d+)?w\d+$/i.test(t) ? ['--precision', t.slice(2).toLowerCase()] : [t]));
}
