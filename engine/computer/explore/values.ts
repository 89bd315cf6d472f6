/**
 * Values the explorer types into fields: generated to fit the field (type, length, pattern,
 * range), so forms move forward instead of stalling on validation.
 */
export interface FieldShape {
  type?: string;
  name?: string;
  placeholder?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  min?: string;
  max?: string;
}

const byType: Record<string, string> = {
  email: 'ada@example.com',
  url: 'https://example.com/',
  tel: '+15550100',
  number: '7',
  range: '5',
  date: '2026-01-15',
  time: '09:30',
  'datetime-local': '2026-01-15T09:30',
  month: '2026-01',
  week: '2026-W03',
  color: '#3366cc',
  password: 'Correct-Horse-9',
  search: 'report',
};

const byName: [RegExp, string][] = [
  [/e-?mail/i, 'ada@example.com'],
  [/phone|tel/i, '+15550100'],
  [/zip|postal/i, '94103'],
  [/year/i, '2026'],
  [/age|qty|quantity|count|amount|number/i, '3'],
  [/city/i, 'Lisbon'],
  [/name/i, 'Ada Lovelace'],
  [/search|query|command|filter/i, 'report'],
];

export function generateValue(field: FieldShape): string {
  const type = (field.type ?? 'text').toLowerCase();
  let value = byType[type];
  if (type === 'number' || type === 'range') {
    const min = field.min !== undefined && field.min !== '' ? Number(field.min) : undefined;
    const max = field.max !== undefined && field.max !== '' ? Number(field.max) : undefined;
    let number = 7;
    if (min !== undefined && Number.isFinite(min) && number < min) number = min;
    if (max !== undefined && Number.isFinite(max) && number > max) number = max;
    value = String(number);
  }
  if (value === undefined) {
    const hint = `${field.name ?? ''} ${field.placeholder ?? ''}`;
    value = byName.find(([pattern]) => pattern.test(hint))?.[1] ?? 'Sample text';
  }
  if (field.pattern) value = fromPattern(field.pattern) ?? value;
  if (field.minLength && value.length < field.minLength) value = value.padEnd(field.minLength, 'x');
  if (field.maxLength && field.maxLength > 0 && value.length > field.maxLength) value = value.slice(0, field.maxLength);
  return value;
}

/** A value for simple patterns (`[A-Z]{3}-\d{2}`, `\d{5}`, alternatives); undefined when unsure. */
export function fromPattern(pattern: string): string | undefined {
  const alternatives = pattern.split('|');
  if (alternatives.length > 1 && alternatives.every((part) => /^[\w -]+$/.test(part))) return alternatives[0];
  let out = '';
  const tokens = /(\\d|\\w|\[[^\]]+\]|[A-Za-z0-9 _@.-])(\{(\d+)(?:,(\d*))?\}|\+|\*|\?)?/g;
  let consumed = 0;
  for (const match of pattern.matchAll(tokens)) {
    if (match.index !== consumed) return undefined;
    consumed += match[0].length;
    const [, atom, quantifier, least] = match;
    const count = quantifier === undefined ? 1 : quantifier === '+' ? 1 : quantifier === '*' || quantifier === '?' ? 0 : Number(least);
    let char: string;
    if (atom === '\\d') char = '4';
    else if (atom === '\\w') char = 'a';
    else if (atom.startsWith('[')) char = firstOfClass(atom.slice(1, -1));
    else char = atom;
    out += char.repeat(count);
  }
  return consumed === pattern.length ? out : undefined;
}

function firstOfClass(body: string): string {
  const range = /^(.)-(.)/.exec(body);
  if (range) return range[1];
  if (body.startsWith('\\d')) return '4';
  return body[0] ?? 'a';
}

/** HTML constraint validation, enough for fields the fake app and tests use. */
export function fitsField(field: FieldShape, value: string): boolean {
  if (value === '') return !field.required;
  if (field.minLength && value.length < field.minLength) return false;
  if (field.maxLength && field.maxLength > 0 && value.length > field.maxLength) return false;
  if (field.pattern && !new RegExp(`^(?:${field.pattern})$`).test(value)) return false;
  const type = (field.type ?? 'text').toLowerCase();
  if (type === 'email' && !/^[^@\s]+@[^@\s]+$/.test(value)) return false;
  if (type === 'number') {
    const number = Number(value);
    if (!Number.isFinite(number)) return false;
    if (field.min !== undefined && field.min !== '' && number < Number(field.min)) return false;
    if (field.max !== undefined && field.max !== '' && number > Number(field.max)) return false;
  }
  return true;
}
