// The memory engines' cycle simulations (rtl/modules/mem-loader.ts, rtl/modules/mem-storer.ts) on the DRAM model,
// register for register with the RTL; the rules they follow, the command plans and the shared machinery (DRAM
// model, requests, command control) are in rtl/mem-engine-model.ts.
import type { DramTiming } from './axi-model.js';
import {
  type EngineCommand, type EngineModelInput, type EngineTrace, type LocalWrite, type MemEngineParams, LOADER_OPS, SETUP_CYCLES, STORER_OPS,
  engineSetup,
} from './mem-engine-model.js';

/** The loader and the DRAM model, one cycle at a time, for `cycles` cycles. */
export function simulateLoader(m: EngineModelInput): EngineTrace {
  const { e } = m;
  const { k, dram, trace, ctl, rq } = engineSetup(m, LOADER_OPS);
  const banks = e.rows * e.cols;
  let inFlight = 0;
  const recs: Array<{ lo: number; words: number }> = [];
  let uStarted = false;
  let uPos = 0;
  let uLeft = 0;
  // the write walker
  let wLeft = 0;
  let fo = 0;
  let bits = 32;
  let tSel = 0;
  let tCh = 0;
  let kBank = 0;
  let kAddr = 0;
  let rAddr = 0;
  let g = 0;
  let gmod = 0;
  let gdiv = 0;
  let tx = 0;
  let y = 0;
  let x = 0;
  let pix = 0;
  let fo0 = 0;
  let x0 = 0;
  let pending: Omit<LocalWrite, 'cycle'> | undefined;
  for (let c = 0; c < m.cycles; c++) {
    if (pending) trace.writes.push({ cycle: c, ...pending });
    pending = undefined;
    if (ctl.doneNext) {
      trace.done.push(c);
      trace.err.push(ctl.err);
      ctl.doneNext = false;
    }
    const plan = ctl.plan;
    const run = ctl.phase === SETUP_CYCLES + 1;
    const f = plan?.f ?? {};
    // request side
    const b = run && rq.left !== 0 ? rq.burst() : undefined;
    const arFire = b !== undefined && inFlight !== e.maxOutstanding && dram.arReady;
    // the walker and the R word
    const inside = plan?.op !== 'load-input' || (y >= 0 && y < f.in_h && x >= 0 && x < f.in_w);
    const need = inside;
    const sFire = run && wLeft !== 0 && (!need || dram.rValid);
    const lastG = plan?.op === 'load-input' && g === f.gs - 1;
    const sPop = sFire && need && (fo + bits === 32 || wLeft === 1 || lastG);
    const pos = uStarted ? uPos : recs[0]?.lo ?? 0;
    const left = uStarted ? uLeft : recs[0]?.words ?? 0;
    const beatEnd = pos === k - 1 || left === 1;
    const rReady = sPop && beatEnd;
    const word = need && sFire ? dram.rWord(pos) : 0;
    const field = bits === 32 ? word : (word >>> fo) & (2 ** bits - 1);
    const finishing = run && (wLeft === 0 || (sFire && wLeft === 1));
    const q = ctl.fire(c);
    if (sFire) {
      const data = need ? field >>> 0 : f.pad >>> 0;
      switch (plan!.op) {
        case 'tables': pending = { port: 'pt', sel: tSel, addr: tCh, data }; break;
        case 'weights': pending = { port: 'wb', sel: kBank, addr: kAddr, data }; break;
        case 'residual': pending = { port: 'rb', sel: 0, addr: rAddr, data }; break;
        default: {
          let mask = 0;
          for (let r = gmod; r < e.rows; r += f.d) mask |= 1 << r;
          pending = { port: 'ib', sel: mask >>> 0, addr: pix + gdiv, data };
        }
      }
    }
    if (arFire) trace.req.push({ cycle: c, addr: b!.addr, beats: b!.beats });
    dram.edge({ ar: arFire ? { addr: b!.addr, beats: b!.beats } : undefined, r: rReady, b: false });
    // the engine's edge
    if (finishing) ctl.doneNext = true;
    if (q) {
      ctl.accept(q);
      continue;
    }
    if (finishing) {
      ctl.phase = 0;
      ctl.plan = null;
    } else if (ctl.phase >= 1 && ctl.phase <= SETUP_CYCLES) {
      if (ctl.phase === SETUP_CYCLES) {
        const p = plan!;
        rq.load(p.runs);
        wLeft = p.total;
        const half = (h: number, base: number) => (f.half ? h : 0) + base;
        bits = p.op === 'weights' ? f.word_bits : p.op === 'load-input' ? f.act_bits : 32;
        fo = p.op === 'load-input' ? (f.g0 * f.act_bits) % 32 : 0;
        fo0 = fo;
        tSel = 0; tCh = 0; kBank = 0; kAddr = half(e.wbHalf, 0); rAddr = 0;
        g = 0; gmod = 0; gdiv = 0; tx = 0;
        y = f.oy0 * f.stride_y - f.pad_top;
        x0 = f.ox0 * f.stride_x - f.pad_left;
        x = x0;
        pix = half(e.ibHalf, 0);
      }
      ctl.phase++;
    }
    if (arFire) {
      recs.push({ lo: b!.lo, words: b!.words });
      rq.advance(b!.words);
    }
    if (sPop) {
      if (left === 1) {
        recs.shift();
        uStarted = false;
      } else {
        uStarted = true;
        uPos = (pos + 1) % k;
        uLeft = left - 1;
      }
    }
    inFlight += (arFire ? 1 : 0) - (sPop && left === 1 ? 1 : 0);
    if (sFire) {
      wLeft--;
      fo = (fo + bits) % 32;
      switch (plan!.op) {
        case 'tables':
          if (tSel === 2) { tSel = 0; tCh++; } else tSel++;
          break;
        case 'weights':
          if (kBank === banks - 1) { kBank = 0; kAddr++; } else kBank++;
          break;
        case 'residual':
          rAddr++;
          break;
        default:
          if (lastG) {
            pix += gdiv + 1 + (tx === f.tw - 1 ? f.row_skip : 0);
            g = 0; gmod = 0; gdiv = 0; fo = fo0;
            if (tx === f.tw - 1) { tx = 0; x = x0; y++; } else { tx++; x++; }
          } else {
            g++;
            if (gmod === f.d - 1) { gmod = 0; gdiv++; } else gmod++;
          }
      }
    }
  }
  return trace;
}

