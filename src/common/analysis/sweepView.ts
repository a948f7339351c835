// Analysis of many runs (a sweep's trials, a filtered runs table): parallel coordinates,
// a scatter plot of any column against any other, parameter importance for a metric, and
// charts of the runs' series (one chart per metric, a line per run). Brushing in the first
// two reports the chosen runs, which the host uses to filter its table.
import { MetricChart, type ChartSettings, toNumber } from '../chart';
import { clear, emptyState, errorMessage, h } from '../dom';
import type { RunSetSource } from '../source';
import type { MetricSeries, RunValues } from '../types';
import { type Dimension, columnLabel, dimension, sweepColumns, varying } from './dimensions';
import { importanceView, importances } from './importance';
import { type BrushListener, ParallelCoordinates } from './parallel';
import { ScatterPlot } from './scatter';

type Mode = 'parallel' | 'scatter' | 'importance' | 'charts';
const MODES: [Mode, string][] = [['parallel', 'Parallel coordinates'], ['scatter', 'Scatter'],
  ['importance', 'Parameter importance'], ['charts', 'Charts']];
const MAX_AXES = 24;
export const CHART_RUNS = 50;
const CHART_METRICS = 8;
let groups = 0;

export class SweepView {
  readonly node = h('div', { className: 'mlws-sweep' });
  private bar = h('div', { className: 'mlws-sweep-modes', role: 'tablist' });
  private controls = h('div', { className: 'mlws-toolbar mlws-sweep-controls' });
  private status = h('div', { className: 'mlws-muted mlws-sweep-status' });
  private body = h('div', { className: 'mlws-sweep-body' });
  private mode: Mode = 'parallel';
  /** Every scalar metric of the runs (the charts mode's choices). */
  private metrics: string[] = [];
  private values: RunValues | null = null;
  private dims = new Map<string, Dimension>();
  private axes: string[] = [];
  private outputs: string[] = [];
  private inputs: string[] = [];
  private colorKey = '';
  private scatterX = '';
  private scatterY = '';
  private target = '';
  private chartMetrics: string[] = [];
  private brushed: Set<string> | null = null;
  private parallel: ParallelCoordinates;
  private scatter: ScatterPlot;
  private charts: MetricChart[] = [];
  private syncKey = `mlws-sweep-${++groups}`;
  private loads = 0;

  /** Called after each load with the runs' values and the columns analysed. */
  onData: ((values: RunValues, inputs: string[], outputs: string[]) => void) | null = null;

  constructor(private source: RunSetSource, private onBrush: BrushListener = () => undefined) {
    const brush: BrushListener = ids => {
      this.brushed = ids;
      this.renderStatus();
      this.onBrush(ids);
    };
    this.parallel = new ParallelCoordinates(brush);
    this.scatter = new ScatterPlot(ids => {
      brush(ids);
      this.drawScatter();
    }, source.openRun ? id => source.openRun!(id) : undefined);
    this.node.append(this.bar, this.controls, this.status, this.body);
    this.renderBar();
  }

  dispose(): void {
    this.parallel.dispose();
    this.scatter.dispose();
    this.charts.forEach(c => c.dispose());
  }

  /** (Re)read the runs: after the host's filter changed, or on Refresh. */
  async load(): Promise<void> {
    const token = ++this.loads;
    clear(this.body);
    this.body.append(h('p', { className: 'mlws-muted' }, 'Reading the runs…'));
    try {
      // One read: the wildcards bring every parameter, tag and scalar metric, and so their
      // names too (a second request for the names cost the server as much again).
      const started = performance.now();
      const values = await this.source.values(['parameters.*', 'tags.*', 'metrics.*',
        'attributes.duration']);
      if (token !== this.loads) {
        return;
      }
      const { inputs, outputs, metrics } = sweepColumns(values);
      this.node.dataset.readMs = String(Math.round(performance.now() - started));
      this.metrics = metrics;
      this.values = values;
      this.inputs = varying(values, inputs);
      this.outputs = outputs.filter(k => (values.columns[k] ?? []).some(v => v !== null));
      this.dims.clear();
      for (const key of [...this.inputs, ...this.outputs, 'attributes.duration']) {
        this.dims.set(key, dimension(key, values.columns[key] ?? []));
      }
      const choices = [...this.inputs, ...this.outputs];
      this.axes = this.axes.filter(k => this.dims.has(k));
      if (!this.axes.length) {
        this.axes = [...this.inputs.slice(0, MAX_AXES - Math.min(4, this.outputs.length)),
          ...this.outputs.slice(0, 4)];
      }
      const first = (list: string[], fallback: string): string =>
        list.find(k => this.dims.has(k)) ?? fallback;
      this.colorKey = this.dims.has(this.colorKey) ? this.colorKey : first(this.outputs, '');
      this.target = this.dims.has(this.target) ? this.target : first(this.outputs, '');
      this.scatterY = this.dims.has(this.scatterY) ? this.scatterY : first(this.outputs,
        choices[0] ?? '');
      this.scatterX = this.dims.has(this.scatterX) ? this.scatterX
        : first(this.inputs, choices.find(k => k !== this.scatterY) ?? this.scatterY);
      this.chartMetrics = this.chartMetrics.length ? this.chartMetrics
        : metrics.slice(0, CHART_METRICS);
      this.brushed = null;
      this.onBrush(null);
      this.onData?.(values, this.inputs, this.outputs);
      this.render();
      // Read, columns and drawing (diagnostics, bench_studio.py).
      this.node.dataset.loadMs = String(Math.round(performance.now() - started));
    } catch (err) {
      if (token === this.loads) {
        clear(this.body);
        this.body.append(emptyState(`The runs could not be read: ${errorMessage(err)}`));
      }
    }
  }

