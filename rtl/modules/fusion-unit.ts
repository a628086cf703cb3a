// bitbrick.v, one fusion_node<L>.v per level of the quad tree, and fusion_unit.v.
//
// The unit is built the way the reference Bit Fusion RTL builds it: a level-L node is four level-L/2 nodes
// (a level-4 node four BitBricks) whose products it shifts and adds, so the tree needs no per-brick
// shifters. Every level runs the same three adders, c0 + (c1 << H*a_full), c2 + (c3 << H*a_full) and
// lo + (hi << H*w_full), with H = L/2 and a_full / w_full saying the operand is L bits wide at this level:
// the per-child shifts (0,1,1,2), (0,1,0,1), (0,0,1,1), (0,0,0,0) of the four fused modes fall out of the two
// flags. Signs follow the same flags: a child sees the top (signed) slice of an operand only when the operand
// is split at this level and the child holds its high half, or when the operand is not split at all.
// The only per-mode table left is fusion_unit's operand routing, which lays the packed pair words out in
// brick order; it is printed from brickPlan() (hw/fusion-unit.ts), and the generator checks that the plan's
// shifts and sign flags are exactly what the tree computes, so the RTL and the model cannot drift.
import { FuMode, UnitWidth, brickPlan, bricksPerUnit, fuModes, modeName, pairsPerCycle } from '../../hw/fusion-unit.js';
import { FU_SUM_BITS, RTL_UNIT_BITS, WORD_BITS, modeCode } from '../pack.js';
import { Port, Provenance, VerilogModule, header, moduleHead, table } from '../verilog.js';
import { bitBrick } from '../../hw/bitbrick.js';

/** Signed product width of a level-L node: (2^L - 1)^2 needs 2L bits unsigned, one more for the sign. */
export function nodeSumBits(L: number): number {
  return 2 * L + 1;
}

/** Brick-order slice bits a level-L node takes per operand: (L/2)^2 bricks of 2 bits. */
export function nodeSliceBits(L: number): number {
  return (L * L) / 2;
}

/** Module names of a unit of width `unit`, leaves first: bitbrick, fusion_node4, ..., fusion_unit. */
export function fusionUnitModuleNames(unit: UnitWidth = RTL_UNIT_BITS): string[] {
  return ['bitbrick', ...nodeLevels(unit).map(nodeName), 'fusion_unit'];
}

function nodeLevels(unit: number): number[] {
  const out: number[] = [];
  for (let L = 4; L <= unit; L *= 2) out.push(L);
  return out;
}

function nodeName(L: number): string {
  return `fusion_node${L}`;
}

export function bitbrickModule(prov: Provenance): VerilogModule {
  const ports: Port[] = [
    { name: 'x', dir: 'input', width: 2, comment: 'activation slice' },
    { name: 'sx', dir: 'input', width: 1, comment: 'x is the top slice of a signed operand' },
    { name: 'y', dir: 'input', width: 2, comment: 'weight slice' },
    { name: 'sy', dir: 'input', width: 1, comment: 'y is the top slice of a signed operand' },
    { name: 'p', dir: 'output', width: nodeSumBits(2), signed: true, comment: 'x * y, exact' },
  ];
  // The product table is printed from bitBrick(), the model's definition, four entries to a line. As a
  // table it maps to one LUT per product bit; Yosys builds a written multiply from carry chains.
  const rows: string[][] = [];
  for (let hi = 0; hi < 16; hi++) {
    const row: string[] = [];
    for (let lo = 0; lo < 4; lo++) {
      const i = hi * 4 + lo;
      const v = bitBrick((i >> 3) & 3, ((i >> 5) & 1) === 1, i & 3, ((i >> 2) & 1) === 1);
      row.push(`6'd${String(i).padStart(2)}: sum = ${v < 0 ? '-' : ' '}5'sd${Math.abs(v)};`);
    }
    rows.push(row);
  }
  const text =
    header('bitbrick', [
      'BitBrick: a 2-bit x 2-bit multiplier, the leaf of the Fusion Unit\'s quad tree. Each slice is extended by',
      'one bit (sign-extended when its flag is set, zero-extended otherwise), so operands lie in -2..3 and the',
      'signed product in -6..9 is exact in P_W = 5 bits. The case table is {sx, x, sy, y} -> x * y, printed from',
      'bitBrick() in hw/bitbrick.ts.',
    ], prov) +
    '`default_nettype none\n\n' +
    moduleHead('bitbrick', [], ports) +
    `
  localparam P_W = 5;

  reg signed [P_W-1:0] sum;

  always @* begin
    case ({sx, x, sy, y})
${table(rows, '      ')}    endcase
  end

  assign p = sum;

endmodule

\`default_nettype wire
`;
  return { name: 'bitbrick', text, ports, params: [] };
}

