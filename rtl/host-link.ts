// The host side of host_link.v (rtl/modules/host-link.ts): command codes, the bytes of each command and
// the decoding of its reply, and a HostLink that runs them over any byte transport: a serial port on the
// board, the UART model around a simulation in the tests (rtl/uart-model.ts). The generator reads its
// codes from here, so a command the host encodes is the one the RTL decodes.

export const HOST_CMD = { write: 0x01, read: 0x02, start: 0x03, status: 0x04 } as const;
/** A reply's first byte is the command byte with this bit set. */
export const REPLY_BIT = 0x80;
/** Error replies: the code, then the offending command byte (command) or 0 (frame). */
export const HOST_ERR = { command: 0xee, frame: 0xef } as const;

/** The board's serial rate. */
export const HOST_BAUD = 115200;

export interface HostLinkParams {
  clksPerBit: number;
  /** Local memory word width in bits (16..64, a multiple of 8). */
  wordBits: number;
  /** Local word address width (1..31). */
  memAddrBits: number;
  /** Cycles without a byte after which a partly received frame is dropped. */
  timeoutCycles: number;
}

export function checkHostLinkParams(h: HostLinkParams): void {
  if (!Number.isInteger(h.clksPerBit) || h.clksPerBit < 4) throw new Error(`host_link: clksPerBit ${h.clksPerBit} must be an integer >= 4`);
  if (h.wordBits % 8 !== 0 || h.wordBits < 16 || h.wordBits > 64) throw new Error(`host_link: wordBits ${h.wordBits} must be a multiple of 8 in 16..64`);
  if (!Number.isInteger(h.memAddrBits) || h.memAddrBits < 1 || h.memAddrBits > 31) throw new Error(`host_link: memAddrBits ${h.memAddrBits} must be in 1..31`);
  if (!Number.isInteger(h.timeoutCycles) || h.timeoutCycles < 20 * h.clksPerBit) {
    throw new Error(`host_link: timeoutCycles ${h.timeoutCycles} must be at least two byte times (${20 * h.clksPerBit})`);
  }
}

/**
 * Clock cycles per UART bit: the clock over the baud rate, rounded. Refused when the rounding puts the rate
 * more than 2% off (a receiver sampling mid-bit tolerates about 5% over a 10-bit frame, split between the ends).
 */
export function uartDivisor(clockMHz: number, baud = HOST_BAUD): number {
  const exact = (clockMHz * 1e6) / baud;
  const div = Math.round(exact);
  if (div < 4) throw new Error(`UART: a ${clockMHz} MHz clock is too slow for ${baud} baud (${exact.toFixed(2)} cycles per bit, at least 4 needed)`);
  const off = Math.abs(div - exact) / exact;
  if (off > 0.02) throw new Error(`UART: ${baud} baud from ${clockMHz} MHz is ${(100 * off).toFixed(1)}% off`);
  return div;
}

/**
 * The link the generated design carries: the config's clock at 115200 baud, 32-bit words over a 24-bit word
 * address, and about 512 byte times of silence to drop a broken frame (44 ms at 115200 baud).
 */
export function hostLinkParams(clockMHz: number, baud = HOST_BAUD): HostLinkParams {
  const clksPerBit = uartDivisor(clockMHz, baud);
  return { clksPerBit, wordBits: 32, memAddrBits: 24, timeoutCycles: 5120 * clksPerBit };
}

function u32(v: number, what: string): number[] {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`host link: ${what} ${v} must be an integer in 0..2^32-1`);
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

function u16(v: number, what: string): number[] {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new Error(`host link: ${what} ${v} must be an integer in 0..65535`);
  return [v & 0xff, v >>> 8];
}

function wordBytes(w: bigint, wordBits: number): number[] {
  if (w < 0n || w >= 1n << BigInt(wordBits)) throw new Error(`host link: word ${w} does not fit ${wordBits} bits`);
  return Array.from({ length: wordBits / 8 }, (_, i) => Number((w >> BigInt(8 * i)) & 0xffn));
}

