// DRAM timing: one channel moving the config's sustained bits per cycle. Transfers occupy it one after
// another in the order they are issued; a transfer starts when both the channel and its data are ready.
// (DRAM energy is per byte moved, in sim/energy.ts.)

/** Cycles to move `bytes` at `bitsPerCycle`. */
export function transferCycles(bytes: number, bitsPerCycle: number): number {
  return bytes > 0 ? Math.ceil((bytes * 8) / bitsPerCycle) : 0;
}

export class DramChannel {
  /** The cycle the last issued transfer finishes. */
  private busyUntil = 0;

  constructor(private readonly bitsPerCycle: number) {}

  /** Issues a transfer that may start at `readyAt`; returns the cycle it finishes. */
  transfer(readyAt: number, bytes: number): number {
    this.busyUntil = Math.max(this.busyUntil, readyAt) + transferCycles(bytes, this.bitsPerCycle);
    return this.busyUntil;
  }

  /** The cycle every transfer issued so far has finished. */
  get idleAt(): number {
    return this.busyUntil;
  }
}
