// DRAM timing: one channel moving the config's sustained bits per cycle. Transfers occupy it one after
// another in the order they are issued; a transfer starts when both the channel and its data are ready.
// (DRAM energy is per byte moved, in sim/energy.ts.)
//
// A transfer is one request of the schedule (sim/schedule.ts): everything one tile loads (its new inputs,
// weights and partial sums read back) or one finished output tile's store. A board's DRAM latency
// (board.dramLatencyCycles) is paid once per transfer that moves data, holding the channel: the DMA engine
// serves one request at a time, so the command, address setup and first-word latency of the next request do
// not overlap the data of the current one.

/** Cycles to move `bytes` at `bitsPerCycle`. */
export function transferCycles(bytes: number, bitsPerCycle: number): number {
  return bytes > 0 ? Math.ceil((bytes * 8) / bitsPerCycle) : 0;
}

export class DramChannel {
  /** The cycle the last issued transfer finishes. */
  private busyUntil = 0;

  constructor(private readonly bitsPerCycle: number, private readonly latencyCycles = 0) {}

  /** Issues a transfer that may start at `readyAt`; returns the cycle it finishes. */
  transfer(readyAt: number, bytes: number): number {
    const latency = bytes > 0 ? this.latencyCycles : 0;
    this.busyUntil = Math.max(this.busyUntil, readyAt) + latency + transferCycles(bytes, this.bitsPerCycle);
    return this.busyUntil;
  }

  /** The cycle every transfer issued so far has finished. */
  get idleAt(): number {
    return this.busyUntil;
  }
}
