// The runs table's columns and saved view: which run values show (run_columns names), their
// widths and order, how the table is sorted and filtered; kept per experiment in localStorage.
import { columnLabel } from '../common/analysis/dimensions';
import { clear, formatDuration, formatTime, formatValue, h, statusBadge } from '../common/dom';
import { csvRow } from '../common/csv';
import type { RunSetSource } from '../common/source';
import type { RunKeys, RunValues } from '../common/types';
import type { RunSearch } from '../rest/api';
import type { Studio } from './studio';

export interface ColumnState {
  key: string;
  width: number;
}

export interface TableView {
  columns: ColumnState[];
  orderBy: string;
  descending: boolean;
  text: string;
  status: string;
  filter: string;
  includeChildren: boolean;
  analysis: boolean;
}

/** One row of the runs table: a run's values, from a page (or the brushed set). */
export interface Row {
  id: string;
  get(key: string): unknown;
}

export function rowOf(values: RunValues, i: number): Row {
  return { id: values.ids[i], get: key => values.columns[key]?.[i] };
}

/** Rows as CSV: the run id, then the columns (times as ISO). */
export function runsCsv(rows: Row[], keys: string[]): string {
  const lines = [csvRow(['run_id', ...keys]),
    ...rows.map(r => csvRow([r.id, ...keys.map(k => csvValue(k, r.get(k)))]))];
  return lines.join('\n') + '\n';
}

/** The runs a table's query matches, for its analysis panel. The table's own columns come
 * along (`keep` holds the answer), so brushed rows can show them without another read. */
export function runsSetSource(studio: Studio, ws: string, query: () => RunSearch,
  columns: () => string[], keep: (values: RunValues) => void): RunSetSource {
  return {
    values: async wanted => {
      const values = await studio.api.runValues(ws, { ...query(), limit: ALL_RUNS },
        [...new Set([...wanted, ...columns()])]);
      keep(values);
      return values;
    },
    series: (ids, names, maxPoints) => studio.api.queryMetrics(ws, ids, names, maxPoints),
    openRun: id => studio.openRun(ws, id)
  };
}

/** The most runs one read of a table's query returns (the run-values route's limit). */
export const ALL_RUNS = 100_000;

export const DEFAULT_COLUMNS: ColumnState[] = [
  { key: 'attributes.status', width: 120 }, { key: 'attributes.display_name', width: 220 },
  { key: 'attributes.number', width: 64 }, { key: 'attributes.start_time', width: 160 },
  { key: 'attributes.duration', width: 90 }, { key: 'attributes.user', width: 100 },
  { key: 'attributes.compute', width: 90 }
];
/** Run attributes a user can add (the rest of run_columns' attributes are ids and times). */
export const ATTRIBUTE_COLUMNS = ['status', 'display_name', 'number', 'created_time',
  'start_time', 'end_time', 'duration', 'user', 'compute', 'run_type', 'experiment', 'id',
  'parent_run_id'];
const MIN_WIDTH = 48;
const DEFAULT_WIDTH = 110;
const VIEW_VERSION = 1;

export function defaultView(): TableView {
  return { columns: DEFAULT_COLUMNS.map(c => ({ ...c })), orderBy: 'created_time',
    descending: true, text: '', status: '', filter: '', includeChildren: false, analysis: false };
}

function storageKey(ws: string, experiment: string): string {
  return `mlws:runs-view:${VIEW_VERSION}:${ws}:${experiment}`;
}

/** The experiment's saved view, or the default one (a damaged entry is ignored). */
export function loadView(ws: string, experiment: string): TableView {
  try {
    const raw = localStorage.getItem(storageKey(ws, experiment));
    if (raw) {
      const saved = JSON.parse(raw) as Partial<TableView>;
      const base = defaultView();
      const columns = Array.isArray(saved.columns) ? saved.columns.filter(c =>
        c && typeof c.key === 'string' && typeof c.width === 'number') : base.columns;
      return { ...base, ...saved, columns };
    }
  } catch {
    // Unreadable: start from the default.
  }
  return defaultView();
}

export function saveView(ws: string, experiment: string, view: TableView): void {
  try {
    localStorage.setItem(storageKey(ws, experiment), JSON.stringify(view));
  } catch {
    // Storage full or disabled: the view lasts until the table closes.
  }
}

export function newColumn(key: string): ColumnState {
  return { key, width: key === 'attributes.display_name' ? 220 : DEFAULT_WIDTH };
}

