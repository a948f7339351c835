// Metrics: scalar series as charts (downsampled first read, a zoom reads its window again at
// full detail, live `since` deltas), each also as a paged table with a CSV download; x = step,
// clock time, time since the run started or another metric; log y; smoothing; one crosshair
// for the tab. System metrics (system/...) chart in their own section. Single values, lists,
// rows, tables and v1's chart metrics (confusion matrix, ...) below, drawn where they can be.
import { MetricChart, type ChartSettings, type SeriesPoints, toNumber } from '../chart';
import { ARTIFACT_KINDS, artifactPathOf, chartDocument, listChart, tableChart } from '../chartMetrics';
import { clear, emptyState, errorMessage, formatValue, h, table } from '../dom';
import { SeriesTable, seriesRows } from '../seriesTable';
import type { ChangeKind, RunDataSource } from '../source';
import type { MetricInfo, MetricSeries, Run } from '../types';
import type { RunTab } from './tab';

/**
 * Points per chart on the first read: two per pixel of a chart a few hundred pixels wide, which
 * keeps every extreme visible; the store answers this size from its block summaries (~10x
 * faster than 2,000 points for a 100k-point series, measured).
 */
export const MAX_POINTS = 1000;
/** A zoomed window with at most this many points is read whole (full detail). */
export const FULL_WINDOW = 5000;
/** Metrics the executor samples for submitted runs (system/cpu_percent, ...). */
export const SYSTEM_PREFIX = 'system/';

let syncGroups = 0;

interface Charted {
  chart: MetricChart;
  cursor: number;
  total: number;
  countLabel: HTMLElement;
  zoom: number;
}

export function isChartable(m: MetricInfo): boolean {
  return m.kind === 'scalar' && m.count > 1 && (typeof m.last_value === 'number' ||
    typeof m.last_value === 'boolean' || typeof m.last_value === 'string');
}

function toPoints(label: string, s: MetricSeries): SeriesPoints {
  return { label, step: s.step, time: s.time, value: (s.value ?? []).map(toNumber),
    seq: s.seq, total: s.total };
}

export class MetricsTab implements RunTab {
  readonly id = 'metrics';
  readonly label = 'Metrics';
  readonly node = h('div', { className: 'mlws-tab-metrics' });
  private settings: ChartSettings = { xMode: 'step', log: false, smoothing: 0 };
  private charts = new Map<string, Charted>();
  private extraCharts: MetricChart[] = [];
  private hidden = new Set<string>();
  private metrics: MetricInfo[] = [];
  private chartArea = h('div', { className: 'mlws-charts' });
  private systemArea = h('div', { className: 'mlws-charts' });
  private systemSection = h('section', { className: 'mlws-section mlws-system-metrics' },
    h('h3', null, 'System'), this.systemArea);
  private valuesArea = h('div', { className: 'mlws-values' });
  private chooser = h('details', { className: 'mlws-chooser' });
  private xSelect = h('select', { className: 'mlws-input', 'aria-label': 'X axis' });
  private xMetric: { step: (number | null)[]; value: (number | null)[] } | null = null;
  private origin: number | null = null;
  private syncKey = `mlws-metrics-${++syncGroups}`;
  private syncing: Promise<void> = Promise.resolve();
  /** Resolves when the charts of the last load are drawn (used by timing tests). */
  lastLoadMs = 0;

  constructor(private source: RunDataSource) {}

  async load(run: Run): Promise<void> {
    const started = performance.now();
    this.origin = run.start_time ?? run.created_time ?? null;
    this.metrics = await this.source.listMetrics();
    this.renderShell();
    await this.syncCharts();
    await this.renderValues();
    this.lastLoadMs = performance.now() - started;
    this.node.dataset.loadMs = String(Math.round(this.lastLoadMs));
  }

