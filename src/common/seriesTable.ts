// A metric series as a table, a page at a time (seq windows, so a 1M-point series never loads
// whole into the page), with a CSV download of the whole series read page by page.
import { csvRow } from './csv';
import { clear, errorMessage, formatValue, h, saveBlob, table } from './dom';
import type { RunDataSource } from './source';
import type { MetricScalar, MetricSeries } from './types';

export const PAGE_ROWS = 1000;
/** Pages read per request of the CSV export (the REST route caps a read at 100k points). */
const CSV_CHUNK = 50_000;

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Rows of one page of a series: table metrics come as columns, rows (log_row) as dicts. */
export function seriesRows(series: MetricSeries): { columns: string[]; rows: string[][] } {
  if (series.columns) {
    const names = Object.keys(series.columns);
    const n = names.length ? series.columns[names[0]].length : 0;
    const rows: string[][] = [];
    for (let i = 0; i < n; i++) {
      rows.push(names.map(c => formatValue(series.columns![c][i])));
    }
    return { columns: names, rows };
  }
  const values = series.value ?? [];
  const keys = new Set<string>();
  for (const v of values) {
    if (v && typeof v === 'object') {
      Object.keys(v).forEach(k => keys.add(k));
    }
  }
  if (keys.size) {
    const cols = [...keys];
    return { columns: cols, rows: values.map(v =>
      cols.map(k => formatValue((v as Record<string, MetricScalar>)?.[k]))) };
  }
  const hasStep = series.step.some(s => s !== null && s !== undefined);
  return {
    columns: hasStep ? ['step', 'value'] : ['#', 'value'],
    rows: values.map((v, i) => {
      const step = series.step[i];
      return [step === null || step === undefined ? String(series.seq[i] - 1) : String(step),
        formatValue(v)];
    })
  };
}

/** The series as CSV text: step,time,value (or the row/table columns). */
export function seriesCsv(series: MetricSeries[]): string {
  const lines: string[] = [];
  for (const page of series) {
    if (page.columns) {
      const names = Object.keys(page.columns);
      if (!lines.length) {
        lines.push(csvRow(names));
      }
      const n = names.length ? page.columns[names[0]].length : 0;
      for (let i = 0; i < n; i++) {
        lines.push(csvRow(names.map(c => page.columns![c][i])));
      }
      continue;
    }
    if (!lines.length) {
      lines.push(csvRow(['step', 'time', 'value']));
    }
    (page.value ?? []).forEach((v, i) => lines.push(csvRow([page.step[i], page.time[i], v])));
  }
  return lines.join('\n') + '\n';
}

/** Every point of a series, read in windows of CSV_CHUNK. */
export async function readWholeSeries(source: RunDataSource, name: string):
Promise<MetricSeries[]> {
  const pages: MetricSeries[] = [];
  let since = 0;
  for (;;) {
    const page = await source.getSeries(name, since, undefined, since + CSV_CHUNK);
    pages.push(page);
    if (!page.seq.length || page.seq[page.seq.length - 1] >= page.total) {
      return pages;
    }
    since = page.seq[page.seq.length - 1];
  }
}

export async function downloadSeriesCsv(source: RunDataSource, name: string): Promise<void> {
  const pages = await readWholeSeries(source, name);
  saveBlob(new Blob([seriesCsv(pages)], { type: 'text/csv' }),
    `${name.replace(/[^\w.-]+/g, '_')}.csv`);
}

export class SeriesTable {
  readonly node = h('div', { className: 'mlws-series-table' });
  private pager = h('div', { className: 'mlws-series-pager mlws-toolbar' });
  private body = h('div', { className: 'mlws-table-scroll' });
  private page = 0;
  private total = 0;

  constructor(private source: RunDataSource, private name: string) {
    this.node.append(this.pager, this.body);
  }

  async show(page = this.page): Promise<void> {
    let series: MetricSeries;
    try {
      series = await this.source.getSeries(this.name, page * PAGE_ROWS, undefined,
        (page + 1) * PAGE_ROWS);
    } catch (err) {
      clear(this.body);
      this.body.append(h('p', { className: 'mlws-error' }, errorMessage(err)));
      return;
    }
    this.page = page;
    this.total = series.total;
    const { columns, rows } = seriesRows(series);
    clear(this.body);
    this.body.append(table(columns, rows));
    this.renderPager();
  }

  private renderPager(): void {
    clear(this.pager);
    const pages = Math.max(1, Math.ceil(this.total / PAGE_ROWS));
    const first = this.total ? this.page * PAGE_ROWS + 1 : 0;
    const last = Math.min(this.total, (this.page + 1) * PAGE_ROWS);
    const go = (p: number): void => void this.show(Math.min(pages - 1, Math.max(0, p)));
    const button = (label: string, disabled: boolean, onclick: () => void): HTMLElement =>
      h('button', { className: 'mlws-button mlws-small', type: 'button', disabled, onclick },
        label);
    this.pager.append(
      button('First', this.page === 0, () => go(0)),
      button('Previous', this.page === 0, () => go(this.page - 1)),
      h('span', { className: 'mlws-page-label' },
        `${fmt(first)}\u2013${fmt(last)} of ${fmt(this.total)}`),
      button('Next', this.page >= pages - 1, () => go(this.page + 1)),
      button('Last', this.page >= pages - 1, () => go(pages - 1)),
      button('CSV', false, () => void downloadSeriesCsv(this.source, this.name)));
  }
}
