// The external-memory side of the accelerator: the sizes of the AXI4 DMA engine (rtl/modules/axi-dma.ts),
// the DRAM model's bandwidth and latency derived from a config (rtl/modules/axi-dram-model.ts), how a
// transfer splits into bursts, and a cycle model of the engine against that DRAM model. The model keeps the
// engine's counters and the DRAM model's queues and moves them one clock cycle at a time, so the tests can
// require the RTL to make every handshake in the cycle the model does.
import { HwConfig } from '../hw/config.js';
import { RtlParams } from './params.js';
import { clog2 } from './verilog.js';

/** AXI4 INCR bursts are at most 256 beats and may not cross a 4 KiB boundary. */
export const AXI_MAX_BURST = 256;
export const AXI_PAGE_BYTES = 4096;

/** Sizes of one axi_dma instance. */
export interface AxiDmaParams {
  /** AXI data width in bits (a power of two, 32..1024); one local word per beat. */
  dataBits: number;
  /** AXI byte-address width. */
  addrBits: number;
  /** Width of a command's length in words (at least 14: the burst arithmetic runs at this width). */
  lenBits: number;
  /** Destination/source select passed to the local port (buffer and bank). */
  selBits: number;
  /** Local word address width. */
  localAddrBits: number;
  /** Bursts requested and not yet finished, at most (2..15). */
  maxOutstanding: number;
  /** Words of the store path's prefetch FIFO (a power of two, at least 2). */
  fifoDepth: number;
}

/**
 * The engine the generated design carries: 64-bit AXI, 32-bit addresses, 16-bit lengths, a select of the
 * buffer id (2 bits: the Bit Fusion ISA's IBUF 0, OBUF 1, WBUF 2, BIAS 3) and a bank, and the widest buffer address.
 */
export function axiDmaParams(p: RtlParams, dataBits = 64): AxiDmaParams {
  const banks = Math.max(p.ibuf.banks, p.wbuf.banks, p.obuf.banks);
  return {
    dataBits,
    addrBits: 32,
    lenBits: 16,
    selBits: 2 + Math.max(1, clog2(banks)),
    localAddrBits: Math.max(p.ibuf.addrBits, p.wbuf.addrBits, p.obuf.addrBits),
    maxOutstanding: 4,
    fifoDepth: 4,
  };
}

/** Throws when the generator cannot build `a` (internal: the callers choose the numbers). */
export function checkDmaParams(a: AxiDmaParams): void {
  const pow2 = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (!pow2(a.dataBits) || a.dataBits < 32 || a.dataBits > 1024) throw new Error(`axi_dma: dataBits ${a.dataBits} must be a power of two in 32..1024`);
  if (a.lenBits < 14 || a.lenBits > 32) throw new Error(`axi_dma: lenBits ${a.lenBits} must be in 14..32`);
  if (a.addrBits < 20 || a.addrBits > 64) throw new Error(`axi_dma: addrBits ${a.addrBits} must be in 20..64`);
  if (a.maxOutstanding < 2 || a.maxOutstanding > 15) throw new Error(`axi_dma: maxOutstanding ${a.maxOutstanding} must be in 2..15`);
  if (!pow2(a.fifoDepth) || a.fifoDepth < 2) throw new Error(`axi_dma: fifoDepth ${a.fifoDepth} must be a power of two >= 2`);
  if (a.selBits < 1 || a.localAddrBits < 1) throw new Error('axi_dma: selBits and localAddrBits must be at least 1');
}

/**
 * The DRAM model's bandwidth in bytes per AXI clock cycle: the config's sustained rate,
 * bitsPerCycle * efficiency bits per accelerator cycle at clockMHz, seen from an AXI port clocked at
 * `axiClockMHz` (the accelerator clock unless given), rounded down to whole bytes and at least 1.
 * vc709: 597 * 0.7 / 8 = 52 bytes per 200 MHz cycle, more than a 64- or 128-bit port moves, so there the
 * port, not the memory, sets the rate.
 */
export function dramBytesPerCycle(cfg: Pick<HwConfig, 'clockMHz' | 'dram'>, axiClockMHz = cfg.clockMHz): number {
  const bits = cfg.dram.bitsPerCycle * cfg.dram.efficiency * (cfg.clockMHz / axiClockMHz);
  return Math.max(1, Math.floor(bits / 8 + 1e-9));
}

/**
 * First-word latency of the DRAM model in AXI cycles when a config does not say: about 120 ns from the read
 * address to the first data of a MIG 7-series DDR3 controller, 24 cycles at 200 MHz.
 */
export const DRAM_MODEL_LATENCY = 24;

export interface Burst {
  /** Byte address of the first beat. */
  addr: number;
  beats: number;
}

/** Beats of the burst starting at `addr` with `left` words to go: at most 256, never across 4 KiB. */
export function burstBeats(addr: number, left: number, beatBytes: number): number {
  const room = (AXI_PAGE_BYTES - (addr % AXI_PAGE_BYTES)) / beatBytes;
  return Math.min(AXI_MAX_BURST, room, left);
}

