// The host link end to end: the host code of rtl/host-link.ts, through the UART model, drives host_link.v
// (with uart_rx/uart_tx, a local memory and a stand-in engine) under Verilator and Icarus: a block written
// comes back equal, start and status work, a bad command byte and a bad stop bit get their error replies,
// and a frame abandoned half way is dropped after the timeout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { getPreset } from '../../hw/presets.js';
import { generateRtl, sourcesOf } from '../../rtl/generate.js';
import {
  HOST_ERR, HostLink, HostLinkError, HostLinkParams, checkReply, decodeWords, encodeRead, encodeStart, encodeStatus, encodeWrite, hostLinkParams, uartDivisor,
} from '../../rtl/host-link.js';
import { hostLinkSimulator } from '../../rtl/host-link-bench.js';
import { lintVerilator } from '../../rtl/sim.js';
import { synthXilinx } from '../../rtl/yosys.js';
import { StreamByteLink } from '../../rtl/serial-link.js';
import { SimUartLink, uartDecode, uartFrame, uartLevels } from '../../rtl/uart-model.js';
import { prng } from '../../rtl/verify.js';
import { withIcarus, withTools, withVerilator } from '../helpers.js';

const PROV = { configName: 'test' };
const SIM: HostLinkParams = { clksPerBit: 4, wordBits: 32, memAddrBits: 8, timeoutCycles: 400 };

