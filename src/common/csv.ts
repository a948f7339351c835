// CSV text (RFC 4180): one writer for every export of the studio and the widget.

/** One field: quoted when it holds a comma, quote or line break; null/undefined are empty. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(values: unknown[]): string {
  return values.map(csvField).join(',');
}