function nodePorts(L: number): Port[] {
  const sl = nodeSliceBits(L);
  return [
    { name: 'a_bits', dir: 'input', width: 2, comment: 'activation width code: 0 = 2, 1 = 4, 2 = 8 bits (3 = 16 in a 16-bit tree)' },
    { name: 'w_bits', dir: 'input', width: 2, comment: 'weight width code' },
    { name: 'sx', dir: 'input', width: 1, comment: 'x holds the top slice of a signed activation' },
    { name: 'sy', dir: 'input', width: 1, comment: 'y holds the top slice of a signed weight' },
    { name: 'x', dir: 'input', width: sl, comment: `activation slices in brick order, child k at [k*${sl / 4} +: ${sl / 4}]` },
    { name: 'y', dir: 'input', width: sl, comment: 'weight slices, same order' },
    { name: 'p', dir: 'output', width: nodeSumBits(L), signed: true, comment: 'sum of the shifted child products' },
  ];
}

/** One level of the quad tree: four level-L/2 nodes (BitBricks at L = 4), shifted and added. */
export function fusionNodeModule(L: number, prov: Provenance): VerilogModule {
  if (L < 4 || (L & (L - 1)) !== 0) throw new RangeError(`internal: no quad-tree level of width ${L}`);
  const name = nodeName(L);
  const child = L === 4 ? 'bitbrick' : nodeName(L / 2);
  const ports = nodePorts(L);
  const code = Math.log2(L) - 1;
  const childPorts = L === 4
    ? ['.x  (x[k*SL +: SL]),', '.sx (csx),', '.y  (y[k*SL +: SL]),', '.sy (csy),', '.p  (cp)']
    : ['.a_bits (a_bits),', '.w_bits (w_bits),', '.sx     (csx),', '.sy     (csy),', '.x      (x[k*SL +: SL]),', '.y      (y[k*SL +: SL]),',
      '.p      (cp)'];
  const text =
    header(name, [
      `Quad-tree level ${L}: ${L === 8 ? 'an' : 'a'} ${L}-bit x ${L}-bit multiplier fused from four ${child} instances (children of`,
      `${L / 2} bits). With H = ${L / 2}, child k holds the high half of the activation when k is odd and of the`,
      'weight when k >= 2. An operand is split across the children only when it is L bits wide (a_full,',
      'w_full); otherwise each child multiplies its own narrower pairs and the four products are summed:',
      '  p = (c0 + (c1 << H*a_full)) + ((c2 + (c3 << H*a_full)) << H*w_full)   (c_k: child k\'s product)',
      'which is the long multiplication (shifts 0, H, H, 2H) when both operands are full, (0, H, 0, H) or',
      '(0, 0, H, H) when one is, and a plain four-way sum when neither is. Only a high half carries the',
      'sign of a split operand; an unsplit operand passes its sign flag to every child.',
      'Every product fits P_W = 2L + 1 bits signed ((2^L - 1)^2 is the largest magnitude in any mode), so',
      'the additions are exact in the widths below.',
    ], prov) +
    '`default_nettype none\n\n' +
    moduleHead(name, [], ports) +
    `
${table([
    ['localparam L    ', `= ${L};`, '// operand width of this level'],
    ['localparam H    ', '= L / 2;', '// operand width of a child'],
    ['localparam SL   ', '= L * L / 8;', '// slice bits per child and operand: (H/2)^2 bricks of 2 bits'],
    ['localparam C_W  ', '= 2*H + 1;', '// child product, signed'],
    ['localparam S_W  ', '= 3*H + 1;', '// c0 + (c1 << H): |c| <= (2^H - 1)^2, so |sum| < 2^(3H)'],
    ['localparam P_W  ', '= 2*L + 1;', '// this level\'s product, signed'],
    ['localparam [1:0] CODE', `= 2'd${code};`, '// width code of an L-bit operand'],
  ])}
  // An operand code of at least CODE is L bits wide at this level: split it across the children.
  wire a_full = (a_bits >= CODE);
  wire w_full = (w_bits >= CODE);

  // Child k's product at [k*C_W +: C_W].
  wire [4*C_W-1:0] cps;

  genvar k;
  generate
    for (k = 0; k < 4; k = k + 1) begin : g_child
      localparam A_HI = k % 2;  // holds the high half of a split activation
      localparam W_HI = k / 2;  // holds the high half of a split weight
      wire                  csx = (A_HI == 1) ? sx : (sx & ~a_full);
      wire                  csy = (W_HI == 1) ? sy : (sy & ~w_full);
      wire signed [C_W-1:0] cp;

      ${child} u_${L === 4 ? 'brick' : 'node'} (
${childPorts.map((c) => `        ${c}`).join('\n')}
      );
      assign cps[k*C_W +: C_W] = cp;
    end
  endgenerate

  wire signed [C_W-1:0] c0 = cps[0*C_W +: C_W];
  wire signed [C_W-1:0] c1 = cps[1*C_W +: C_W];
  wire signed [C_W-1:0] c2 = cps[2*C_W +: C_W];
  wire signed [C_W-1:0] c3 = cps[3*C_W +: C_W];

  // The high activation halves move up H bits when the activation is split here. Each sum keeps its
  // unshifted operand in $signed(): Yosys then narrows that operand to its true width and makes it the
  // carry chain's direct input, so the shift multiplexer folds into the adder's LUTs (one LUT per bit).
  wire signed [S_W-1:0] c1s = a_full ? {c1, {H{1'b0}}} : {{(S_W-C_W){c1[C_W-1]}}, c1};
  wire signed [S_W-1:0] c3s = a_full ? {c3, {H{1'b0}}} : {{(S_W-C_W){c3[C_W-1]}}, c3};
  wire signed [S_W-1:0] lo  = $signed({{(S_W-C_W){c0[C_W-1]}}, c0}) + c1s;
  wire signed [S_W-1:0] hi  = $signed({{(S_W-C_W){c2[C_W-1]}}, c2}) + c3s;

  // The high weight halves move up H bits when the weight is split here (P_W = S_W + H).
  wire signed [P_W-1:0] his = w_full ? {hi, {H{1'b0}}} : {{H{hi[S_W-1]}}, hi};

  assign p = $signed({{H{lo[S_W-1]}}, lo}) + his;

endmodule

\`default_nettype wire
`;
  return { name, text, ports, params: [] };
}

function modeLabel(m: FuMode): string {
  return `MODE_A${m.a}W${m.w}`;
}

function bits(hi: number, lo: number): string {
  return hi === lo ? `[${hi}]` : `[${String(hi).padStart(2)}:${String(lo).padStart(2)}]`;
}

/** Which child of its level-L ancestor brick b sits in: 0..3 (bit 0: activation high half, bit 1: weight). */
function childDigit(b: number, L: number): number {
  return Math.floor(b / bricksPerUnit(L / 2)) % 4;
}

/**
 * What the quad tree does to brick b in mode m: its shift and whether it sees the top (signed) slice of each
 * operand. The generator requires brickPlan() to agree brick for brick; a plan the tree cannot build throws.
 */
export function treeBrick(m: FuMode, b: number): { shift: number; aTop: boolean; wTop: boolean } {
  let shift = 0;
  let aTop = true;
  let wTop = true;
  for (const L of nodeLevels(m.unit)) {
    const d = childDigit(b, L);
    const aFull = m.a >= L;
    const wFull = m.w >= L;
    shift += (L / 2) * ((aFull ? d & 1 : 0) + (wFull ? d >> 1 : 0));
    if (aFull && !(d & 1)) aTop = false;
    if (wFull && !(d >> 1)) wTop = false;
  }
  return { shift, aTop, wTop };
}

export function checkPlanIsTree(m: FuMode): void {
  brickPlan(m).forEach((op, b) => {
    const t = treeBrick(m, b);
    if (op.shift !== t.shift || op.aTop !== t.aTop || op.wTop !== t.wTop) {
      throw new Error(`internal: brick plan of ${modeName(m)} is not the quad tree at brick ${b}`);
    }
  });
}

export function fusionUnitModule(prov: Provenance, unit: UnitWidth = RTL_UNIT_BITS): VerilogModule {
  const modes = fuModes(unit);
  if (unit !== RTL_UNIT_BITS) throw new RangeError(`internal: the operand words are laid out for the ${RTL_UNIT_BITS}-bit unit`);
  for (const m of modes) checkPlanIsTree(m);
  if (nodeSumBits(unit) !== FU_SUM_BITS) throw new Error(`internal: the ${unit}-bit tree sums in ${nodeSumBits(unit)} bits, the port has ${FU_SUM_BITS}`);
  const ports: Port[] = [
    { name: 'a_bits', dir: 'input', width: 2, comment: 'activation width: 0 = 2, 1 = 4, 2 = 8 bits' },
    { name: 'w_bits', dir: 'input', width: 2, comment: 'weight width, same code' },
    { name: 'a_signed', dir: 'input', width: 1 },
    { name: 'w_signed', dir: 'input', width: 1 },
    { name: 'act', dir: 'input', width: WORD_BITS, comment: 'pair i activation at [i*a +: a]' },
    { name: 'wgt', dir: 'input', width: WORD_BITS, comment: 'pair i weight at [i*w +: w]' },
    { name: 'sum', dir: 'output', width: FU_SUM_BITS, signed: true, comment: 'sum of the pair products' },
  ];
  const nb = bricksPerUnit(unit);
  const sliceBits = nodeSliceBits(unit);
  const modeRows = modes.map((m) => [`localparam [3:0] ${modeLabel(m)}`, `= 4'd${modeCode(m)};`,
    `// ${modeName(m)}: ${pairsPerCycle(m)} product${pairsPerCycle(m) > 1 ? 's' : ''} per cycle`]);
  let routing = '';
  for (let b = 0; b < nb; b++) {
    const wLos = new Map<number, number>();
    const rows = modes.map((m) => {
      const op = brickPlan(m)[b];
      const aLo = op.pair * m.a + 2 * op.aSlice;
      const wLo = op.pair * m.w + 2 * op.wSlice;
      wLos.set(wLo, (wLos.get(wLo) ?? 0) + 1);
      return [`${modeLabel(m)}:`, `begin xs[${2 * b + 1}:${2 * b}] = act${bits(aLo + 1, aLo)};`, `ys[${2 * b + 1}:${2 * b}] = wgt${bits(wLo + 1, wLo)}; end`,
        `// pair ${op.pair}, slices a${op.aSlice} w${op.wSlice}`];
    });
    // A zero activation slice zeroes the product, so the weight slice of an illegal mode is free: the brick's
    // most used one costs the multiplexer nothing.
    const wDef = [...wLos].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0][0];
    rows.push(['default:', `begin xs[${2 * b + 1}:${2 * b}] = 2'b00;`, `ys[${2 * b + 1}:${2 * b}] = wgt${bits(wDef + 1, wDef)}; end`, '']);
    routing += `
  // BitBrick ${b}
  always @* begin
    case (mode)
${table(rows, '      ')}    endcase
  end
`;
  }
  const top = nodeName(unit);
  const text =
    header('fusion_unit', [
      `Fusion Unit: ${nb} BitBricks fused into one multiply-add per cycle, combinational (the PE registers the sum).`,
      'In mode (a, w) it computes sum over i < (8/a)*(8/w) of act_i * wgt_i, where pair i\'s activation is',
      'act[i*a +: a] and its weight wgt[i*w +: w] (two\'s complement when the sign flag is set); unused upper',
      'bits are ignored. Width codes: 0 = 2 bits, 1 = 4, 2 = 8; code 3 is illegal and gives sum = 0.',
      `This module lays the packed words out in brick order (brick b's slices at xs/ys[2b +: 2]: a per-mode`,
      `table printed from brickPlan() in hw/fusion-unit.ts) and hands them to ${top}, the top of the quad`,
      'tree, which does all the shifting, adding and sign handling from the width codes alone.',
      `The sum is ${FU_SUM_BITS} bits signed: the extremes are 8x8 unsigned (255 * 255 = 65025) and unsigned x signed`,
      '(255 * -128 = -32640).',
    ], prov) +
    '`default_nettype none\n\n' +
    moduleHead('fusion_unit', [], ports) +
    `
${table(modeRows)}
  wire [3:0] mode = {a_bits, w_bits};

  // Brick-order operand slices; an illegal mode routes zero activations, so its sum is 0.
  reg [${sliceBits - 1}:0] xs, ys;
${routing}
  ${top} u_tree (
    .a_bits (a_bits),
    .w_bits (w_bits),
    .sx     (a_signed),
    .sy     (w_signed),
    .x      (xs),
    .y      (ys),
    .p      (sum)
  );

endmodule

\`default_nettype wire
`;
  return { name: 'fusion_unit', text, ports, params: [] };
}

/** Every module of the unit, leaves first (the order a file list for a simulator wants). */
export function fusionUnitModules(prov: Provenance, unit: UnitWidth = RTL_UNIT_BITS): VerilogModule[] {
  return [bitbrickModule(prov), ...nodeLevels(unit).map((L) => fusionNodeModule(L, prov)), fusionUnitModule(prov, unit)];
}
