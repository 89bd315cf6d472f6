import { SkillframeError } from '../../../core/errors.ts';

/**
 * Redaction of stored text. Patterns run over every string a recorder stores (typed text, field
 * values, element names, window titles, URLs, aria snapshots); matches become a tag like
 * "[email]". Images are not OCR'd here: password fields are blurred by region instead.
 */

export interface RedactionPattern {
  name: string;
  pattern: RegExp;
  replacement: string;
  /** Extra check on a match (e.g. Luhn for card numbers), to avoid redacting ordinary numbers. */
  accept?: (match: string) => boolean;
}

export const builtInPatterns: Record<string, RedactionPattern> = {
  email: { name: 'email', pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, replacement: '[email]' },
  api_key: {
    name: 'api_key',
    pattern:
      /\b(?:sk|pk|rk)-(?:[a-z]+-)?[A-Za-z0-9_-]{16,}|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{30,}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}\b|\bAIza[0-9A-Za-z_-]{35}\b|\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g,
    replacement: '[api-key]',
  },
  card: { name: 'card', pattern: /\b\d(?:[ -]?\d){12,18}\b/g, replacement: '[card]', accept: (match) => luhn(match.replace(/\D/g, '')) },
};

export const defaultRedactions = ['email', 'api_key', 'card'] as const;

function luhn(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Reads `--redact` values: a built-in name ("email", "api_key", "card"), "none", or a custom
 * pattern written `name=/regex/flags` or `/regex/flags`.
 */
export function parseRedactions(specs: readonly string[] | undefined): RedactionPattern[] {
  const list = specs === undefined || specs.length === 0 ? [...defaultRedactions] : specs;
  if (list.length === 1 && list[0] === 'none') return [];
  const patterns: RedactionPattern[] = [];
  for (const [index, spec] of list.entries()) {
    const builtIn = builtInPatterns[spec];
    if (builtIn) {
      patterns.push(builtIn);
      continue;
    }
    const match = /^(?:([\w-]{1,40})=)?\/(.+)\/([a-z]*)$/s.exec(spec);
    if (!match) throw new SkillframeError('bad_input', `input.redact[${index}]: ${JSON.stringify(spec)} is not a built-in (${Object.keys(builtInPatterns).join(', ')}, none) or a /regex/flags pattern`);
    let pattern: RegExp;
    try {
      pattern = new RegExp(match[2], match[3].includes('g') ? match[3] : `${match[3]}g`);
    } catch (error) {
      throw new SkillframeError('bad_input', `input.redact[${index}]: ${JSON.stringify(spec)} is not a valid regular expression (${(error as Error).message})`);
    }
    if (pattern.test('')) throw new SkillframeError('bad_input', `input.redact[${index}]: ${JSON.stringify(spec)} matches the empty string`);
    const name = match[1] ?? `custom${index}`;
    patterns.push({ name, pattern, replacement: `[${name}]` });
  }
  return patterns;
}

export function redactText(text: string, patterns: readonly RedactionPattern[]): { text: string; fired: string[] } {
  const fired: string[] = [];
  let out = text;
  for (const item of patterns) {
    item.pattern.lastIndex = 0;
    out = out.replace(item.pattern, (found) => {
      if (item.accept && !item.accept(found)) return found;
      if (!fired.includes(item.name)) fired.push(item.name);
      return item.replacement;
    });
  }
  return { text: out, fired };
}

/** Fields that are vocabulary, not content: never redacted. */
const structuralKeys = new Set(['kind', 'button', 'source', 'strategy', 'role', 'tag', 'inputType', 'frames', 'key', 'redactions']);

/**
 * Redacts every string inside an event-like object and removes every known secret (e.g. the
 * current values of password fields) wherever it appears. Returns a new object.
 */
export function redactDeep<T>(value: T, patterns: readonly RedactionPattern[], secrets: readonly string[] = []): { value: T; fired: string[] } {
  const fired = new Set<string>();
  const usable = secrets.filter((secret) => secret.length >= 1).sort((a, b) => b.length - a.length);
  const visit = (node: unknown, key?: string): unknown => {
    if (typeof node === 'string') {
      if (key !== undefined && structuralKeys.has(key)) return node;
      let text = node;
      for (const secret of usable) {
        if (text.includes(secret)) {
          text = text.split(secret).join('••••');
          fired.add('password');
        }
      }
      const result = redactText(text, patterns);
      for (const name of result.fired) fired.add(name);
      return result.text;
    }
    if (Array.isArray(node)) return node.map((item) => visit(item));
    if (node && typeof node === 'object') {
      if (key !== undefined && structuralKeys.has(key)) return node;
      return Object.fromEntries(Object.entries(node).map(([name, item]) => [name, visit(item, name)]));
    }
    return node;
  };
  return { value: visit(value) as T, fired: [...fired] };
}