  private renderBar(): void {
    clear(this.bar);
    for (const [mode, label] of MODES) {
      const on = mode === this.mode;
      this.bar.append(h('button', { className: `mlws-tab${on ? ' mlws-tab-active' : ''}`,
        type: 'button', role: 'tab', 'aria-selected': String(on), 'data-mode': mode,
        onclick: () => {
          this.mode = mode;
          this.renderBar();
          this.render();
        } }, label));
    }
  }

  private names(): string[] {
    const v = this.values!;
    const names = v.columns['attributes.display_name'] ?? [];
    return v.ids.map((id, i) => String(names[i] || id));
  }

  private renderStatus(): void {
    if (!this.values) {
      this.status.textContent = '';
      return;
    }
    const shown = this.values.ids.length;
    const parts = [`${shown} run${shown === 1 ? '' : 's'}`];
    if (this.values.total > shown) {
      parts.push(`of ${this.values.total} (the first ${shown})`);
    }
    clear(this.status);
    this.status.append(parts.join(' '));
    if (this.brushed) {
      this.status.append(` · ${this.brushed.size} brushed `, h('button', {
        className: 'mlws-button mlws-small', type: 'button', onclick: () => {
          this.parallel.clearBrushes();
          this.brushed = null;
          this.onBrush(null);
          this.render();
        } }, 'Clear brush'));
    }
  }

  private select(label: string, value: string, options: string[], onchange: (v: string) => void,
    allowNone = false): HTMLElement {
    const sel = h('select', { className: 'mlws-input', 'aria-label': label,
      onchange: () => onchange(sel.value) },
    allowNone ? h('option', { value: '' }, '(none)') : null,
    options.map(k => h('option', { value: k }, columnLabel(k))));
    sel.value = value;
    return h('label', null, `${label} `, sel);
  }

  private render(): void {
    this.renderStatus();
    clear(this.controls);
    clear(this.body);
    this.charts.forEach(c => c.dispose());
    this.charts = [];
    if (!this.values) {
      return;
    }
    if (!this.values.ids.length) {
      this.body.append(emptyState('No runs to analyse.'));
      return;
    }
    const all = [...this.inputs, ...this.outputs, 'attributes.duration'];
    if (this.mode !== 'charts' && !this.inputs.length && !this.outputs.length) {
      this.body.append(emptyState('These runs have no parameters, tags or metrics to compare.',
        'Sweeps pass parameters as script arguments (--lr 0.01) or tag their trials; ' +
        'run.log() records the metrics.'));
      return;
    }
    switch (this.mode) {
      case 'parallel':
        this.controls.append(this.axisChooser(all),
          this.select('Colour by', this.colorKey, all, v => {
            this.colorKey = v;
            this.drawParallel();
          }, true),
          h('span', { className: 'mlws-muted' }, 'Drag along an axis to brush; click it to ' +
            'clear.'));
        this.body.append(this.parallel.node);
        this.drawParallel();
        break;
      case 'scatter':
        this.controls.append(
          this.select('X', this.scatterX, all, v => { this.scatterX = v; this.drawScatter(); }),
          this.select('Y', this.scatterY, all, v => { this.scatterY = v; this.drawScatter(); }),
          this.select('Colour by', this.colorKey, all, v => {
            this.colorKey = v;
            this.drawScatter();
          }, true),
          h('span', { className: 'mlws-muted' }, 'Drag a rectangle to brush; click a point ' +
            'to open its run.'));
        this.body.append(this.scatter.node);
        this.drawScatter();
        break;
      case 'importance':
        this.controls.append(this.select('Metric', this.target, this.outputs, v => {
          this.target = v;
          this.render();
        }));
        this.body.append(this.target && this.dims.has(this.target)
          ? importanceView(this.dims.get(this.target)!, importances(this.dims.get(this.target)!,
            [...this.inputs, ...this.outputs, 'attributes.duration'].map(k => this.dims.get(k)!)
              .filter(Boolean)))
          : emptyState('No metric to relate the parameters to.'));
        break;
      case 'charts':
        void this.drawCharts();
        break;
    }
  }

