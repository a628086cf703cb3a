// bitbrick.v and fusion_unit.v. The Fusion Unit's per-mode operand multiplexers and shifts are printed from
// brickPlan() (hw/fusion-unit.ts), the same plan the TypeScript model evaluates, so the two cannot drift.
import { FU_MODES, FuMode, brickPlan, bricksPerUnit, modeName, pairsPerCycle } from '../../hw/fusion-unit.js';
import { RTL_UNIT_BITS } from '../pack.js';
import { FU_SUM_BITS, WORD_BITS, modeCode } from '../pack.js';
import { Port, Provenance, VerilogModule, clog2, header, moduleHead, table } from '../verilog.js';

export function bitbrickModule(prov: Provenance): VerilogModule {
  const ports: Port[] = [
    { name: 'x', dir: 'input', width: 2, comment: 'activation slice' },
    { name: 'sx', dir: 'input', width: 1, comment: 'x is the top slice of a signed operand' },
    { name: 'y', dir: 'input', width: 2, comment: 'weight slice' },
    { name: 'sy', dir: 'input', width: 1, comment: 'y is the top slice of a signed operand' },
    { name: 'p', dir: 'output', width: 6, signed: true, comment: 'x * y, exact' },
  ];
  const text =
    header('bitbrick', [
      'BitBrick: a 2-bit x 2-bit multiplier. Each slice is extended by one bit (sign-extended when its flag is',
      'set, zero-extended otherwise), so operands lie in -2..3 and the signed product in -6..9 is exact in 6 bits.',
    ], prov) +
    '`default_nettype none\n\n' +
    moduleHead('bitbrick', [], ports) +
    `
  // Extended straight to the product width so the multiply is 6 x 6 -> 6 bits with no implicit widening.
  wire signed [5:0] xe = {{4{sx & x[1]}}, x};
  wire signed [5:0] ye = {{4{sy & y[1]}}, y};

  assign p = xe * ye;

endmodule

\`default_nettype wire
`;
  return { name: 'bitbrick', text, ports, params: [] };
}

function modeLabel(m: FuMode): string {
  return `MODE_A${m.a}W${m.w}`;
}

function bits(hi: number, lo: number): string {
  return hi === lo ? `[${hi}]` : `[${String(hi).padStart(2)}:${String(lo).padStart(2)}]`;
}

/** Shifts of the quad tree in one mode: brick 4n+k's product is shifted by l1[k] inside its node n, node n by l2[n]. */
export interface TreeShifts {
  l1: number[];
  l2: number[];
}

/**
 * Splits brickPlan's per-brick shifts into the two levels of the quad tree. The plan is a quad tree, so
 * shift(4n + k) = l2[n] + l1[k] with l1[0] = l2[0] = 0; anything else is a plan the hardware cannot build.
 */
export function treeShifts(m: FuMode): TreeShifts {
  const plan = brickPlan(m);
  const l1 = [0, 1, 2, 3].map((k) => plan[k].shift);
  const l2 = [0, 1, 2, 3].map((n) => plan[4 * n].shift);
  for (let n = 0; n < 4; n++) for (let k = 0; k < 4; k++) {
    if (plan[4 * n + k].shift !== l2[n] + l1[k]) throw new Error(`internal: brick plan of ${modeName(m)} is not a quad tree at brick ${4 * n + k}`);
  }
  return { l1, l2 };
}