  async update(run: Run, what: ChangeKind[]): Promise<void> {
    this.origin = run.start_time ?? run.created_time ?? null;
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
      this.renderXOptions();
    }
    await this.syncCharts();
    await this.renderValues();
  }

  dispose(): void {
    this.charts.forEach(c => c.chart.dispose());
    this.charts.clear();
    this.extraCharts.forEach(c => c.dispose());
    this.extraCharts = [];
  }

  private renderShell(): void {
    clear(this.node);
    if (!this.metrics.length) {
      this.node.append(emptyState('This run has logged no metrics yet.',
        'Log one with run.log("accuracy", 0.9); it appears here while the run runs.'));
      return;
    }
    this.xSelect.onchange = () => void this.chooseX(this.xSelect.value);
    this.renderXOptions();
    const logBox = h('input', {
      type: 'checkbox', 'aria-label': 'Log scale',
      onchange: () => this.reconfigure({ log: logBox.checked })
    });
    logBox.checked = this.settings.log;
    const smoothingValue = h('span', { className: 'mlws-muted mlws-smoothing-value' },
      this.settings.smoothing.toFixed(2));
    const smoothing = h('input', {
      type: 'range', min: 0, max: 0.99, step: 0.01, value: this.settings.smoothing,
      'aria-label': 'Smoothing',
      oninput: () => { smoothingValue.textContent = Number(smoothing.value).toFixed(2); },
      onchange: () => this.reconfigure({ smoothing: Number(smoothing.value) })
    });
    const toolbar = h('div', { className: 'mlws-toolbar' },
      h('label', null, 'X axis ', this.xSelect),
      h('label', null, logBox, ' Log scale'),
      h('label', null, 'Smoothing ', smoothing, smoothingValue),
      h('span', { className: 'mlws-muted' },
        'Drag to zoom (the window is read again at full detail), double-click to reset.'));
    this.systemSection.hidden = true;
    this.node.append(toolbar, this.chooser, this.chartArea, this.systemSection,
      this.valuesArea);
    this.renderChooser();
  }

  private renderXOptions(): void {
    const current = this.settings.xMode === 'metric' ? `metric:${this.settings.xMetric}`
      : this.settings.xMode;
    clear(this.xSelect);
    this.xSelect.append(h('option', { value: 'step' }, 'Step'),
      h('option', { value: 'time' }, 'Time'),
      h('option', { value: 'relative' }, 'Relative time'),
      ...this.metrics.filter(isChartable).map(m =>
        h('option', { value: `metric:${m.name}` }, `Metric: ${m.name}`)));
    this.xSelect.value = current;
  }

  private async chooseX(value: string): Promise<void> {
    if (value.startsWith('metric:')) {
      const name = value.slice('metric:'.length);
      const series = await this.source.getSeries(name, 0);
      this.xMetric = { step: series.step, value: (series.value ?? []).map(toNumber) };
      this.settings = { ...this.settings, xMode: 'metric', xMetric: name };
      // Every chart needs the x metric in its series: draw them again.
      for (const c of this.charts.values()) {
        const s = c.chart.seriesAt(0);
        if (s) {
          c.chart.setSeries([{ ...s, xMetric: this.xMetric }]);
        }
      }
    } else {
      this.settings = { ...this.settings, xMode: value as ChartSettings['xMode'] };
    }
    this.charts.forEach(c => c.chart.configure(this.settings));
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
        c.chart.node.closest('.mlws-chart-card')?.remove();
        this.charts.delete(name);
      }
    }
    await Promise.all(wanted.map(async m => {
      const existing = this.charts.get(m.name);
      if (existing) {
        if (m.count > existing.total) {
          const delta = await this.source.getSeries(m.name, existing.cursor);
          if (delta.seq.length) {
            existing.cursor = delta.seq[delta.seq.length - 1];
            existing.total = delta.total;
            existing.chart.append(0, delta.step, delta.time, (delta.value ?? []).map(toNumber),
              delta.seq);
            existing.countLabel.textContent = `${delta.total} points`;
          }
        }
        return;
      }
      const series = await this.source.getSeries(m.name, 0, MAX_POINTS);
      const chart = new MetricChart(m.name, this.settings, {
        syncKey: this.syncKey, onZoom: range => void this.zoomed(m.name, range)
      });
      const cursor = series.seq.length ? series.seq[series.seq.length - 1] : 0;
      const countLabel = h('span', { className: 'mlws-muted mlws-point-count' },
        `${series.total} points`);
      const charted: Charted = { chart, cursor, total: series.total, countLabel, zoom: 0 };
      this.charts.set(m.name, charted);
      const system = m.name.startsWith(SYSTEM_PREFIX);
      (system ? this.systemArea : this.chartArea).append(this.chartCard(m, charted));
      if (system) {
        this.systemSection.hidden = false;
      }
      chart.setSeries([{ ...toPoints(m.name, series), origin: this.origin,
        xMetric: this.xMetric }]);
    }));
  }

  /**
   * A zoom shows a window of a downsampled series: read that seq range again with the same
   * point budget, so the points per pixel stay the same at any depth.
   */
  private async zoomed(name: string, range: [number, number] | null): Promise<void> {
    const c = this.charts.get(name);
    const s = c?.chart.seriesAt(0);
    if (!c || !s?.seq || !range) {
      return;
    }
    const xs = c.chart.xs(s);
    let since = 0;
    let until = c.total;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      if (x === null) {
        continue;
      }
      if (x < range[0]) {
        since = Math.max(since, s.seq[i]);
      } else if (x > range[1]) {
        until = Math.min(until, s.seq[i]);
      }
    }
    const inWindow = s.seq.filter(q => q > since && q < until).length;
    if (until - since <= inWindow + 1) {
      return; // every point of the window is already here
    }
    const token = ++c.zoom;
    try {
      // Every point when the window holds a few thousand, else twice the first budget.
      const budget = until - since <= FULL_WINDOW ? undefined : 2 * MAX_POINTS;
      const fine = await this.source.getSeries(name, since, budget, until);
      if (token === c.zoom && fine.seq.length) {
        c.chart.replaceWindow(0, toPoints(name, fine));
      }
    } catch (err) {
      console.warn(`mlws: reading the zoomed window of ${name} failed`, err);
    }
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
          // Stored points a page at a time, without downsampling; CSV has them all.
          const view = new SeriesTable(this.source, m.name);
          body.append(view.node);
          await view.show(0);
        } else {
          body.append(charted.chart.node);
        }
      }
    }, 'Table');
    return h('div', { className: 'mlws-chart-card', 'data-metric': m.name },
      h('div', { className: 'mlws-chart-actions' }, charted.countLabel, toggle), body);
  }

  /** Everything that is not a line chart: single values, lists, rows, tables, chart kinds. */
  private async renderValues(): Promise<void> {
    const singles = this.metrics.filter(m => m.kind === 'scalar' && !isChartable(m));
    const others = this.metrics.filter(m => m.kind !== 'scalar' && m.kind !== 'image');
    const parts: HTMLElement[] = [];
    if (singles.length) {
      const withStep = singles.some(m => m.last_step !== null && m.last_step !== undefined);
      parts.push(h('h3', null, 'Values'), table(withStep ? ['Name', 'Value', 'Step']
        : ['Name', 'Value'], singles.map(m => [m.name, formatValue(m.last_value),
        ...(withStep ? [m.last_step === null || m.last_step === undefined ? ''
          : String(m.last_step)] : [])])));
    }
    this.extraCharts.forEach(c => c.dispose());
    this.extraCharts = [];
    const sink = (c: MetricChart): void => { this.extraCharts.push(c); };
    const cards = await Promise.all(others.map(async m => {
      let body: HTMLElement;
      try {
        body = await this.valueBody(m, sink);
      } catch (err) {
        body = h('p', { className: 'mlws-error' }, errorMessage(err));
      }
      return h('div', { className: 'mlws-value-card', 'data-metric': m.name },
        h('h4', null, m.name, h('span', { className: 'mlws-muted' },
          ` (${m.kind.replace(/_/g, ' ')})`)), body);
    }));
    clear(this.valuesArea);
    this.valuesArea.append(...parts, ...cards);
  }

  private async valueBody(m: MetricInfo, sink: (c: MetricChart) => void):
  Promise<HTMLElement> {
    if (ARTIFACT_KINDS.has(m.kind)) {
      // The value points at a JSON document (the last one logged under this name).
      const path = artifactPathOf(m.last_value);
      if (!path) {
        return h('p', { className: 'mlws-muted' }, `Not a chart document: ${formatValue(
          m.last_value)}`);
      }
      const doc = JSON.parse(await (await this.source.getArtifact(path)).blob.text());
      return chartDocument(m.kind, doc, sink) ??
        h('pre', { className: 'mlws-pre' }, JSON.stringify(doc, null, 2));
    }
    const series = await this.source.getSeries(m.name, 0, MAX_POINTS);
    const chart = m.kind === 'list' ? listChart(m.name, series, sink)
      : tableChart(m.name, series, sink);
    const { columns, rows } = seriesRows(m.kind === 'list'
      ? { ...series, step: series.step.map((_, i) => i) } : series);
    const more = series.total > rows.length
      ? h('p', { className: 'mlws-muted' }, `${rows.length} of ${series.total} rows shown.`)
      : null;
    return h('div', { className: 'mlws-value-body' }, chart,
      h('div', { className: 'mlws-table-scroll' }, table(columns, rows)), more);
  }
}