/** The bursts a transfer of `words` beats from byte address `addr` (beat aligned) splits into. */
export function splitBursts(addr: number, words: number, beatBytes: number): Burst[] {
  if (addr % beatBytes !== 0) throw new Error(`DRAM address 0x${addr.toString(16)} is not aligned to the ${beatBytes}-byte beat`);
  const out: Burst[] = [];
  for (let a = addr, left = words; left > 0;) {
    const beats = burstBeats(a, left, beatBytes);
    out.push({ addr: a, beats });
    a += beats * beatBytes;
    left -= beats;
  }
  return out;
}

/** What the DRAM model is built with. */
export interface DramTiming {
  /** Cycles from an accepted read address to the earliest first beat, and from a burst's last write beat to its response. */
  latency: number;
  /** Bytes per cycle the memory moves (R and W beats together). */
  bytesPerCycle: number;
  /** Read and write address queue depth. */
  queueDepth: number;
}

export interface DmaCommand {
  /** true: local read port -> DRAM (store); false: DRAM -> local write port (load). */
  write: boolean;
  /** DRAM byte address, beat aligned. */
  addr: number;
  /** Words (beats). */
  len: number;
  sel: number;
  local: number;
}

/** A command and the first cycle the engine sees it (cmd_valid high from then until accepted). */
export interface QueuedCommand extends DmaCommand {
  validFrom: number;
}

export interface AddrEvent { cycle: number; addr: number; len: number }
export interface LocalEvent { cycle: number; sel: number; addr: number; data?: bigint }

/** Every handshake and port event of a run, cycle numbers as the harness counts them. */
export interface DmaTrace {
  accepted: number[];
  done: number[];
  ar: AddrEvent[];
  aw: AddrEvent[];
  /** Read beats: R handshakes. */
  r: number[];
  /** Write beats: W handshakes with their data and last flag. */
  w: Array<{ cycle: number; data: bigint; last: boolean }>;
  b: number[];
  /** Local writes (lw_en high) and local reads (lr_en high). */
  lw: LocalEvent[];
  lr: LocalEvent[];
}

export interface DmaModelInput {
  dma: AxiDmaParams;
  dram: DramTiming;
  commands: QueuedCommand[];
  /** DRAM words by beat index (absent: 0). Updated in place by stores. */
  dramWords: Map<number, bigint>;
  /** Local memory, key sel * 2^localAddrBits + addr (absent: 0). Updated in place by loads. */
  localWords: Map<number, bigint>;
  cycles: number;
}

interface Req { addr: number; len: number; due: number }

