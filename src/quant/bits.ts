// The bit widths the quantizer takes: every pass that reads a width checks it here, with one message.
import { UserError } from '../errors.js';

export function checkBits(bits: number, what: string): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new UserError(`${what} ${bits} is outside 2..8, the widths the quantizer supports`);
}
