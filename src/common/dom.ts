// Small DOM helpers: the shared views are plain DOM so the same code runs in JupyterLab and
// in the anywidget bundle (no framework to keep in lockstep with the host page).

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Attrs | null = null, ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) {
        continue;
      }
      if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (key === 'className') {
        el.className = String(value);
      } else if (value === true) {
        el.setAttribute(key, '');
      } else {
        el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el: HTMLElement, children: (Child | Child[])[]): void {
  for (const child of children) {
    if (Array.isArray(child)) {
      append(el, child);
    } else if (child instanceof Node) {
      el.appendChild(child);
    } else if (child !== null && child !== undefined && child !== false) {
      el.appendChild(document.createTextNode(String(child)));
    }
  }
}

export function clear(el: HTMLElement): void {
  while (el.firstChild) {
    el.removeChild(el.firstChild);
  }
}

export function formatTime(epochSeconds: number | null | undefined): string {
  if (epochSeconds === null || epochSeconds === undefined) {
    return '';
  }
  return new Date(epochSeconds * 1000).toLocaleString();
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds) || seconds < 0) {
    return '';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  const s = Math.floor(seconds % 60);
  const m = Math.floor((seconds / 60) % 60);
  const hours = Math.floor(seconds / 3600);
  if (hours > 0) {
    return `${hours}h ${m}m ${s}s`;
  }
  return m > 0 ? `${m}m ${s}s` : `${(seconds % 60).toFixed(1)}s`;
}

/** Duration of a run: until now while it is active. */
export function runDuration(run: {
  start_time?: number | null; end_time?: number | null;
}): number | null {
  if (!run.start_time) {
    return null;
  }
  return (run.end_time ?? Date.now() / 1000) - run.start_time;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, '');
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/** A status badge: an icon-like dot with the status name; colour via CSS by status. */
export function statusBadge(status: string): HTMLElement {
  return h('span', { className: `mlws-status mlws-status-${status}`, title: status },
    h('span', { className: 'mlws-status-dot', 'aria-hidden': 'true' }), status);
}

/** A plain table from column names and rows of cells (strings or nodes). */
export function table(
  columns: string[], rows: (string | Node)[][], className = 'mlws-table'
): HTMLTableElement {
  return h('table', { className },
    h('thead', null, h('tr', null, columns.map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', null, rows.map(r => h('tr', null, r.map(cell => h('td', null, cell))))));
}

export function emptyState(message: string, hint?: string): HTMLElement {
  return h('div', { className: 'mlws-empty' }, h('p', null, message),
    hint ? h('p', { className: 'mlws-empty-hint' }, hint) : null);
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}

/** Read a blob as text, decoding UTF-8. */
export async function blobText(blob: Blob): Promise<string> {
  return blob.text();
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** A CSS custom property of the element's theme (JupyterLab's --jp-*), else `fallback`. */
export function cssVar(el: HTMLElement, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}