/** The CSS grid columns of a row: the selection box, then each column's width. */
export function columnsTemplate(columns: ColumnState[]): string {
  return ['32px', ...columns.map(c => `${c.width}px`)].join(' ');
}

export function clampWidth(width: number): number {
  return Math.max(MIN_WIDTH, Math.min(800, Math.round(width)));
}

/** The server's order_by for a column, or null when it cannot sort by it. */
export function orderKeyOf(key: string): string | null {
  const dot = key.indexOf('.');
  const ns = key.slice(0, dot);
  const name = key.slice(dot + 1);
  switch (ns) {
    case 'metrics':
      return `metric:${name}`;
    case 'tags':
      return `tag:${name}`;
    case 'properties':
      return `property:${name}`;
    case 'attributes':
      return ({ status: 'status', display_name: 'display_name', number: 'number',
        created_time: 'created_time', start_time: 'start_time', end_time: 'end_time',
        run_type: 'run_type', compute: 'target' } as Record<string, string>)[name] ?? null;
    default:
      return null;
  }
}

export function headerLabel(key: string): string {
  return key === 'attributes.number' ? '#' : columnLabel(key);
}

/** A cell of a column: times, durations and statuses as the rest of the studio shows them. */
export function cell(key: string, value: unknown, parent?: unknown): string | Node {
  switch (key) {
    case 'attributes.status':
      return value ? statusBadge(String(value)) : '';
    case 'attributes.created_time':
    case 'attributes.start_time':
    case 'attributes.end_time':
      return formatTime(value as number | null);
    case 'attributes.duration':
      return formatDuration(value as number | null);
    case 'attributes.display_name':
      return parent ? h('span', { className: 'mlws-child-name' },
        h('span', { className: 'mlws-muted', 'aria-hidden': 'true' }, '↳ '), String(value ?? ''))
        : String(value ?? '');
    default:
      return formatValue(value);
  }
}

/** Text of a cell for CSV (times as ISO, so spreadsheets read them). */
export function csvValue(key: string, value: unknown): unknown {
  if (typeof value === 'number' && /\.(created_time|start_time|end_time)$/.test(key)) {
    return new Date(value * 1000).toISOString();
  }
  return value;
}

/** The chooser: every value the runs have, grouped, with a search box (no names to type). */
export class ColumnChooser {
  readonly node = h('div', { className: 'mlws-column-chooser', role: 'dialog',
    'aria-label': 'Columns' });
  private search = h('input', { className: 'mlws-input', type: 'search',
    placeholder: 'Find a column', 'aria-label': 'Find a column' });
  private list = h('div', { className: 'mlws-column-groups' });
  private keys: RunKeys | null = null;

  constructor(private shown: () => string[], private toggle: (key: string, on: boolean) => void) {
    this.search.addEventListener('input', () => this.render());
    this.node.append(this.search, this.list);
    this.node.hidden = true;
  }

  setKeys(keys: RunKeys): void {
    this.keys = keys;
    this.render();
  }

  render(): void {
    clear(this.list);
    const term = this.search.value.trim().toLowerCase();
    const shown = new Set(this.shown());
    const keys = this.keys;
    const groups: [string, string[], (k: string) => string][] = [
      ['Run', ATTRIBUTE_COLUMNS.map(a => `attributes.${a}`), k => headerLabel(k)],
      ['Parameters', (keys?.parameters ?? []).map(k => `parameters.${k.name}`), k => k.slice(11)],
      ['Metrics', (keys?.metrics ?? []).filter(m => m.kind !== 'image').map(m =>
        `metrics.${m.name}`), k => k.slice(8)],
      ['Tags', (keys?.tags ?? []).map(k => `tags.${k.name}`), k => k.slice(5)],
      ['Properties', (keys?.properties ?? []).map(k => `properties.${k.name}`), k => k.slice(11)]
    ];
    if (!keys) {
      this.list.append(h('p', { className: 'mlws-muted' }, 'Reading the runs\' names…'));
    }
    for (const [title, items, name] of groups) {
      const matching = [...new Set(items)].filter(k => !term || k.toLowerCase().includes(term));
      if (!matching.length) {
        continue;
      }
      const group = h('fieldset', { className: 'mlws-column-group', 'data-group': title },
        h('legend', null, `${title} (${matching.length})`));
      for (const key of matching) {
        const box = h('input', { type: 'checkbox', 'data-column': key,
          onchange: () => this.toggle(key, box.checked) });
        box.checked = shown.has(key);
        group.append(h('label', { className: 'mlws-column-item', title: key }, box, ' ',
          name(key)));
      }
      this.list.append(group);
    }
  }
}
