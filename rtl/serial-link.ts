// A ByteLink over a byte stream: the board's USB-UART opened as a serial device (e.g. /dev/ttyUSB0 set to
// 115200 8N1 raw with stty), or any Readable/Writable pair. A reply's length is known from its first byte:
// an error reply is two bytes, anything else the length the command asks for.
import { Readable, Writable } from 'node:stream';
import { ByteLink, HOST_ERR } from './host-link.js';

export function replyLength(firstByte: number, replyBytes: number): number {
  return firstByte === HOST_ERR.command || firstByte === HOST_ERR.frame ? 2 : replyBytes;
}

export class StreamByteLink implements ByteLink {
  private buf: number[] = [];
  private wake: (() => void) | undefined;

  constructor(private readonly input: Readable, private readonly output: Writable, private readonly timeoutMs = 2000) {
    input.on('data', (chunk: Buffer) => {
      this.buf.push(...chunk);
      this.wake?.();
    });
  }

  async transact(request: Uint8Array, replyBytes: number): Promise<Uint8Array> {
    // bytes left over from an earlier, abandoned exchange do not belong to this reply
    this.buf = [];
    await new Promise<void>((resolve, reject) => this.output.write(request, (e) => (e ? reject(e) : resolve())));
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const want = this.buf.length ? replyLength(this.buf[0], replyBytes) : replyBytes;
      if (this.buf.length >= want) return Uint8Array.from(this.buf.splice(0, want));
      const left = deadline - Date.now();
      if (left <= 0) return Uint8Array.from(this.buf.splice(0));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
