// The named hardware configurations. Numbers with a source say so; energy figures are 45 nm estimates (sourced
// below) and scale every layer alike, so speedups do not depend on them.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError, HwConfig, validateConfig } from './config.js';

/**
 * 45 nm per-access energies. BitBrick: a 2x2-bit multiply with its share of the shift-add tree, from the
 * Bit Fusion paper's Fusion Unit power at 500 MHz divided over its 16 BitBricks. SRAM: CACTI-style figures
 * for 16-64 KB banks at 45 nm. DRAM: about 20 pJ per bit for DDR3/DDR4 (as used by the Bit Fusion paper).
 */
const ENERGY_45NM = {
  bitBrickPJ: 0.03,
  ibufPJPerByte: 1.2,
  wbufPJPerByte: 1.5,
  obufPJPerByte: 1.0,
  dramPJPerByte: 160,
  staticPJPerCycle: 0,
};

const PRESETS: Record<string, HwConfig> = {
  'bitfusion-asic': {
    name: 'bitfusion-asic',
    description: 'Bit Fusion ISCA 2018 evaluation design: 16x32 Fusion Units, 500 MHz, 45 nm',
    rows: 16,
    cols: 32,
    bitBricksPerUnit: 16,
    maxBits: 8,
    clockMHz: 500,
    ibuf: { bytes: 32 * 1024, doubleBuffered: true },
    wbuf: { bytes: 64 * 1024, doubleBuffered: true },
    obuf: { bytes: 16 * 1024, doubleBuffered: true },
    dram: { bitsPerCycle: 192, efficiency: 1, note: 'Bit Fusion paper: 192 bits per cycle' },
    accumulatorBits: 32,
    energy: { ...ENERGY_45NM },
    technology: '45 nm ASIC',
  },
  'bitfusion-8x8': {
    name: 'bitfusion-8x8',
    description: 'The published Bit Fusion simulator\'s 8x8 configuration, 500 MHz, 45 nm',
    rows: 8,
    cols: 8,
    bitBricksPerUnit: 16,
    maxBits: 8,
    clockMHz: 500,
    ibuf: { bytes: 64 * 1024, doubleBuffered: true },
    wbuf: { bytes: 256 * 1024, doubleBuffered: true },
    obuf: { bytes: 16 * 1024, doubleBuffered: true },
    dram: { bitsPerCycle: 128, efficiency: 1, note: 'published simulator: 128 bits per cycle' },
    accumulatorBits: 32,
    energy: { ...ENERGY_45NM },
    technology: '45 nm ASIC',
  },
  vc709: {
    name: 'vc709',
    description: 'Xilinx VC709 (XC7VX690T): 8x8 Fusion Units at 200 MHz, every buffer double-buffered',
    rows: 8,
    cols: 8,
    bitBricksPerUnit: 16,
    maxBits: 8,
    clockMHz: 200,
    ibuf: { bytes: 64 * 1024, doubleBuffered: true },
    wbuf: { bytes: 256 * 1024, doubleBuffered: true },
    obuf: { bytes: 16 * 1024, doubleBuffered: true },
    // One 64-bit DDR3-1866 SODIMM: 1866e6 transfers/s * 64 bit = 119.4 Gbit/s = 597 bits per 200 MHz cycle at
    // the pins. The MIG 7-series controller sustains about 70% of that on the long sequential bursts of tile
    // loads and stores (refresh, row changes, read/write turnarounds), so efficiency = 0.7 (418 bits/cycle).
    dram: { bitsPerCycle: 597, efficiency: 0.7, note: 'one DDR3-1866 64-bit SODIMM via MIG 7-series, 70% sustained' },
    accumulatorBits: 32,
    // Energy on the FPGA is not a 45 nm figure; the same table is kept so reports stay comparable.
    energy: { ...ENERGY_45NM },
    technology: 'xc7vx690tffg1761-2',
  },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** A deep copy, so callers may modify it (sweeps change rows/cols). */
export function getPreset(name: string): HwConfig | undefined {
  const p = PRESETS[name];
  return p ? structuredClone(p) : undefined;
}

/** `name` is a preset name or a path to a JSON config file. */
export function loadConfig(nameOrFile: string): HwConfig {
  return readConfig(nameOrFile).config;
}

/** A config with the preset a file started from ({"base": "vc709", ...}), if it named one. */
export function readConfig(nameOrFile: string): { config: HwConfig; base?: string } {
  const preset = getPreset(nameOrFile);
  if (preset) return { config: preset };
  if (!nameOrFile.endsWith('.json')) {
    throw new ConfigError(`unknown config '${nameOrFile}': valid presets are ${presetNames().join(', ')}, or a path to a .json file`);
  }
  let text: string;
  try {
    text = readFileSync(nameOrFile, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file '${nameOrFile}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file '${nameOrFile}' is not valid JSON: ${(e as Error).message}`);
  }
  // A file may start from a preset and override fields: {"base": "vc709", "rows": 16}.
  if (raw && typeof raw === 'object' && typeof (raw as any).base === 'string') {
    const { base: baseName, ...over } = raw as any;
    const base = getPreset(baseName);
    if (!base) throw new ConfigError(`${nameOrFile}: base '${baseName}' is not a preset (valid: ${presetNames().join(', ')})`);
    // A derived design gets its own name (the file's) unless it gives one, so sweeps tell them apart.
    return { config: validateConfig(deepMerge({ ...base, name: basename(nameOrFile, '.json') }, over), nameOrFile), base: baseName };
  }
  return { config: validateConfig(raw, nameOrFile) };
}

function deepMerge(a: any, b: any): any {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null || Array.isArray(b)) return b;
  const out: any = { ...a };
  for (const k of Object.keys(b)) out[k] = k in a ? deepMerge(a[k], b[k]) : b[k];
  return out;
}
