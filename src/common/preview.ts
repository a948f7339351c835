// Previews of a file's bytes: text, CSV (as a table), JSON (pretty), images.
import { formatBytes, h, table } from './dom';

const PREVIEW_BYTES = 512 * 1024;
const CSV_ROWS = 500;

/** Parse CSV (RFC 4180 quoting) into rows; stops after maxRows. */
export function parseCsv(text: string, maxRows = CSV_ROWS): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') {
        i++;
      }
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if ((field || row.length) && rows.length < maxRows) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function kindOf(path: string, contentType: string): 'image' | 'csv' | 'json' | 'text' | 'binary' {
  const lower = path.toLowerCase();
  if (contentType.startsWith('image/') || /\.(png|jpe?g|gif|svg|webp|bmp)$/.test(lower)) {
    return 'image';
  }
  if (lower.endsWith('.csv') || contentType === 'text/csv') {
    return 'csv';
  }
  if (lower.endsWith('.json') || contentType === 'application/json') {
    return 'json';
  }
  if (contentType.startsWith('text/') || /\.(txt|log|md|py|ya?ml|toml|cfg|ini|sh|r|ipynb|out|err)$/
    .test(lower) || !lower.includes('.')) {
    return 'text';
  }
  return 'binary';
}

/** Render a preview; object URLs created for images are passed to `track` for revoking. */
export async function renderPreview(
  path: string, contentType: string, blob: Blob, track: (url: string) => void
): Promise<HTMLElement> {
  const kind = kindOf(path, contentType);
  if (kind === 'image') {
    const url = URL.createObjectURL(blob);
    track(url);
    return h('img', { className: 'mlws-image', src: url, alt: path });
  }
  if (kind === 'binary') {
    return h('p', { className: 'mlws-muted' },
      `${path}: ${contentType || 'binary'} file of ${formatBytes(blob.size)}; download it to open.`);
  }
  const truncated = blob.size > PREVIEW_BYTES;
  const text = await blob.slice(0, PREVIEW_BYTES).text();
  const note = truncated
    ? h('p', { className: 'mlws-muted' },
      `Showing the first ${formatBytes(PREVIEW_BYTES)} of ${formatBytes(blob.size)}.`)
    : null;
  if (kind === 'csv') {
    const rows = parseCsv(text);
    if (rows.length) {
      return h('div', { className: 'mlws-preview-csv' }, note,
        h('div', { className: 'mlws-table-scroll' }, table(rows[0], rows.slice(1))));
    }
  }
  if (kind === 'json' && !truncated) {
    try {
      return h('pre', { className: 'mlws-pre' }, JSON.stringify(JSON.parse(text), null, 2));
    } catch {
      // Not valid JSON: fall through to plain text.
    }
  }
  return h('div', null, note, h('pre', { className: 'mlws-pre' }, text));
}
