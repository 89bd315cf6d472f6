// Prints the CLI reference (markdown) from the contract, for the README:
//   node --import tsx scripts/cli-reference.ts
import { commands, type CommandSpec } from '../core/index.ts';
import { camelToKebab, fieldKind, inputShape } from '../host/cli/args.ts';
import { hostCommands } from '../host/cli/host-commands.ts';

export function cliReference(): string {
  const rows: string[] = ['| command | what it does |', '|---|---|'];
  const specs = (Object.values(commands) as CommandSpec[]).filter((spec) => !spec.cli?.hidden);
  const entries = [
    ...Object.entries(hostCommands).filter(([, host]) => !host.hidden).map(([name, host]) => ({ name, usage: `skillframe ${host.synopsis ?? name}`, summary: host.summary })),
    ...specs.map((spec) => {
      const positionals = spec.cli?.positionals ?? [];
      const shape = inputShape(spec);
      const flags = Object.entries(shape)
        .filter(([name]) => !positionals.includes(name))
        .map(([name, schema]) => {
          const optional = schema.safeParse(undefined).success;
          const flag = `--${camelToKebab(name)}${fieldKind(schema) === 'boolean' ? '' : ` ${name.toUpperCase()}`}`;
          return optional ? `[${flag}]` : flag;
        });
      const words = [spec.name.replaceAll('.', ' '), ...positionals.map((name) => name.toUpperCase()), ...flags];
      return { name: spec.name, usage: `skillframe ${words.join(' ')}`, summary: spec.summary };
    }),
  ].sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) rows.push(`| \`${entry.usage.replaceAll('|', '\\|')}\` | ${entry.summary.replaceAll('|', '\\|')} |`);
  return rows.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(cliReference());
