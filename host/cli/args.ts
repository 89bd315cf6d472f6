import { z } from 'zod';
import { commands, type CommandSpec } from '../../core/index.ts';

export type FieldKind = 'boolean' | 'number' | 'array' | 'string' | 'json';

export interface ParsedArgs {
  command?: CommandSpec;
  /** Words that did not name a command (for the usage message). */
  words: string[];
  input: Record<string, unknown>;
  json: boolean;
  help: boolean;
  timeoutMs?: number;
}

export class UsageError extends Error {}

/** Global flags every command takes. */
const globalFlags = new Set(['json', 'help', 'timeout']);

export function kebabToCamel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

export function camelToKebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** Peels optional/default/nullable wrappers to find what a field really holds. */
export function fieldKind(schema: z.ZodType): FieldKind {
  let current: z.ZodType = schema;
  for (let depth = 0; depth < 10; depth += 1) {
    const def = (current as unknown as { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } }).def;
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault' || def.type === 'readonly' || def.type === 'catch') {
      current = def.innerType as z.ZodType;
      continue;
    }
    if (def.type === 'pipe') {
      current = def.in as z.ZodType;
      continue;
    }
    if (def.type === 'boolean') return 'boolean';
    if (def.type === 'number' || def.type === 'int' || def.type === 'bigint') return 'number';
    if (def.type === 'array') return 'array';
    if (def.type === 'object' || def.type === 'record' || def.type === 'tuple' || def.type === 'union') return 'json';
    return 'string';
  }
  return 'string';
}

export function inputShape(spec: CommandSpec): Record<string, z.ZodType> {
  const shape = (spec.input as unknown as { shape?: Record<string, z.ZodType> }).shape;
  return shape ?? {};
}

function coerce(kind: FieldKind, raw: string): unknown {
  if (kind === 'number') {
    const value = Number(raw);
    return raw.trim() !== '' && Number.isFinite(value) ? value : raw; // leave bad text for zod to name
  }
  if (kind === 'json') {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

/**
 * Parses `skillframe <words…> [positionals] [--flags]` against the contract. The longest run of
 * leading words that names a command wins, so `robot arm scan` beats `robot`.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const result: ParsedArgs = { words: [], input: {}, json: false, help: false };
  let index = 0;
  const leading: string[] = [];
  while (index < argv.length && !argv[index].startsWith('-')) leading.push(argv[index++]);
  let used = 0;
  for (let count = leading.length; count > 0; count -= 1) {
    const name = leading.slice(0, count).join('.');
    if (Object.hasOwn(commands, name)) {
      result.command = (commands as Record<string, CommandSpec>)[name];
      used = count;
      break;
    }
  }
  result.words = leading.slice(0, used || leading.length);
  const rest = [...leading.slice(used), ...argv.slice(index)];
  const spec = result.command;
  const shape = spec ? inputShape(spec) : {};
  const positionals = [...(spec?.cli?.positionals ?? [])];

  for (let at = 0; at < rest.length; at += 1) {
    const token = rest[at];
    if (token === '--') {
      for (const word of rest.slice(at + 1)) assignPositional(word);
      break;
    }
    if (token === '-h') {
      result.help = true;
      continue;
    }
    if (!token.startsWith('--')) {
      if (!spec) continue;
      assignPositional(token);
      continue;
    }
    const eq = token.indexOf('=');
    const flag = token.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : token.slice(eq + 1);
    if (globalFlags.has(flag)) {
      if (flag === 'json') result.json = true;
      else if (flag === 'help') result.help = true;
      else {
        const value = inline ?? rest[++at];
        const timeout = Number(value);
        if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout: expected a positive number of ms, got ${JSON.stringify(value)}`);
        result.timeoutMs = timeout;
      }
      continue;
    }
    if (!spec) continue;
    const field = kebabToCamel(flag);
    const fieldSchema = Object.hasOwn(shape, field) ? shape[field] : undefined;
    if (!fieldSchema) throw new UsageError(`unknown flag --${flag} for ${spec.name.replaceAll('.', ' ')}`);
    const kind = fieldKind(fieldSchema);
    if (kind === 'boolean') {
      if (inline === undefined) result.input[field] = true;
      else if (inline === 'true' || inline === 'false') result.input[field] = inline === 'true';
      else result.input[field] = inline;
      continue;
    }
    const value = inline ?? rest[++at];
    if (value === undefined) throw new UsageError(`flag --${flag} needs a value`);
    if (kind === 'array') {
      const list = (result.input[field] as unknown[] | undefined) ?? [];
      list.push(coerce(elementKind(fieldSchema), value));
      result.input[field] = list;
    } else {
      result.input[field] = coerce(kind, value);
    }
  }
  return result;

  function assignPositional(word: string) {
    const field = positionals[0];
    if (field === undefined) throw new UsageError(`unexpected argument ${JSON.stringify(word)}`);
    const kind = fieldKind(shape[field]);
    if (kind === 'array') {
      const list = (result.input[field] as unknown[] | undefined) ?? [];
      list.push(coerce(elementKind(shape[field]), word));
      result.input[field] = list;
      return; // an array positional swallows the rest
    }
    positionals.shift();
    result.input[field] = coerce(kind, word);
  }
}

function elementKind(schema: z.ZodType): FieldKind {
  let current: z.ZodType = schema;
  for (let depth = 0; depth < 10; depth += 1) {
    const def = (current as unknown as { def: { type: string; innerType?: z.ZodType; element?: z.ZodType } }).def;
    if (def.type === 'array') return fieldKind(def.element as z.ZodType);
    if (!def.innerType) break;
    current = def.innerType;
  }
  return 'string';
}
