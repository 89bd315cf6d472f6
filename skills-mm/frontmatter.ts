import { SkillframeError } from '../core/index.ts';

/**
 * SKILL.md = YAML frontmatter between `---` lines, then a Markdown body. Packages are untrusted,
 * so this reads a deliberately small YAML subset (scalars, one level of nested maps, `|`/`>`
 * block scalars) and refuses the rest — anchors, aliases, tags and flow collections are how YAML
 * parsers get tricked, and Agent Skills frontmatter never needs them.
 */

export type FrontmatterValue = string | { [key: string]: FrontmatterValue };
export interface SkillDocument {
  frontmatter: Record<string, FrontmatterValue>;
  body: string;
}

const maxFrontmatterBytes = 16_384;

export function parseSkillMarkdown(source: string, file = 'SKILL.md'): SkillDocument {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  if (!text.startsWith('---\n')) throw new SkillframeError('bad_input', `${file}: must start with a --- frontmatter line`);
  const end = text.indexOf('\n---', 3);
  if (end === -1) throw new SkillframeError('bad_input', `${file}: frontmatter has no closing --- line`);
  const block = text.slice(4, end + 1);
  if (block.length > maxFrontmatterBytes) throw new SkillframeError('bad_input', `${file}: frontmatter is ${block.length} bytes, more than ${maxFrontmatterBytes}`);
  const afterFence = text.indexOf('\n', end + 4);
  const body = afterFence === -1 ? '' : text.slice(afterFence + 1);
  return { frontmatter: parseYamlSubset(block, file), body };
}

interface Line {
  indent: number;
  content: string;
  number: number;
}

export function parseYamlSubset(block: string, file = 'SKILL.md'): Record<string, FrontmatterValue> {
  const lines: Line[] = [];
  block.split('\n').forEach((raw, index) => {
    if (raw.includes('\t')) throw new SkillframeError('bad_input', `${file}: frontmatter line ${index + 2} uses a tab for indentation`);
    lines.push({ indent: raw.length - raw.trimStart().length, content: raw.trim(), number: index + 2 });
  });
  let at = 0;
  const fail = (line: Line, why: string): never => {
    throw new SkillframeError('bad_input', `${file}: frontmatter line ${line.number}: ${why} (${JSON.stringify(line.content.slice(0, 60))})`);
  };

  const readMap = (indent: number, depth: number): Record<string, FrontmatterValue> => {
    const map: Record<string, FrontmatterValue> = Object.create(null);
    while (at < lines.length) {
      const line = lines[at];
      if (line.content === '' || line.content.startsWith('#')) {
        at += 1;
        continue;
      }
      if (line.indent < indent) break;
      if (line.indent > indent) fail(line, 'unexpected indentation');
      const match = /^([A-Za-z_][A-Za-z0-9_-]{0,63}):(?:\s+(.*))?$|^([A-Za-z_][A-Za-z0-9_-]{0,63}):$/.exec(line.content);
      if (!match) fail(line, 'expected `key: value`');
      const key = (match![1] ?? match![3]) as string;
      if (Object.hasOwn(map, key)) fail(line, `duplicate key ${key}`);
      const rest = (match![2] ?? '').trim();
      at += 1;
      if (rest === '') {
        if (depth >= 2) fail(line, 'nesting deeper than two levels');
        const next = lines.slice(at).find((candidate) => candidate.content !== '' && !candidate.content.startsWith('#'));
        map[key] = next && next.indent > indent ? readMap(next.indent, depth + 1) : '';
        continue;
      }
      if (rest === '|' || rest === '>' || rest === '|-' || rest === '>-') {
        map[key] = readBlock(indent, rest);
        continue;
      }
      map[key] = scalar(rest, line);
    }
    return { ...map };
  };

  const readBlock = (indent: number, style: string): string => {
    const collected: string[] = [];
    let blockIndent = -1;
    while (at < lines.length) {
      const line = lines[at];
      if (line.content !== '' && line.indent <= indent) break;
      if (line.content !== '' && blockIndent === -1) blockIndent = line.indent;
      collected.push(line.content === '' ? '' : ' '.repeat(Math.max(0, line.indent - blockIndent)) + line.content);
      at += 1;
    }
    while (collected.length && collected[collected.length - 1] === '') collected.pop();
    const joined = style.startsWith('|') ? collected.join('\n') : collected.join(' ').replace(/ {2,}/g, ' ');
    return style.endsWith('-') ? joined : `${joined}\n`.replace(/\n$/, style.startsWith('|') ? '\n' : '');
  };

  const scalar = (raw: string, line: Line): string => {
    const first = raw[0];
    if (first === '"') {
      if (!raw.endsWith('"') || raw.length < 2) fail(line, 'unterminated double-quoted string');
      try {
        const value = JSON.parse(raw);
        if (typeof value !== 'string') fail(line, 'bad double-quoted string');
        return value as string;
      } catch {
        return fail(line, 'bad escape in double-quoted string');
      }
    }
    if (first === "'") {
      if (!raw.endsWith("'") || raw.length < 2) fail(line, 'unterminated single-quoted string');
      const inner = raw.slice(1, -1);
      if (/(^|[^'])'($|[^'])/.test(inner.replace(/''/g, ''))) fail(line, 'stray quote in single-quoted string');
      return inner.replace(/''/g, "'");
    }
    if ('&*!|>[]{}%@`'.includes(first)) fail(line, `unsupported YAML (${first}): anchors, aliases, tags and flow collections are not accepted`);
    const commentAt = raw.search(/\s#/);
    const value = (commentAt === -1 ? raw : raw.slice(0, commentAt)).trim();
    if (/:\s/.test(value)) fail(line, 'plain value contains ": "; quote it');
    return value;
  };

  const result = readMap(0, 1);
  if (at < lines.length) fail(lines[at], 'could not parse');
  return result;
}

/** Writes frontmatter that both our parser and any YAML parser read back to the same values. */
export function renderSkillMarkdown(frontmatter: Record<string, FrontmatterValue>, body: string): string {
  const lines = ['---'];
  const write = (map: Record<string, FrontmatterValue>, indent: string) => {
    for (const [key, value] of Object.entries(map)) {
      if (value === undefined) continue;
      if (typeof value === 'string') lines.push(`${indent}${key}: ${quote(value)}`);
      else {
        lines.push(`${indent}${key}:`);
        write(value, `${indent}  `);
      }
    }
  };
  write(frontmatter, '');
  lines.push('---', '');
  return `${lines.join('\n')}${body.endsWith('\n') ? body : `${body}\n`}`;
}

function quote(value: string): string {
  // Plain when unambiguous (friendlier to read); JSON-quoted otherwise (JSON strings are YAML).
  if (/^[A-Za-z0-9][A-Za-z0-9 ._/()+,-]*$/.test(value) && !/^(?:true|false|yes|no|null|on|off|~)$/i.test(value) && !/^[\d.]+$/.test(value) && !value.endsWith(' ')) return value;
  return JSON.stringify(value);
}
