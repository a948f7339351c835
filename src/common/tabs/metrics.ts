// Metrics: scalar series as charts (downsampled first read, then `since` deltas), with a
// chart/table toggle, a chooser of which series to chart, x = step or time, log y, smoothing.
// Single values, lists, rows and tables show as tables.
import { MetricChart, type ChartSettings, toNumber } from '../chart';
import { clear, emptyState, formatValue, h, table } from '../dom';
import type { ChangeKind, RunDataSource } from '../source';
import type { MetricInfo, MetricSeries, MetricScalar, Run } from '../types';
import type { RunTab } from './tab';

/**
 * Points per chart on the first read: two per pixel of a chart a few hundred pixels wide, which
 * keeps every extreme visible; the store answers this size from its block summaries (~10x
 * faster than 2,000 points for a 100k-point series, measured).
 */
export const MAX_POINTS = 1000;

interface Charted {
  chart: MetricChart;
  cursor: number;
  series: MetricSeries;
  countLabel: HTMLElement;
}

function isChartable(m: MetricInfo): boolean {
  return m.kind === 'scalar' && m.count > 1 && (typeof m.last_value === 'number' ||
    typeof m.last_value === 'boolean' || typeof m.last_value === 'string');
}

/** A metric series as table rows; table metrics come as columns. */
export function seriesTable(series: MetricSeries, limit = 1000): HTMLElement {
  if (series.columns) {
    const names = Object.keys(series.columns);
    const n = names.length ? series.columns[names[0]].length : 0;
    const rows: string[][] = [];
    for (let i = 0; i < Math.min(n, limit); i++) {
      rows.push(names.map(c => formatValue(series.columns![c][i])));
    }
    return table(names, rows);
  }
  const values = series.value ?? [];
  const rowKeys = new Set<string>();
  for (const v of values) {
    if (v && typeof v === 'object') {
      Object.keys(v).forEach(k => rowKeys.add(k));
    }
  }
  if (rowKeys.size) {
    // Rows (log_row): one column per key.
    const keys = [...rowKeys];
    return table(keys, values.slice(0, limit).map(v =>
      keys.map(k => formatValue((v as Record<string, MetricScalar>)?.[k]))));
  }
  const steps = series.step;
  return table(['step', 'value'], values.slice(-limit).map((v, i) => {
    const idx = values.length > limit ? values.length - limit + i : i;
    return [steps[idx] === null || steps[idx] === undefined ? String(idx) : String(steps[idx]),
      formatValue(v)];
  }));
}

export class MetricsTab implements RunTab {
  readonly id = 'metrics';
  readonly label = 'Metrics';
  readonly node = h('div', { className: 'mlws-tab-metrics' });
  private settings: ChartSettings = { xMode: 'step', log: false, smoothing: 0 };
  private charts = new Map<string, Charted>();
  private hidden = new Set<string>();
  private metrics: MetricInfo[] = [];
  private chartArea = h('div', { className: 'mlws-charts' });
  private valuesArea = h('div', { className: 'mlws-values' });
  private chooser = h('details', { className: 'mlws-chooser' });
  private syncing: Promise<void> = Promise.resolve();
  /** Resolves when the charts of the last load are drawn (used by timing tests). */
  lastLoadMs = 0;

  constructor(private source: RunDataSource) {}

  async load(_run: Run): Promise<void> {
    const started = performance.now();
    this.metrics = await this.source.listMetrics();
    this.renderShell();
    await this.syncCharts();
    await this.renderValues();
    this.lastLoadMs = performance.now() - started;
    this.node.dataset.loadMs = String(Math.round(this.lastLoadMs));
  }

