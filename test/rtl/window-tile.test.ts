// The tile controller's window walk under Verilator: every array tile of a network program (rtl/net-program.ts)
// on bitfusion_layer, its buffers set to what the program's executor (rtl/net-exec.ts) holds before the tile
// and its row table written through the rt_wr port; every OBUF word the tile leaves must equal the executor's,
// and every tile must take tileCycles + 1 cycles from start to done, the cycles the simulator counts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withVerilator } from '../helpers.js';
import { tileCycles } from '../../hw/array-timing.js';
import { packDescriptor, rowTableWord } from '../../rtl/descriptor.js';
import { sourcesOf } from '../../rtl/generate.js';
import { LAYER_VLT, layerTop } from '../../rtl/layer-fast.js';
import { executeInstr } from '../../rtl/net-exec.js';
import { tileDescriptor } from '../../rtl/net-program.js';
import { EventScript, runEvents } from '../../rtl/sim-events.js';
import { signedOf } from '../../rtl/verify.js';
import { tinyProgram } from './tiny-program.js';

const CORE = 'TOP.bitfusion_layer.u_core';

for (const [bits, rows, cols] of [[4, 4, 2], [8, 2, 2]] as const) {
  withVerilator(test, `tiny network a${bits}w${bits} on ${rows}x${cols}: every program tile's OBUF words and cycles through the walk`, async () => {
    const { design, p, prog, st } = await tinyProgram(bits, rows, cols);

    const top = layerTop(design);
    const s = new EventScript(top);
    const ibuf = Array.from({ length: p.rows }, (_, b) => s.memory(`${CORE}.u_ibuf.g_bank[${b}].u_bank`, 'mem'));
    const wbuf = Array.from({ length: p.rows * p.cols }, (_, b) => s.memory(`${CORE}.u_wbuf.g_row[${Math.floor(b / p.cols)}].g_col[${b % p.cols}].u_bank`, 'mem'));
    const obuf = Array.from({ length: p.cols }, (_, b) => s.memory(`${CORE}.u_obuf.g_bank[${b}].u_bank`, 'mem'));
    s.set('rst', 1n).at(2).set('rst', 0n);
    let at = 3;
    const starts: number[] = [];
    const wants: Array<{ tile: number; want: number }> = [];
    const modelCycles: number[] = [];
    for (const ins of prog.instrs) {
      if (ins.op === 'tile') {
        const t = ins.tile;
        // The buffers as the program left them, then the row table, then start.
        s.at(at);
        st.ibuf.forEach((bank, b) => bank.forEach((v, a) => s.poke(ibuf[b], a, v)));
        st.wbuf.forEach((bank, b) => bank.forEach((v, a) => s.poke(wbuf[b], a, v)));
        st.obuf.forEach((bank, b) => bank.forEach((v, a) => s.poke(obuf[b], a, v >>> 0)));
        st.rowStarts.forEach((r, row) => {
          s.at(at++).set('rt_wr_en', 1n).set('rt_wr_row', BigInt(row)).set('rt_wr_data', rowTableWord(r, p));
        });
        s.at(at).set('rt_wr_en', 0n);
        s.set('start', 1n).set('desc', packDescriptor(tileDescriptor(t), p));
        starts.push(at);
        s.at(at + 1).set('start', 0n);
        const cycles = tileCycles(t.M * t.S, p.rows, p.cols) + 1;
        modelCycles.push(cycles);
        executeInstr(st, ins, p);
        at += cycles;
        s.at(at);
        const base = (p.obuf.doubleBuffered ? t.obHalf * p.obuf.tileDepth : 0) + t.obufBase;
        for (let m = 0; m < t.M; m++) for (let c = 0; c < p.cols; c++) {
          s.peek(obuf[c], base + m);
          wants.push({ tile: starts.length - 1, want: st.obuf[c][base + m] });
        }
        at += 1;
      } else if (ins.op !== 'end') {
        executeInstr(st, ins, p, () => undefined);
      }
    }
    s.at(at + 2);
    const run = runEvents(sourcesOf(design), top, LAYER_VLT, s, ['done']);
    assert.ok(starts.length >= 6, `${starts.length} tiles`);
    // Done pulses: one per tile, tileCycles + 1 after its start cycle.
    const doneAt = run.lines.filter((l) => l.values[top.ports.filter((q) => q.dir === 'output').findIndex((q) => q.name === 'done')] !== '0')
      .map((l) => l.cycle);
    assert.equal(doneAt.map((c, i) => c - starts[i]), modelCycles, 'start-to-done cycles');
    let wrong = 0;
    wants.forEach((w, i) => {
      if (signedOf(run.peeks[i] ?? 0n, p.accBits) !== w.want) wrong++;
    });
    assert.is(wrong, 0, `${wrong} of ${wants.length} OBUF words differ`);
  });
}

test.run();