/** A command's bytes and how many reply bytes it is answered with when all goes well. */
export interface Request {
  bytes: Uint8Array;
  replyBytes: number;
}

export function encodeWrite(addr: number, words: bigint[], wordBits: number): Request {
  const body = words.flatMap((w) => wordBytes(w, wordBits));
  return { bytes: Uint8Array.from([HOST_CMD.write, ...u32(addr, 'address'), ...u16(words.length, 'word count'), ...body]), replyBytes: 1 };
}

export function encodeRead(addr: number, n: number, wordBits: number): Request {
  return { bytes: Uint8Array.from([HOST_CMD.read, ...u32(addr, 'address'), ...u16(n, 'word count')]), replyBytes: 1 + n * (wordBits / 8) };
}

export function encodeStart(arg: number): Request {
  return { bytes: Uint8Array.from([HOST_CMD.start, ...u32(arg, 'start argument')]), replyBytes: 1 };
}

export function encodeStatus(): Request {
  return { bytes: Uint8Array.from([HOST_CMD.status]), replyBytes: 2 };
}

/** An error reply, or a reply that is not what the command asks for. */
export class HostLinkError extends Error {
  constructor(message: string, readonly reply: Uint8Array) {
    super(message);
    this.name = 'HostLinkError';
  }
}

const hex = (b: number) => `0x${b.toString(16).padStart(2, '0')}`;

/** Checks the reply to `req` and returns its payload (read words' bytes, the status byte); throws on an error reply. */
export function checkReply(req: Request, reply: Uint8Array): Uint8Array {
  const cmd = req.bytes[0];
  if (reply.length >= 2 && reply[0] === HOST_ERR.command) throw new HostLinkError(`host link: command byte ${hex(reply[1])} refused`, reply);
  if (reply.length >= 2 && reply[0] === HOST_ERR.frame) throw new HostLinkError('host link: a byte arrived with a bad stop bit; the frame was dropped', reply);
  if (reply.length !== req.replyBytes || reply[0] !== (cmd | REPLY_BIT)) {
    const got = [...reply].map(hex).join(' ');
    throw new HostLinkError(`host link: command ${hex(cmd)} expected ${req.replyBytes} reply bytes starting ${hex(cmd | REPLY_BIT)}, got [${got}]`, reply);
  }
  return reply.subarray(1);
}

export function decodeWords(payload: Uint8Array, wordBits: number): bigint[] {
  const wb = wordBits / 8;
  const out: bigint[] = [];
  for (let i = 0; i + wb <= payload.length; i += wb) {
    let w = 0n;
    for (let k = wb - 1; k >= 0; k--) w = (w << 8n) | BigInt(payload[i + k]);
    out.push(w);
  }
  return out;
}

/** Moves one command's bytes to the device and returns what came back (at most replyBytes; fewer on an error reply). */
export interface ByteLink {
  transact(request: Uint8Array, replyBytes: number): Promise<Uint8Array>;
}

export interface LinkStatus {
  busy: boolean;
  /** The engine signalled done since the last start. */
  done: boolean;
}

/** The host's view of the accelerator over host_link. */
export class HostLink {
  constructor(private readonly link: ByteLink, readonly wordBits: number) {}

  private async run(req: Request): Promise<Uint8Array> {
    return checkReply(req, await this.link.transact(req.bytes, req.replyBytes));
  }

  async write(addr: number, words: bigint[]): Promise<void> {
    await this.run(encodeWrite(addr, words, this.wordBits));
  }

  async read(addr: number, n: number): Promise<bigint[]> {
    return decodeWords(await this.run(encodeRead(addr, n, this.wordBits)), this.wordBits);
  }

  async start(arg: number): Promise<void> {
    await this.run(encodeStart(arg));
  }

  async status(): Promise<LinkStatus> {
    const [flags] = await this.run(encodeStatus());
    return { busy: (flags & 1) !== 0, done: (flags & 2) !== 0 };
  }

  /** Any bytes, for probing the device: the raw reply. */
  async raw(bytes: Uint8Array, replyBytes: number): Promise<Uint8Array> {
    return this.link.transact(bytes, replyBytes);
  }
}