  async update(_run: Run, what: ChangeKind[]): Promise<void> {
    if (!what.includes('metrics')) {
      return;
    }
    const before = new Set(this.metrics.map(m => m.name));
    const chartableBefore = this.metrics.filter(isChartable).length;
    this.metrics = await this.source.listMetrics();
    if (!before.size && this.metrics.length) {
      // The first metrics of a run opened before it logged any: replace the empty state.
      this.renderShell();
    } else if (this.metrics.some(m => !before.has(m.name)) ||
      this.metrics.filter(isChartable).length !== chartableBefore) {
      this.renderChooser();
    }
    await this.syncCharts();
    await this.renderValues();
  }

  dispose(): void {
    this.charts.forEach(c => c.chart.dispose());
    this.charts.clear();
  }

  private renderShell(): void {
    clear(this.node);
    if (!this.metrics.length) {
      this.node.append(emptyState('This run has logged no metrics yet.',
        'Log one with run.log("accuracy", 0.9); it appears here while the run runs.'));
      return;
    }
    const xSelect = h('select', {
      className: 'mlws-input', 'aria-label': 'X axis',
      onchange: () => this.reconfigure({ xMode: xSelect.value as 'step' | 'time' })
    }, h('option', { value: 'step' }, 'Step'), h('option', { value: 'time' }, 'Time'));
    xSelect.value = this.settings.xMode;
    const logBox = h('input', {
      type: 'checkbox', 'aria-label': 'Log scale',
      onchange: () => this.reconfigure({ log: logBox.checked })
    });
    logBox.checked = this.settings.log;
    const smoothing = h('input', {
      type: 'range', min: 0, max: 0.99, step: 0.01, value: this.settings.smoothing,
      'aria-label': 'Smoothing',
      onchange: () => this.reconfigure({ smoothing: Number(smoothing.value) })
    });
    const toolbar = h('div', { className: 'mlws-toolbar' },
      h('label', null, 'X axis ', xSelect),
      h('label', null, logBox, ' Log scale'),
      h('label', null, 'Smoothing ', smoothing),
      h('span', { className: 'mlws-muted' }, 'Drag to zoom, double-click to reset.'));
    this.node.append(toolbar, this.chooser, this.chartArea, this.valuesArea);
    this.renderChooser();
  }

  private renderChooser(): void {
    clear(this.chooser);
    const chartable = this.metrics.filter(isChartable);
    if (!chartable.length) {
      this.chooser.hidden = true;
      return;
    }
    this.chooser.hidden = false;
    this.chooser.append(h('summary', null,
      `Charted metrics (${chartable.length - this.hidden.size} of ${chartable.length})`));
    for (const m of chartable) {
      const box = h('input', {
        type: 'checkbox', 'data-metric': m.name,
        onchange: () => {
          if (box.checked) {
            this.hidden.delete(m.name);
          } else {
            this.hidden.add(m.name);
          }
          void this.syncCharts().then(() => this.renderChooserSummary(chartable.length));
        }
      });
      box.checked = !this.hidden.has(m.name);
      this.chooser.append(h('label', { className: 'mlws-chooser-item' }, box, ' ', m.name));
    }
  }

  private renderChooserSummary(total: number): void {
    const summary = this.chooser.querySelector('summary');
    if (summary) {
      summary.textContent = `Charted metrics (${total - this.hidden.size} of ${total})`;
    }
  }

  private reconfigure(change: Partial<ChartSettings>): void {
    this.settings = { ...this.settings, ...change };
    this.charts.forEach(c => c.chart.configure(this.settings));
  }

  /**
   * One sync at a time: a load and a live update that overlap would each create the same
   * chart (two cards for one metric) or append the same delta twice.
   */
  private syncCharts(): Promise<void> {
    const next = this.syncing.then(() => this.syncChartsOnce());
    this.syncing = next.catch(() => undefined);
    return next;
  }