/** The storer and the DRAM model, one cycle at a time, for `cycles` cycles. */
export function simulateStorer(m: EngineModelInput): EngineTrace {
  const { e } = m;
  const { k, dram, trace, ctl, rq } = engineSetup(m, STORER_OPS);
  const staging = m.staging ?? new Uint32Array(0);
  const obuf = m.obuf ?? [];
  let inFlight = 0;
  const recs: Array<{ lo: number; words: number }> = [];
  let started = false;
  let posR = 0;
  let leftR = 0;
  // fetch side
  let fLeft = 0;
  let stAddr = 0;
  let fBank = 0;
  let fN = 0;
  let fRow = 0;
  let fObAddr = 0;
  let fPending = false;
  let fPendingData = 0;
  const fifo: number[] = [];
  // W side
  let fillLeft = 0;
  let wFull = false;
  let wLast = false;
  let wWords = new Array<number>(k).fill(0);
  let wStrb = new Array<boolean>(k).fill(false);
  for (let c = 0; c < m.cycles; c++) {
    if (ctl.doneNext) {
      trace.done.push(c);
      trace.err.push(ctl.err);
      ctl.doneNext = false;
    }
    const plan = ctl.plan;
    const run = ctl.phase === SETUP_CYCLES + 1;
    const f = plan?.f ?? {};
    const isStore = plan?.op === 'store';
    const b = run && rq.left !== 0 ? rq.burst() : undefined;
    const awFire = b !== undefined && inFlight !== e.maxOutstanding && dram.awReady;
    const lrEn: boolean = run && fLeft !== 0 && fifo.length + (fPending ? 1 : 0) < e.fifoDepth;
    const wFire: boolean = wFull && dram.wReady;
    const bFire = dram.bValid;
    const fill: boolean = run && fifo.length !== 0 && recs.length !== 0 && (!wFull || wFire);
    const pos = started ? posR : recs[0]?.lo ?? 0;
    const left = started ? leftR : recs[0]?.words ?? 0;
    const beatEnd = pos === k - 1 || left === 1;
    const flightNx = inFlight + (awFire ? 1 : 0) - (bFire ? 1 : 0);
    const fillLeftNx = fillLeft - (fill ? 1 : 0);
    const wFullNx: boolean = fill && beatEnd ? true : wFire ? false : wFull;
    const finishing = run && fillLeftNx === 0 && !wFullNx && flightNx === 0;
    const q = ctl.fire(c);
    if (awFire) trace.req.push({ cycle: c, addr: b!.addr, beats: b!.beats });
    if (wFire) trace.w.push({ cycle: c, last: wLast });
    if (lrEn) trace.reads.push(isStore ? { cycle: c, port: 'st', sel: 0, addr: stAddr } : { cycle: c, port: 'ob', sel: fBank, addr: fObAddr });
    dram.edge({ aw: awFire ? { addr: b!.addr, beats: b!.beats } : undefined, r: false, w: wFull ? { words: wWords, strb: wStrb } : undefined, b: bFire });
    if (finishing) ctl.doneNext = true;
    if (q) {
      ctl.accept(q);
      continue;
    }
    fillLeft = fillLeftNx;
    if (finishing) {
      ctl.phase = 0;
      ctl.plan = null;
    } else if (ctl.phase >= 1 && ctl.phase <= SETUP_CYCLES) {
      if (ctl.phase === SETUP_CYCLES) {
        const p = plan!;
        rq.load(p.runs);
        fLeft = p.total;
        fillLeft = p.total;
        stAddr = 0;
        fBank = 0;
        fN = 0;
        fRow = f.half ? e.obHalf : 0;
        fObAddr = fRow;
      }
      ctl.phase++;
    }
    if (awFire) {
      recs.push({ lo: b!.lo, words: b!.words });
      rq.advance(b!.words);
    }
    inFlight = flightNx;
    if (fill) {
      // a beat on the bus this cycle leaves: the new one starts with no strobes
      wStrb = wFull ? new Array<boolean>(k).fill(false) : wStrb.slice();
      wWords = wWords.slice();
      wWords[pos] = fifo.shift()!;
      wStrb[pos] = true;
      if (beatEnd) wLast = left === 1;
      if (left === 1) {
        recs.shift();
        started = false;
      } else {
        started = true;
        posR = (pos + 1) % k;
        leftR = left - 1;
      }
    } else if (wFire) wStrb = new Array<boolean>(k).fill(false);
    wFull = wFullNx;
    if (fPending) fifo.push(fPendingData);
    fPending = lrEn;
    if (lrEn) {
      if (isStore) {
        fPendingData = staging[stAddr] ?? 0;
        stAddr++;
      } else {
        const v = obuf[fBank]?.[fObAddr] ?? 0;
        fPendingData = e.obWordBits >= 32 ? v >>> 0 : ((v << (32 - e.obWordBits)) >> (32 - e.obWordBits)) >>> 0;
        if (fN === f.n - 1) {
          fN = 0;
          fBank = 0;
          fRow++;
          fObAddr = fRow;
        } else {
          fN++;
          if (fBank === e.cols - 1) { fBank = 0; fObAddr += f.m; } else fBank++;
        }
      }
      fLeft--;
    }
  }
  return trace;
}

/** Cycles from accepting `cmd` to its done with both the engine and the memory otherwise idle. */
export function engineCommandCycles(which: 'loader' | 'storer', e: MemEngineParams, dram: DramTiming, cmd: EngineCommand, memory: Uint32Array): number {
  for (let cycles = 4096; ; cycles *= 2) {
    const input: EngineModelInput = { e, dram, commands: [{ ...cmd, validFrom: 0 }], memory: memory.slice(), cycles };
    const t = which === 'loader' ? simulateLoader(input) : simulateStorer(input);
    if (t.done.length === 1) return t.done[0] - t.accepted[0];
    if (cycles > 1 << 24) throw new Error('internal: the engine model never finished the command');
  }
}

/** Bits of a WBUF bank number. */
