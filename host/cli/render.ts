
/** Default human rendering: readable lines, nested values indented, long arrays summarised. */
export function renderHuman(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return `${indent}-`;
  if (typeof value !== 'object') return `${indent}${String(value)}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}(none)`;
    const shown = value.slice(0, 50).map((item) => {
      if (item && typeof item === 'object' && !Array.isArray(item)) {
        return `${indent}- ${Object.entries(item as Record<string, unknown>).map(([key, field]) => `${key}=${inline(field)}`).join('  ')}`;
      }
      return `${indent}- ${inline(item)}`;
    });
    if (value.length > 50) shown.push(`${indent}… ${value.length - 50} more`);
    return shown.join('\n');
  }
  return Object.entries(value as Record<string, unknown>)
    .map(([key, field]) => {
      if (field && typeof field === 'object') return `${indent}${key}:\n${renderHuman(field, `${indent}  `)}`;
      return `${indent}${key}: ${inline(field)}`;
    })
    .join('\n');
}

function inline(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'object') {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 120)}…` : text;
  }
  return String(value);
}