  /** Create charts for newly chartable metrics, fetch deltas for existing ones. */
  private async syncChartsOnce(): Promise<void> {
    const wanted = this.metrics.filter(m => isChartable(m) && !this.hidden.has(m.name));
    const wantedNames = new Set(wanted.map(m => m.name));
    for (const [name, c] of this.charts) {
      if (!wantedNames.has(name)) {
        c.chart.dispose();
        c.chart.node.parentElement?.remove();
        this.charts.delete(name);
      }
    }
    await Promise.all(wanted.map(async m => {
      const existing = this.charts.get(m.name);
      if (existing) {
        if (m.count > existing.series.total) {
          const delta = await this.source.getSeries(m.name, existing.cursor);
          if (delta.seq.length) {
            existing.cursor = delta.seq[delta.seq.length - 1];
            existing.series.total = delta.total;
            existing.chart.append(0, delta.step, delta.time, (delta.value ?? []).map(toNumber));
            existing.countLabel.textContent = `${delta.total} points`;
          }
        }
        return;
      }
      const series = await this.source.getSeries(m.name, 0, MAX_POINTS);
      const chart = new MetricChart(m.name, this.settings);
      const cursor = series.seq.length ? series.seq[series.seq.length - 1] : 0;
      const countLabel = h('span', { className: 'mlws-muted mlws-point-count' },
        `${series.total} points`);
      const charted: Charted = { chart, cursor, series, countLabel };
      this.charts.set(m.name, charted);
      this.chartArea.append(this.chartCard(m, charted));
      chart.setSeries([{ label: m.name, step: series.step, time: series.time,
        value: (series.value ?? []).map(toNumber) }]);
    }));
  }

  private chartCard(m: MetricInfo, charted: Charted): HTMLElement {
    const body = h('div', { className: 'mlws-chart-body' }, charted.chart.node);
    let asTable = false;
    const toggle = h('button', {
      className: 'mlws-button mlws-small', type: 'button', 'aria-pressed': 'false',
      onclick: async () => {
        asTable = !asTable;
        toggle.textContent = asTable ? 'Chart' : 'Table';
        toggle.setAttribute('aria-pressed', String(asTable));
        clear(body);
        if (asTable) {
          // The table shows stored points, newest last, without downsampling.
          const full = await this.source.getSeries(m.name, 0);
          body.append(h('div', { className: 'mlws-table-scroll' }, seriesTable(full)));
        } else {
          body.append(charted.chart.node);
        }
      }
    }, 'Table');
    return h('div', { className: 'mlws-chart-card' },
      h('div', { className: 'mlws-chart-actions' },
        charted.countLabel, toggle), body);
  }

  /** Everything that is not a chart: single values, lists, rows, tables, other kinds. */
  private async renderValues(): Promise<void> {
    const singles = this.metrics.filter(m => m.kind === 'scalar' && !isChartable(m));
    const others = this.metrics.filter(m => m.kind !== 'scalar' && m.kind !== 'image');
    const parts: HTMLElement[] = [];
    if (singles.length) {
      parts.push(h('h3', null, 'Values'),
        table(['Name', 'Value', 'Step'], singles.map(m => [m.name, formatValue(m.last_value),
          m.last_step === null || m.last_step === undefined ? '' : String(m.last_step)])));
    }
    const tables = await Promise.all(others.map(async m => {
      const series = await this.source.getSeries(m.name, 0, 1000);
      let body: HTMLElement;
      if (m.kind === 'list' || m.kind === 'table') {
        body = seriesTable(m.kind === 'list' ? listAsSeries(series) : series);
      } else {
        // confusion_matrix, accuracy_table, residuals, predictions: JSON documents.
        body = h('pre', { className: 'mlws-pre' },
          prettyJson(series.value?.[series.value.length - 1]));
      }
      return h('div', { className: 'mlws-value-card', 'data-metric': m.name },
        h('h4', null, m.name, h('span', { className: 'mlws-muted' }, ` (${m.kind})`)),
        h('div', { className: 'mlws-table-scroll' }, body));
    }));
    clear(this.valuesArea);
    this.valuesArea.append(...parts, ...tables);
  }
}

function listAsSeries(series: MetricSeries): MetricSeries {
  // A list metric is one point per element: show index and value.
  return { ...series, step: series.step.map((_, i) => i) };
}

function prettyJson(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}
