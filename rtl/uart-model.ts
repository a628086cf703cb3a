// A UART at the level of the line, one value per clock cycle: the frames a host's bytes make on the RX pin,
// the bytes a receiver finds in the TX pin's levels, and SimUartLink, a ByteLink (rtl/host-link.ts) that
// carries each command through a simulation of the design, so the host code that would talk to the board's
// serial port talks to the RTL instead.
import { ByteLink } from './host-link.js';

/** One 8N1 frame: start bit 0, data LSB first, stop bit (1 unless a framing error is wanted). */
export function uartFrame(byte: number, clksPerBit: number, stopBit = 1): number[] {
  const bits = [0, ...Array.from({ length: 8 }, (_, i) => (byte >> i) & 1), stopBit];
  return bits.flatMap((b) => Array<number>(clksPerBit).fill(b));
}

export function uartLevels(bytes: Iterable<number>, clksPerBit: number): number[] {
  return [...bytes].flatMap((b) => uartFrame(b, clksPerBit));
}

export interface UartByte {
  byte: number;
  /** Cycle of the start bit's first low level. */
  start: number;
  /** The stop bit was low. */
  frameError: boolean;
}

/** The bytes on a line, sampled in the middle of each bit the way a receiver does. */
export function uartDecode(levels: ArrayLike<number>, clksPerBit: number): UartByte[] {
  const out: UartByte[] = [];
  const at = (start: number, bit: number) => levels[start + Math.floor(clksPerBit / 2) + bit * clksPerBit];
  let prev = 1;
  for (let k = 0; k < levels.length; k++) {
    const v = levels[k];
    if (prev === 1 && v === 0) {
      if (k + Math.floor(clksPerBit / 2) + 9 * clksPerBit >= levels.length) break;
      if (at(k, 0) === 0) {
        let byte = 0;
        for (let i = 0; i < 8; i++) byte |= at(k, 1 + i) << i;
        const frameError = at(k, 9) !== 1;
        out.push({ byte, start: k, frameError });
        // resume at the middle of the stop bit: the next start bit cannot begin before it ends
        k += Math.floor(clksPerBit / 2) + 9 * clksPerBit;
        prev = levels[k];
        continue;
      }
    }
    prev = v;
  }
  return out;
}

/** Runs the design with `rxd` on its RX pin, one level per cycle, and returns its TX pin, one level per cycle. */
export type LineSimulator = (rxd: number[]) => number[];

/**
 * A ByteLink over a simulation. Simulations here are batch runs from reset, so each transaction replays every
 * earlier command at the cycle it was first sent (the runs are deterministic: the same replies come back in
 * the same cycles) and sends the new one after the last reply, as a host waiting for each reply does.
 */
export class SimUartLink implements ByteLink {
  /** Everything sent so far: the cycle it started and its line levels. */
  private readonly sent: Array<{ at: number; levels: number[] }> = [];
  private nextAt: number;
  /** Cycles simulated by the last transaction. */
  lastCycles = 0;

  constructor(private readonly sim: LineSimulator, private readonly clksPerBit: number, private readonly opts: { firstAt?: number; gap?: number } = {}) {
    this.nextAt = opts.firstAt ?? 16;
  }

  /** Keeps the line idle for `cycles` more cycles before the next transaction. */
  wait(cycles: number): void {
    this.nextAt += cycles;
  }

  async transact(request: Uint8Array, replyBytes: number): Promise<Uint8Array> {
    return this.transactLevels(uartLevels(request, this.clksPerBit), replyBytes);
  }

  /** Any line levels (a frame with a low stop bit: a host at the wrong rate, a glitch) after the last reply. */
  async transactLevels(levels: number[], replyBytes: number): Promise<Uint8Array> {
    const at = this.nextAt;
    const byteTime = 10 * this.clksPerBit + 1;
    const cycles = at + levels.length + (replyBytes + 2) * byteTime + 64;
    const rxd = Array<number>(cycles).fill(1);
    this.sent.push({ at, levels });
    for (const s of this.sent) s.levels.forEach((v, i) => (rxd[s.at + i] = v));
    const txd = this.sim(rxd);
    this.lastCycles = cycles;
    const reply = uartDecode(txd, this.clksPerBit).filter((b) => b.start >= at);
    if (reply.some((b) => b.frameError)) throw new Error('UART model: the design sent a frame with a low stop bit');
    const end = reply.length ? reply[reply.length - 1].start + byteTime : at + levels.length;
    this.nextAt = end + (this.opts.gap ?? 2 * this.clksPerBit);
    return Uint8Array.from(reply.map((b) => b.byte));
  }
}
