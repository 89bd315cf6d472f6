import { SkillframeError } from './errors.ts';

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
  /** Applies only to what the person typed (`text`, `value`), not to names, titles or URLs. */
  typedOnly?: boolean;
}

/** Fields that hold what the person typed. */
const typedKeys = new Set(['text', 'value']);

/** Character classes a password mixes; word punctuation (. - _) does not count as a symbol. */
/**
 * How often a text switches between lower case, upper case, digits and symbols, not counting a
 * capital that starts a word ("Report"): "Q3Report" switches 2 times, "Tr0ub4dor" 4, "aB3dE5gH" 7.
 */
function classSwitches(text: string): number {
  const kind = (char: string) => (/[a-z]/.test(char) ? 'lower' : /[A-Z]/.test(char) ? 'upper' : /[0-9]/.test(char) ? 'digit' : 'symbol');
  let switches = 0;
  for (let index = 1; index < text.length; index += 1) {
    const [previous, current] = [kind(text[index - 1]), kind(text[index])];
    if (previous !== current && !(previous === 'upper' && current === 'lower')) switches += 1;
  }
  return switches;
}

function characterClasses(text: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9._-]/].filter((pattern) => pattern.test(text)).length;
}

export const builtInPatterns: Record<string, RedactionPattern> = {
  email: { name: 'email', pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, replacement: '[email]' },
  /** A PEM private key block, whole (it spans lines). */
  private_key: { name: 'private_key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g, replacement: '[private-key]' },
  api_key: {
    name: 'api_key',
    pattern: new RegExp(
      [
        '\\b(?:sk|pk|rk)-(?:[a-z]+-)?[A-Za-z0-9_-]{16,}', // OpenAI and look-alikes
        '\\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}', // Stripe secret / publishable / restricted
        '\\bwhsec_[A-Za-z0-9]{16,}', // Stripe webhook secret
        '\\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\\b', // AWS access key ids
        '(?<=aws_secret_access_key["\'\\s:=]{1,5})[A-Za-z0-9/+=]{40}', // AWS secret next to its name
        '\\bgh[pousr]_[A-Za-z0-9]{30,}\\b', // GitHub tokens
        '\\bgithub_pat_[A-Za-z0-9_]{30,}\\b',
        '\\bgl(?:pat|dt|rt|ptt|ft|imt|agent|oas|cbt|soat|ffct)-[A-Za-z0-9_-]{20,}', // GitLab tokens
        '\\bxox[abprse]-[A-Za-z0-9-]{10,}', // Slack tokens
        '\\bxapp-\\d-[A-Za-z0-9-]{10,}', // Slack app tokens
        'https:\\/\\/hooks\\.slack\\.com\\/services\\/[A-Za-z0-9/]+', // Slack webhooks
        '\\bAIza[0-9A-Za-z_-]{35}', // Google API keys
        '\\bnpm_[A-Za-z0-9]{36}\\b', // npm tokens
        '\\beyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}', // JWT
      ].join('|'),
      'g',
    ),
    replacement: '[api-key]',
  },
  card: { name: 'card', pattern: /\b\d(?:[ -]?\d){12,18}\b/g, replacement: '[card]', accept: (match) => luhn(match.replace(/\D/g, '')) },
  /**
   * A password typed with no hint around it (no password field, no telling window title): one
   * unbroken run of 8–64 characters that mixes at least three of lower case, upper case, digits
   * and symbols, and is not a URL, a path, an address or a file name (name.ext, as typed into a
   * Save As dialog: a secret parameter there would stop every replay of an ordinary save). Without
   * a symbol it must also look made up rather than written: words, capitalised or with a number
   * before or after ("Q3Report", "Invoice2026", "MyDocument2"), are ordinary text.
   */
  password_like: {
    name: 'password_like',
    pattern: /(?<![^\s"'(\[{<,;])[^\s"'()[\]{}<>,;]{8,64}(?![^\s"')\]}>,;.!?:])/g,
    replacement: '[secret]',
    typedOnly: true,
    accept: (match) =>
      characterClasses(match) >= 3 &&
      (/[^A-Za-z0-9._-]/.test(match) || classSwitches(match) >= 4) &&
      !/^(?:[a-z][a-z0-9+.-]*:\/\/|www\.|[~./\\]|[A-Za-z]:\\)/i.test(match) &&
      !/^[\w.-]+(?:[/\\][\w.-]+)+[/\\]?$/.test(match) &&
      // An address or a handle (the email pattern's business), not a password with an "@" in it.
      !/^@|@[\w-]+\.[A-Za-z]/.test(match) &&
      !/^[[{].*[\]}]$/.test(match) &&
      !/^\{\{[a-z0-9_]+\}\}$/.test(match) &&
      !/^[\w-]+(?:\.[A-Za-z0-9]{1,5})+$/.test(match),
  },
};

export const defaultRedactions = ['email', 'private_key', 'api_key', 'card', 'password_like'] as const;

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

export function redactText(text: string, patterns: readonly RedactionPattern[], typed = true): { text: string; fired: string[] } {
  const fired: string[] = [];
  let out = text;
  for (const item of patterns) {
    if (item.typedOnly && !typed) continue;
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
      const result = redactText(text, patterns, key !== undefined && typedKeys.has(key));
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
