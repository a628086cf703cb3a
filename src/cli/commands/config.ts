// `hwq config show <preset|file> [--json]`: a hardware config as the simulator reads it, every field with its
// unit, after a file's base preset and units are resolved. `hwq config list`: the presets.
import type { Argv, CommandModule } from 'yargs';
import { CONFIG_FIELDS, ConfigField, HwConfig, fieldValue } from '../../../hw/config.js';
import { getPreset, presetNames, readConfig } from '../../../hw/presets.js';
import { unitSymbol } from '../../../hw/units.js';
import { formatTable } from '../table.js';
import { UserError, unknownChoice } from '../../errors.js';

/** Up to 4 significant digits, no trailing zeros: 119.4, 0.03. */
function short(n: number): string {
  return String(Number(n.toPrecision(4)));
}

const SI = ['p', 'n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P'];

/** 1.194e11, 'bit/s' -> '119.4 Gbit/s'. */
function withSiPrefix(n: number, unit: string): string {
  const k = n === 0 ? 0 : Math.max(-4, Math.min(5, Math.floor(Math.log10(Math.abs(n)) / 3)));
  return `${short(n / 1000 ** k)} ${SI[k + 4]}${unit}`;
}

/** 65536 -> '64 KiB'; undefined below 1 KiB. */
function binaryBytes(n: number): string | undefined {
  const prefixes = ['Ki', 'Mi', 'Gi', 'Ti'];
  let k = -1;
  while (k + 1 < prefixes.length && n >= 1024 ** (k + 2)) k++;
  return k < 0 ? undefined : `${short(n / 1024 ** (k + 1))} ${prefixes[k]}B`;
}

/** The same value in the unit a person would say it in, when that differs from the base unit. */
function readable(f: ConfigField, v: number, cfg: HwConfig): string | undefined {
  const u = f.unit!;
  if (u.base === 'B') return binaryBytes(v);
  if (u.base === 'MHz') return v >= 1000 ? withSiPrefix(v * 1e6, 'Hz') : undefined;
  if (u.per === 'cycle' && v > 0) {
    const perSecond = v * cfg.clockMHz * 1e6;
    return `${u.base === 'bit' ? withSiPrefix(perSecond, 'bit/s') : withSiPrefix(perSecond * 1e-12, 'W')} at ${cfg.clockMHz} MHz`;
  }
  return undefined;
}

/** One line per field, `path  value unit (readable)`, with the base preset first when the config names one. */
export function configShowText(cfg: HwConfig, base?: string): string {
  const rows: Array<[string, string]> = base === undefined ? [] : [['base', base]];
  for (const f of CONFIG_FIELDS) {
    const given = fieldValue(cfg, f.path);
    // an optional field left out (the board model's) shows the value the models run with
    const v = given ?? f.default;
    if (v === undefined) continue;
    if (!f.unit || typeof v !== 'number') {
      rows.push([f.path, `${String(v)}${given === undefined ? ' (default)' : ''}`]);
      continue;
    }
    const extra = readable(f, v, cfg);
    rows.push([f.path, `${v} ${unitSymbol(f.unit)}${extra ? ` (${extra})` : ''}`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join('\n') + '\n';
}

export function configListText(): string {
  return formatTable([{ header: 'preset' }, { header: 'description' }], presetNames().map((n) => [n, getPreset(n)!.description]));
}

export const CONFIG_ACTIONS = ['show', 'list'] as const;

interface ConfigArgs {
  action: string;
  config?: string;
  json: boolean;
}

/** `show <config>` or `list`, checked here so a slip gets the house message rather than yargs' nested-command one. */
function checkAction(a: ConfigArgs): 'show' | 'list' {
  if (a.action === 'show') {
    if (a.config === undefined) throw new UserError(`config show needs a config: write 'hwq config show <${presetNames().join('|')}|file.json>'`);
    return 'show';
  }
  if (a.action === 'list') {
    if (a.config !== undefined) throw new UserError(`config list takes no config (got '${a.config}'): write 'hwq config show ${a.config}' to see one`);
    return 'list';
  }
  throw unknownChoice('config action', a.action, [...CONFIG_ACTIONS]);
}

export const command: CommandModule<{}, ConfigArgs> = {
  command: 'config <action> [config]',
  describe: 'Show a hardware config with its units (config show <preset|file.json>), or list the presets (config list)',
  builder: (y: Argv) =>
    y
      .positional('action', { type: 'string', demandOption: true, describe: `${CONFIG_ACTIONS.join(' or ')}` })
      .positional('config', { type: 'string', describe: `show: a preset (${presetNames().join(', ')}) or a .json config file` })
      .option('json', {
        type: 'boolean', default: false, describe: 'show: the resolved config (numbers in each field\'s base unit); list: [{name, description}]',
      })
      .example('hwq config show vc709', 'every field of the VC709 design with its unit')
      .example('hwq config show my.json --json', 'a config file with units and a base preset, resolved to plain numbers')
      .example('hwq config list', 'the presets') as unknown as Argv<ConfigArgs>,
  handler: (argv) => {
    if (checkAction(argv) === 'list') {
      const rows = presetNames().map((name) => ({ name, description: getPreset(name)!.description }));
      process.stdout.write(argv.json ? JSON.stringify(rows, null, 2) + '\n' : configListText());
      return;
    }
    const { config, base } = readConfig(argv.config!);
    process.stdout.write(argv.json ? JSON.stringify(config, null, 2) + '\n' : configShowText(config, base));
  },
};

export default command;
