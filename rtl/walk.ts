// The tile controller's walk over an input tile in IBUF (rtl/window.ts has the layout): where each array row reads
// each window word, both as a formula (windowRead, tileAddress) and as the controller computes it step by step
// from compiler constants (windowSteps, rowStarts, walkOffsets). The tests hold the two to each other.
//
// IBUF holds an input tile (the pixels a block of output pixels reads, the window's halo and the image's padding
// included, padding as zero-point words) of gs channel words. Window word j = t*gs + g is read by row j % ROWS,
// so row r only ever reads words g with g = r (mod d), d = gcd(gs, ROWS), and bank r holds just those: gs/d words
// per pixel, word g of tile pixel p at bank address p*(gs/d) + floor(g/d).

/**
 * An input tile in IBUF: th x tw pixels of gs channel words, rows `pitch` pixels apart (a layer's edge blocks are
 * narrower than its pitch); bank r holds the words g = r (mod d).
 */
export interface InputTile {
  th: number;
  tw: number;
  pitch: number;
  gs: number;
  d: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function inputTile(th: number, tw: number, gs: number, rows: number, pitch = tw): InputTile {
  return { th, tw, pitch, gs, d: gcd(gs, rows) };
}

/** Words each IBUF bank holds for the tile. */
export function bankWords(t: InputTile): number {
  return t.th * t.pitch * (t.gs / t.d);
}

/** Bank address (within the half) of word g of tile pixel `pixel`. */
export function tileAddress(t: InputTile, pixel: number, g: number): number {
  return pixel * (t.gs / t.d) + Math.floor(g / t.d);
}

/** The kernel's walk over an input tile. */
export interface KernelWalk {
  kh: number;
  kw: number;
  strideY: number;
  strideX: number;
  dilY: number;
  dilX: number;
}

/**
 * Window word j of the block's output pixel (oy, ox) (block coordinates): the tile pixel and channel word it
 * reads, or null past the reduction (kh*kw*gs words; the weights there are zero, so any word will do).
 */
export function windowRead(t: InputTile, k: KernelWalk, oy: number, ox: number, j: number): { pixel: number; g: number } | null {
  if (j >= k.kh * k.kw * t.gs) return null;
  const g = j % t.gs;
  const kk = (j - g) / t.gs;
  const kx = kk % k.kw;
  const ky = (kk - kx) / k.kw;
  return { pixel: (oy * k.strideY + ky * k.dilY) * t.pitch + ox * k.strideX + kx * k.dilX, g };
}

/**
 * How the tile controller walks the windows: each array row keeps its window word j = s*ROWS + r as digits
 * (kx, g) and its bank offset off = ky*OY + kx*OX + floor(g/d) (OX = dilX*gs/d, OY = dilY*pitch*gs/d), and
 * moves them by ROWS words a step: g += dg, kx += dkx with carries, off += step (which holds the ky part), plus cg when g
 * carries and cx when kx carries. At each output pixel the rows restart from their initial digits (rowInit) and
 * the pixel base moves by pixX along a block row, by pixY to the next block row. All constants come from the
 * compiler (windowSteps), so the hardware only adds and compares. Offsets are modulo the IBUF half.
 */
export interface WindowSteps {
  blockCols: number;
  pixX: number;
  pixY: number;
  gs: number;
  kw: number;
  dg: number;
  dkx: number;
  step: number;
  cg: number;
  cx: number;
}

/** A row's starting digits and bank offset (window word j = r). */
export interface RowStart {
  kx: number;
  g: number;
  off: number;
}

function digits(j: number, t: InputTile, k: KernelWalk): { ky: number; kx: number; g: number } {
  const g = j % t.gs;
  const kk = (j - g) / t.gs;
  return { ky: Math.floor(kk / k.kw), kx: kk % k.kw, g };
}

/** The constants of a tile's walk on `rows` array rows, offsets modulo 2^offsetBits. */
export function windowSteps(t: InputTile, k: KernelWalk, blockCols: number, rows: number, offsetBits: number): WindowSteps {
  const mod = (v: number) => ((v % 2 ** offsetBits) + 2 ** offsetBits) % 2 ** offsetBits;
  const per = t.gs / t.d;
  const OX = k.dilX * per;
  const OY = k.dilY * t.pitch * per;
  const { ky: dky, kx: dkx, g: dg } = digits(rows, t, k);
  return {
    blockCols, pixX: mod(k.strideX * per), pixY: mod(k.strideY * t.pitch * per - (blockCols - 1) * k.strideX * per), gs: t.gs, kw: k.kw,
    dg, dkx, step: mod(dg / t.d + dkx * OX + dky * OY), cg: mod(OX - per), cx: mod(OY - k.kw * OX),
  };
}

/** Every row's starting digits: window word j = r. */
export function rowStarts(t: InputTile, k: KernelWalk, rows: number): RowStart[] {
  const per = t.gs / t.d;
  return Array.from({ length: rows }, (_, r) => {
    const { ky, kx, g } = digits(r, t, k);
    return { kx, g, off: ky * k.dilY * t.pitch * per + kx * k.dilX * per + Math.floor(g / t.d) };
  });
}

/**
 * The bank offsets the controller reads, as it computes them: [t][r] for t = m*S + s, modulo 2^offsetBits. A row
 * past the reduction reads some word of the half: its weights are zero, so the word does not count.
 */
export function walkOffsets(w: WindowSteps, starts: RowStart[], M: number, S: number, offsetBits: number): Int32Array[] {
  const mod = 2 ** offsetBits;
  const out: Int32Array[] = [];
  let pb = 0;
  for (let m = 0; m < M; m++) {
    const st = starts.map((x) => ({ ...x }));
    for (let s = 0; s < S; s++) {
      out.push(Int32Array.from(st, (x) => (pb + x.off) % mod));
      for (const x of st) {
        let g = x.g + w.dg;
        const cg = g >= w.gs;
        if (cg) g -= w.gs;
        let kx = x.kx + w.dkx + (cg ? 1 : 0);
        const cx = kx >= w.kw;
        if (cx) kx -= w.kw;
        x.off = (x.off + w.step + (cg ? w.cg : 0) + (cx ? w.cx : 0)) % mod;
        x.g = g;
        x.kx = kx;
      }
    }
    pb = (pb + ((m + 1) % w.blockCols === 0 ? w.pixY : w.pixX)) % mod;
  }
  return out;
}