/** The engine and the DRAM model, one cycle at a time, for `cycles` cycles (cycle 0 is the first after reset). */
export function simulateDma(m: DmaModelInput): DmaTrace {
  const { dma, dram } = m;
  const beat = dma.dataBits / 8;
  // Capped at a beat plus one cycle's worth less a byte: a beat waiting for credit never loses any to the cap.
  const cap = beat + dram.bytesPerCycle - 1;
  const localKey = (sel: number, addr: number) => sel * 2 ** dma.localAddrBits + addr;
  const trace: DmaTrace = { accepted: [], done: [], ar: [], aw: [], r: [], w: [], b: [], lw: [], lr: [] };
  // engine
  let busy = false;
  let cmd: DmaCommand | undefined;
  let aAddr = 0;
  let aLeft = 0;
  let inFlight = 0;
  let dLeft = 0;
  let dLocal = 0;
  let fLeft = 0;
  let fLocal = 0;
  let fPending = false;
  let fPendingData = 0n;
  const fifo: bigint[] = [];
  let wBurstLeft = 0;
  let wAddr = 0;
  let awAhead = 0;
  let next = 0;
  // DRAM model
  const rq: Req[] = [];
  const wq: Req[] = [];
  const bq: number[] = [];
  let rBeat = 0;
  let wBeat = 0;
  let credit = cap;
  for (let c = 0; c < m.cycles; c++) {
    // the cycle's combinational values, from the state at its start
    const canBeat = credit >= beat;
    const rValid = rq.length > 0 && c >= rq[0].due && canBeat;
    const rLast = rValid && rBeat === rq[0].len - 1;
    const arReady = rq.length < dram.queueDepth;
    const awReady = wq.length < dram.queueDepth;
    const bValid = bq.length > 0 && c >= bq[0];
    const aCan = busy && aLeft > 0 && inFlight < dma.maxOutstanding;
    const aBeats = aCan ? burstBeats(aAddr, aLeft, beat) : 0;
    const arFire = aCan && !cmd!.write && arReady;
    const awFire = aCan && cmd!.write && awReady;
    const rFire = busy && !cmd!.write && rValid;
    const wBeats = wBurstLeft > 0 ? wBurstLeft : burstBeats(wAddr, dLeft, beat);
    const wValid = busy && cmd!.write && fifo.length > 0 && (wBurstLeft > 0 || awAhead > 0);
    const wReady = wq.length > 0 && canBeat && !rValid;
    const wFire = wValid && wReady;
    const bFire = busy && bValid;
    const lrEn: boolean = busy && cmd!.write && fLeft > 0 && fifo.length + (fPending ? 1 : 0) < dma.fifoDepth;
    const cmdFire = !busy && next < m.commands.length && m.commands[next].validFrom <= c;
    const flightNx = inFlight + (arFire || awFire ? 1 : 0) - (rFire && rLast ? 1 : 0) - (bFire ? 1 : 0);
    const aLeftNx = aLeft - (arFire || awFire ? aBeats : 0);
    const dLeftNx = dLeft - (rFire || wFire ? 1 : 0);
    const finishing = busy && aLeftNx === 0 && dLeftNx === 0 && flightNx === 0;

    if (arFire) trace.ar.push({ cycle: c, addr: aAddr, len: aBeats });
    if (awFire) trace.aw.push({ cycle: c, addr: aAddr, len: aBeats });
    if (lrEn) trace.lr.push({ cycle: c, sel: cmd!.sel, addr: fLocal });
    if (bFire) trace.b.push(c);
    if (cmdFire) trace.accepted.push(c);

    // the DRAM model's clock edge
    const word = (addr: number, k: number) => addr / beat + k;
    let rData = 0n;
    if (rValid) rData = m.dramWords.get(word(rq[0].addr, rBeat)) ?? 0n;
    let wData = 0n;
    if (wFire) {
      wData = fifo[0];
      m.dramWords.set(word(wq[0].addr, wBeat), wData);
      trace.w.push({ cycle: c, data: wData, last: wBeats === 1 });
    }
    credit = Math.min(cap, credit - (rValid || wFire ? beat : 0) + dram.bytesPerCycle);
    if (rValid) {
      trace.r.push(c);
      if (rLast) {
        rq.shift();
        rBeat = 0;
      } else rBeat++;
    }
    if (wFire) {
      if (wBeat === wq[0].len - 1) {
        wq.shift();
        wBeat = 0;
        bq.push(c + dram.latency);
      } else wBeat++;
    }
    if (bValid) bq.shift();
    if (arFire) rq.push({ addr: aAddr, len: aBeats, due: c + dram.latency });
    if (awFire) wq.push({ addr: aAddr, len: aBeats, due: 0 });

    // the engine's clock edge
    if (rFire) {
      // the local write is registered: it shows in the next cycle
      trace.lw.push({ cycle: c + 1, sel: cmd!.sel, addr: dLocal, data: rData });
      m.localWords.set(localKey(cmd!.sel, dLocal), rData);
    }
    if (finishing) trace.done.push(c + 1);
    if (cmdFire) {
      cmd = m.commands[next++];
      busy = true;
      aAddr = cmd.addr - (cmd.addr % beat);
      aLeft = cmd.len;
      dLeft = cmd.len;
      dLocal = cmd.local;
      fLeft = cmd.write ? cmd.len : 0;
      fLocal = cmd.local;
      wAddr = aAddr;
      continue;
    }
    if (finishing) busy = false;
    if (arFire || awFire) {
      aAddr += aBeats * beat;
      aLeft = aLeftNx;
    }
    inFlight = flightNx;
    dLeft = dLeftNx;
    if (rFire) dLocal = (dLocal + 1) % 2 ** dma.localAddrBits;
    if (wFire) {
      fifo.shift();
      awAhead -= wBurstLeft === 0 ? 1 : 0;
      wBurstLeft = wBeats - 1;
      wAddr += beat;
    }
    if (awFire) awAhead++;
    if (fPending) fifo.push(fPendingData);
    fPending = lrEn;
    if (lrEn) {
      fPendingData = m.localWords.get(localKey(cmd!.sel, fLocal)) ?? 0n;
      fLeft--;
      fLocal = (fLocal + 1) % 2 ** dma.localAddrBits;
    }
  }
  return trace;
}

/**
 * Cycles from accepting a command to its `done` when the engine and the memory are otherwise idle: the
 * cycle model run on that one command. With the bandwidth above one beat per cycle and bursts longer than the
 * latency this is latency + N + 1 for a load and latency + N + 3 for a store (its first word takes two
 * cycles through the local read port and the prefetch FIFO).
 */
export function dmaCommandCycles(dma: AxiDmaParams, dram: DramTiming, cmd: DmaCommand): number {
  for (let cycles = 4 * (dram.latency + cmd.len + 8); ; cycles *= 2) {
    const t = simulateDma({ dma, dram, commands: [{ ...cmd, validFrom: 0 }], dramWords: new Map(), localWords: new Map(), cycles });
    if (t.done.length === 1) return t.done[0] - t.accepted[0];
  }
}