export function fusionUnitModule(prov: Provenance): VerilogModule {
  const ports: Port[] = [
    { name: 'a_bits', dir: 'input', width: 2, comment: 'activation width: 0 = 2, 1 = 4, 2 = 8 bits' },
    { name: 'w_bits', dir: 'input', width: 2, comment: 'weight width, same code' },
    { name: 'a_signed', dir: 'input', width: 1 },
    { name: 'w_signed', dir: 'input', width: 1 },
    { name: 'act', dir: 'input', width: WORD_BITS, comment: 'pair i activation at [i*a +: a]' },
    { name: 'wgt', dir: 'input', width: WORD_BITS, comment: 'pair i weight at [i*w +: w]' },
    { name: 'sum', dir: 'output', width: FU_SUM_BITS, signed: true, comment: 'sum of the pair products' },
  ];
  const shifts = FU_MODES.map(treeShifts);
  const maxL1 = Math.max(...shifts.flatMap((t) => t.l1));
  const maxL2 = Math.max(...shifts.flatMap((t) => t.l2));
  const l1W = clog2(maxL1 + 1);
  const l2W = clog2(maxL2 + 1);
  // A node adds four 6-bit products (|p| <= 9) shifted by at most maxL1.
  const nodeW = clog2(4 * 9 * 2 ** maxL1 + 1) + 1;
  const shiftRows = FU_MODES.map((m, i) => [
    `${modeLabel(m)}:`,
    ...[1, 2, 3].map((k) => `l1_sh${k} = ${l1W}'d${shifts[i].l1[k]};`),
    ...[1, 2, 3].map((n, j) => `l2_sh${n} = ${l2W}'d${shifts[i].l2[n]};${j === 2 ? ' end' : ''}`),
  ]);
  for (const r of shiftRows) r[1] = `begin ${r[1]}`;
  shiftRows.push(['default:', `begin l1_sh1 = ${l1W}'d0;`, `l1_sh2 = ${l1W}'d0;`, `l1_sh3 = ${l1W}'d0;`, `l2_sh1 = ${l2W}'d0;`, `l2_sh2 = ${l2W}'d0;`, `l2_sh3 = ${l2W}'d0; end`]);
  const ext = (p: string, w: string) => `{{(${w}-6){${p}[5]}}, ${p}}`;
  const nodes = [0, 1, 2, 3].map((n) => {
    const b = (k: number) => `p${4 * n + k}`;
    return `  wire signed [NODE_W-1:0] node${n} = ${ext(b(0), 'NODE_W')}\n` +
      [1, 2, 3].map((k) => `                                 + (${ext(b(k), 'NODE_W')} <<< l1_sh${k})`).join('\n') + ';';
  }).join('\n');
  const extN = (n: number) => `{{(SUM_W-NODE_W){node${n}[NODE_W-1]}}, node${n}}`;

  const modeRows = FU_MODES.map((m) => [`localparam [3:0] ${modeLabel(m)}`, `= 4'd${modeCode(m)};`, `// ${modeName(m)}: ${pairsPerCycle(m)} product${pairsPerCycle(m) > 1 ? 's' : ''} per cycle`]);

  let bricks = '';
  for (let b = 0; b < bricksPerUnit(RTL_UNIT_BITS); b++) {
    const rows: string[][] = [];
    for (const m of FU_MODES) {
      const op = brickPlan(m)[b];
      const aLo = op.pair * m.a + 2 * op.aSlice;
      const wLo = op.pair * m.w + 2 * op.wSlice;
      rows.push([
        `${modeLabel(m)}:`,
        `begin x${b} = act${bits(aLo + 1, aLo)};`,
        `xt${b} = 1'b${op.aTop ? 1 : 0};`,
        `y${b} = wgt${bits(wLo + 1, wLo)};`,
        `yt${b} = 1'b${op.wTop ? 1 : 0}; end`,
        `// pair ${op.pair}, slices a${op.aSlice} w${op.wSlice}`,
      ]);
    }
    rows.push([`default:`, `begin x${b} = 2'b00;`, `xt${b} = 1'b0;`, `y${b} = 2'b00;`, `yt${b} = 1'b0; end`, '']);
    bricks += `
  // BitBrick ${b}
  reg  [1:0]         x${b}, y${b};
  reg                xt${b}, yt${b};
  wire signed [5:0]  p${b};

  always @* begin
    case (mode)
${table(rows, '      ')}    endcase
  end

  bitbrick u_brick${b} (.x(x${b}), .sx(a_signed & xt${b}), .y(y${b}), .sy(w_signed & yt${b}), .p(p${b}));
`;
  }

  const text =
    header('fusion_unit', [
      'Fusion Unit: 16 BitBricks fused into one multiply-add per cycle, combinational (the PE registers the sum).',
      'In mode (a, w) it computes sum over i < (8/a)*(8/w) of act_i * wgt_i, where pair i\'s activation is',
      'act[i*a +: a] and its weight wgt[i*w +: w] (two\'s complement when the sign flag is set); unused upper',
      'bits are ignored. Width codes: 0 = 2 bits, 1 = 4, 2 = 8; code 3 is illegal and gives sum = 0.',
      'Each BitBrick\'s slice multiplexers and top-slice flags per mode, and the shifts of the two-level quad',
      'tree (4 nodes of 4 bricks), are printed from brickPlan() in hw/fusion-unit.ts.',
      'The sum is 17 bits signed: the extremes are 8x8 unsigned (255 * 255 = 65025) and unsigned x signed',
      '(255 * -128 = -32640). The nodes are added modulo 2^17, which is exact because every true sum fits.',
    ], prov) +
    '`default_nettype none\n\n' +
    moduleHead('fusion_unit', [], ports) +
    `
  localparam SUM_W   = ${FU_SUM_BITS};
  localparam NODE_W  = ${nodeW};  // a 4-brick node: four products shifted by at most ${maxL1}

${table(modeRows)}
  wire [3:0] mode = {a_bits, w_bits};
${bricks}
  // Quad tree, level 1: node n adds bricks 4n..4n+3, brick 4n+k shifted by l1_sh<k>.
  // Level 2: the unit adds the nodes, node n shifted by l2_sh<n>. Per-mode shifts from brickPlan().
  reg [${l1W - 1}:0] l1_sh1, l1_sh2, l1_sh3;
  reg [${l2W - 1}:0] l2_sh1, l2_sh2, l2_sh3;

  always @* begin
    case (mode)
${table(shiftRows, '      ')}    endcase
  end

${nodes}

  assign sum = ${extN(0)}
             + (${extN(1)} <<< l2_sh1)
             + (${extN(2)} <<< l2_sh2)
             + (${extN(3)} <<< l2_sh3);

endmodule

\`default_nettype wire
`;
  return { name: 'fusion_unit', text, ports, params: [] };
}