  private axisChooser(all: string[]): HTMLElement {
    const chooser = h('details', { className: 'mlws-chooser mlws-axis-chooser' },
      h('summary', null, `Axes (${this.axes.length} of ${all.length})`));
    for (const key of all) {
      const box = h('input', { type: 'checkbox', 'data-column': key, onchange: () => {
        this.axes = box.checked ? [...this.axes, key] : this.axes.filter(k => k !== key);
        chooser.querySelector('summary')!.textContent = `Axes (${this.axes.length} of ` +
          `${all.length})`;
        this.drawParallel();
      } });
      box.checked = this.axes.includes(key);
      chooser.append(h('label', { className: 'mlws-chooser-item' }, box, ' ', columnLabel(key)));
    }
    return chooser;
  }

  private drawParallel(): void {
    if (!this.values) {
      return;
    }
    const started = performance.now();
    const dims = this.axes.map(k => this.dims.get(k)).filter((d): d is Dimension => !!d);
    this.parallel.setData(this.values.ids, dims, this.dims.get(this.colorKey) ?? null);
    this.node.dataset.drawMs = String(Math.round(performance.now() - started));
  }

  private drawScatter(): void {
    const x = this.dims.get(this.scatterX);
    const y = this.dims.get(this.scatterY);
    if (!this.values || !x || !y) {
      return;
    }
    this.scatter.setData(this.values.ids, this.names(), x, y,
      this.dims.get(this.colorKey) ?? null, this.brushed);
  }

  /** One chart per metric, a line per run (the brushed runs, else the first ones). */
  private async drawCharts(): Promise<void> {
    const values = this.values!;
    const metrics = this.metrics;
    const chooser = h('details', { className: 'mlws-chooser' },
      h('summary', null, `Metrics (${this.chartMetrics.length} of ${metrics.length})`));
    for (const name of metrics) {
      const box = h('input', { type: 'checkbox', onchange: () => {
        this.chartMetrics = box.checked ? [...this.chartMetrics, name]
          : this.chartMetrics.filter(n => n !== name);
        this.render();
      } });
      box.checked = this.chartMetrics.includes(name);
      chooser.append(h('label', { className: 'mlws-chooser-item' }, box, ' ', name));
    }
    this.controls.append(chooser);
    if (!this.source.series) {
      this.body.append(emptyState('Charts of many runs need the studio (REST).'));
      return;
    }
    const ids = (this.brushed ? values.ids.filter(id => this.brushed!.has(id)) : values.ids)
      .slice(0, CHART_RUNS);
    const note = h('p', { className: 'mlws-muted' }, `A line per run: ${ids.length} run` +
      `${ids.length === 1 ? '' : 's'}` + (ids.length === CHART_RUNS ? ` (the first ${CHART_RUNS}` +
        (this.brushed ? ' brushed' : '') + '; brush to choose others)' : '') + '.');
    const area = h('div', { className: 'mlws-charts' });
    this.body.append(note, area);
    if (!ids.length || !this.chartMetrics.length) {
      return;
    }
    const token = this.loads;
    let series: MetricSeries[];
    try {
      series = await this.source.series(ids, this.chartMetrics, 500);
    } catch (err) {
      area.append(h('p', { className: 'mlws-error' }, errorMessage(err)));
      return;
    }
    if (token !== this.loads || this.mode !== 'charts') {
      return;
    }
    const names = new Map(values.ids.map((id, i) => [id, this.names()[i]]));
    const settings: ChartSettings = { xMode: 'step', log: false, smoothing: 0 };
    for (const name of this.chartMetrics) {
      const list = series.filter(s => s.name === name && s.total > 1);
      if (!list.length) {
        continue;
      }
      const chart = new MetricChart(name, settings, { syncKey: this.syncKey });
      this.charts.push(chart);
      area.append(h('div', { className: 'mlws-chart-card' }, chart.node));
      chart.setSeries(list.map(s => ({ label: names.get(s.run_id) ?? s.run_id, step: s.step,
        time: s.time, value: (s.value ?? []).map(toNumber), seq: s.seq, total: s.total })));
    }
    if (!this.charts.length) {
      area.append(emptyState('These runs logged none of the chosen metrics as series.'));
    }
  }
}