test('commands encode to little-endian frames and replies decode', () => {
  assert.equal([...encodeWrite(0x01020304, [0xa1b2c3d4n, 5n], 32).bytes], [1, 4, 3, 2, 1, 2, 0, 0xd4, 0xc3, 0xb2, 0xa1, 5, 0, 0, 0]);
  assert.equal([...encodeRead(7, 3, 16).bytes], [2, 7, 0, 0, 0, 3, 0]);
  assert.is(encodeRead(7, 3, 16).replyBytes, 1 + 6);
  assert.equal([...encodeStart(0x10).bytes], [3, 0x10, 0, 0, 0]);
  assert.equal([...encodeStatus().bytes], [4]);
  assert.equal(decodeWords(Uint8Array.from([0xd4, 0xc3, 0xb2, 0xa1, 1, 0, 0, 0]), 32), [0xa1b2c3d4n, 1n]);
  assert.equal([...checkReply(encodeStatus(), Uint8Array.from([0x84, 3]))], [3]);
  assert.throws(() => checkReply(encodeStatus(), Uint8Array.from([HOST_ERR.command, 0x5a])), /command byte 0x5a refused/);
  assert.throws(() => checkReply(encodeStatus(), Uint8Array.from([0x84])), /expected 2 reply bytes/);
  assert.throws(() => encodeWrite(0, [1n << 32n], 32), /does not fit 32 bits/);
  assert.throws(() => encodeRead(-1, 1, 32), /address -1/);
});

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a rejection matching ${re}`);
}

test('a stream link (the board serial port) frames replies by their first byte, across chunks and timeouts', async () => {
  const toDevice = new PassThrough();
  const fromDevice = new PassThrough();
  // a device that answers a status in two chunks and refuses anything else
  toDevice.on('data', (b: Buffer) => {
    if (b[0] === 0x04) {
      fromDevice.write(Buffer.from([0x84]));
      setTimeout(() => fromDevice.write(Buffer.from([0x02])), 5);
    } else if (b[0] !== 0x02) fromDevice.write(Buffer.from([HOST_ERR.command, b[0]]));
  });
  const host = new HostLink(new StreamByteLink(fromDevice, toDevice, 100), 32);
  assert.equal(await host.status(), { busy: false, done: true });
  // an error reply is two bytes even where the command expects one: nothing is left for the next reply
  await rejects(host.start(1), /0x03 refused/);
  assert.equal(await host.status(), { busy: false, done: true });
  // no reply at all: the read times out with what came (nothing) and says so
  await rejects(host.read(0, 1), /expected 5 reply bytes/);
});

test('UART divisor from the clock: 1736 cycles per bit at 200 MHz and 115200 baud; a bad pairing is refused', () => {
  assert.is(uartDivisor(200), 1736);
  assert.is(uartDivisor(100), 868);
  assert.is(hostLinkParams(getPreset('vc709')!.clockMHz).clksPerBit, 1736);
  assert.throws(() => uartDivisor(0.3), /too slow/);
  assert.throws(() => uartDivisor(1, 230400), /% off/);
});

test('UART model: frames decode back to their bytes, a low stop bit is flagged', () => {
  const bytes = [0x00, 0xff, 0x55, 0xa3, 0x80];
  const lv = [1, 1, 1, ...uartLevels(bytes, 5), 1, 1];
  assert.equal(uartDecode(lv, 5).map((b) => b.byte), bytes);
  assert.equal(uartDecode(lv, 5).map((b) => b.start), [3, 53, 103, 153, 203]);
  const bad = uartDecode([1, ...uartFrame(0x42, 4, 0), 1, 1, 1, 1], 4);
  assert.equal(bad.map((b) => [b.byte, b.frameError]), [[0x42, true]]);
});

withVerilator(test, 'host_link, uart_rx and uart_tx lint clean (-Wall) as generated for vc709', () => {
  const design = generateRtl(getPreset('vc709')!);
  const src = new Map(design.modules.filter((m) => ['host_link', 'uart_rx', 'uart_tx'].includes(m.name)).map((m) => [`${m.name}.v`, m.text]));
  assert.is(src.size, 3);
  assert.match(src.get('host_link.v')!, /CLKS_PER_BIT = 1736/);
  assert.is(lintVerilator(src, 'host_link'), '');
});

withTools(test, ['yosys'], 'host_link with its UARTs maps to a few hundred LUTs (Yosys synth_xilinx, vc709: 1736 cycles per bit)', () => {
  const r = synthXilinx(sourcesOf(generateRtl(getPreset('vc709')!), ['host_link', 'uart_rx', 'uart_tx']), 'host_link', 600, { flatten: true }).resources;
  assert.ok(r.lut > 100 && r.lut <= 400, `${r.lut} LUTs`);
  assert.ok(r.ff > 150 && r.ff <= 400, `${r.ff} FFs`);
  assert.is(r.dsp + r.bram36, 0);
});

function words(n: number, seed: number): bigint[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => BigInt(Math.floor(r() * 2 ** 32)));
}

withVerilator(test, 'host code over the UART model: a block written comes back equal; start, status and both error replies (Verilator)', async () => {
  const uart = new SimUartLink(hostLinkSimulator('verilator', SIM, PROV), SIM.clksPerBit);
  const host = new HostLink(uart, SIM.wordBits);
  const block = words(40, 5);
  await host.write(17, block);
  assert.equal(await host.read(17, 40), block);
  assert.equal(await host.read(30, 3), block.slice(13, 16));
  assert.equal(await host.read(0, 0), []);

  assert.equal(await host.status(), { busy: false, done: false });
  await host.start(200);
  assert.equal(await host.status(), { busy: true, done: false });
  uart.wait(300);
  assert.equal(await host.status(), { busy: false, done: true });

  // a bad command byte: the error reply names it, and the link goes on
  assert.equal([...(await host.raw(Uint8Array.from([0x5a]), 2))], [HOST_ERR.command, 0x5a]);
  await host.raw(Uint8Array.from([0x00]), 2).then((r) => assert.equal([...r], [HOST_ERR.command, 0x00]));
  try {
    await host.raw(Uint8Array.from([0x99]), 2).then((r) => checkReply(encodeStatus(), r));
    assert.unreachable('an error reply must throw');
  } catch (e) {
    assert.instance(e, HostLinkError);
    assert.match((e as Error).message, /0x99 refused/);
  }
  // a byte with a low stop bit in the middle of a write frame's data drops the frame: the word is not written
  await host.write(100, [7n]);
  const head = uartLevels(encodeWrite(100, [0x11223344n], 32).bytes.subarray(0, 9), SIM.clksPerBit);
  assert.equal([...(await uart.transactLevels([...head, ...uartFrame(0x11, SIM.clksPerBit, 0)], 2))], [HOST_ERR.frame, 0x00]);
  // a frame abandoned half way is forgotten after the timeout: the next command is read as a command
  assert.equal([...(await uart.transactLevels(uartLevels([HOST_CMD_READ, 1, 2], SIM.clksPerBit), 0))], []);
  uart.wait(SIM.timeoutCycles);
  assert.equal(await host.read(17, 2), block.slice(0, 2));
  assert.equal(await host.read(100, 1), [7n]);
});

const HOST_CMD_READ = 0x02;

withIcarus(test, 'host code over the UART model: write and read back a block, bad command (Icarus)', async () => {
  const host = new HostLink(new SimUartLink(hostLinkSimulator('icarus', SIM, PROV), SIM.clksPerBit), SIM.wordBits);
  const block = words(6, 9);
  await host.write(250, block.slice(0, 6));
  assert.equal(await host.read(250, 6), block);
  assert.equal([...(await host.raw(Uint8Array.from([0xc7]), 2))], [HOST_ERR.command, 0xc7]);
  assert.equal(await host.status(), { busy: false, done: false });
});

test.run();
