// One interactive chart over uPlot, used by every view: lines (step, clock time, time since the
// run started, or another metric on x), bars. Drag to zoom (the owner may fetch the window at
// full detail), double-click resets; a crosshair synced across the charts of a view; log y;
// smoothing that keeps the raw line faded; a min/max band where the store downsampled; PNG and
// CSV export. Several series overlay (compare), points are appended as they arrive.
import uPlot from 'uplot';
import { chartAxes } from './chartAxes';
import { chartCsv, chartPng, fileName } from './chartExport';
import { chartTable, type Drawn, lastValue, seriesXs, shownPoints } from './chartData';
import { seriesColor, shortNumber, withAlpha } from './chartMath';
import { h, saveBlob } from './dom';

export { smooth, toNumber } from './chartMath';

export type XMode = 'step' | 'time' | 'relative' | 'metric';

export interface ChartSettings {
  xMode: XMode;
  /** The metric on x when xMode is "metric". */
  xMetric?: string;
  log: boolean;
  /** 0 (raw) .. 0.99: weight of the exponential moving average. */
  smoothing: number;
}

export interface SeriesPoints {
  label: string;
  step: (number | null)[];
  time: number[];
  value: (number | null)[];
  seq?: number[];
  /** Points stored; more than value.length means downsampled: a min/max band is drawn. */
  total?: number;
  /** Time origin of "relative" x (the run's start); default: the first point. */
  origin?: number | null;
  /** The x metric's points of the same run (xMode "metric"). */
  xMetric?: { step: (number | null)[]; value: (number | null)[] } | null;
  color?: string;
}

export interface ChartOptions {
  /** Crosshair group: charts with the same key follow one cursor. */
  syncKey?: string;
  yLabel?: string;
  /** Bars instead of lines (list metrics, histograms); x is the position or bin. */
  bars?: boolean;
  /** Category labels of bar positions 0..n-1. */
  categories?: string[];
  height?: number;
  /** A drag-zoom selected [min, max] of x, or null when reset by double-click. */
  onZoom?: (range: [number, number] | null) => void;
  /** Label of x in bar charts and exports. */
  xLabel?: string;
  /** x is a position (row, index): ticks only at whole numbers. */
  integerX?: boolean;
  /** The legend shows each line's last value when nothing is hovered (default: lines, not
   * bars; off for curves such as ROC, whose last point says nothing). */
  lastInLegend?: boolean;
}

const HEIGHT = 220;
const RAW_ALPHA = 0.25;
const BAND_ALPHA = 0.18;

export class MetricChart {
  readonly node: HTMLElement;
  private plotHost: HTMLElement;
  private plot: uPlot | null = null;
  private series: SeriesPoints[] = [];
  private drawn: Drawn[] = [];
  private settings: ChartSettings;
  private resizeObserver: ResizeObserver | null = null;
  private zoomed: [number, number] | null = null;
  /** Set while the chart itself changes data or scales (not a user's zoom). */
  private internal = false;

  constructor(readonly title: string, settings: ChartSettings,
    private options: ChartOptions = {}) {
    this.settings = { ...settings };
    this.plotHost = h('div', { className: 'mlws-chart-plot' });
    const tool = (label: string, title: string, onclick: () => void): HTMLElement =>
      h('button', { className: 'mlws-chart-tool', type: 'button', title,
        'aria-label': `${title}: ${this.title}`, onclick }, label);
    this.node = h('div', { className: 'mlws-chart', 'data-metric': title },
      h('div', { className: 'mlws-chart-head' },
        h('div', { className: 'mlws-chart-title', title }, title),
        h('div', { className: 'mlws-chart-tools' },
          tool('PNG', 'Save as PNG', () => void this.savePng()),
          tool('CSV', 'Save the shown points as CSV', () => this.saveCsv()))),
      this.plotHost);
    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver(() => this.resize());
      this.resizeObserver.observe(this.plotHost);
    }
  }

  setSeries(series: SeriesPoints[]): void {
    this.series = series.map(s => ({ ...s, step: [...s.step], time: [...s.time],
      value: [...s.value], seq: s.seq ? [...s.seq] : undefined }));
    this.rebuild();
  }

  /** Append new points to series number `index` (cursor-based incremental reads). */
  append(index: number, step: (number | null)[], time: number[], value: (number | null)[],
    seq?: number[]): void {
    const s = this.series[index];
    if (!s || value.length === 0) {
      return;
    }
    s.step.push(...step);
    s.time.push(...time);
    s.value.push(...value);
    if (s.seq && seq) {
      s.seq.push(...seq);
    }
    if (s.total !== undefined) {
      s.total += value.length;
    }
    this.redraw();
  }

  /**
   * Replace the points of series `index` whose seq lies in [first, last] by `fine` (a window
   * read at full detail after a zoom); the coarse points outside stay.
   */
  replaceWindow(index: number, fine: SeriesPoints): void {
    const s = this.series[index];
    if (!s?.seq || !fine.seq?.length) {
      return;
    }
    const first = fine.seq[0];
    const last = fine.seq[fine.seq.length - 1];
    const keep = s.seq.map((q, i) => (q < first || q > last ? i : -1)).filter(i => i >= 0);
    const before = keep.filter(i => s.seq![i] < first);
    const after = keep.filter(i => s.seq![i] > last);
    const pick = <T>(arr: T[], idx: number[]): T[] => idx.map(i => arr[i]);
    s.seq = [...pick(s.seq, before), ...fine.seq, ...pick(s.seq, after)];
    s.step = [...pick(s.step, before), ...fine.step, ...pick(s.step, after)];
    s.time = [...pick(s.time, before), ...fine.time, ...pick(s.time, after)];
    s.value = [...pick(s.value, before), ...fine.value, ...pick(s.value, after)];
    this.redraw();
  }

  configure(settings: ChartSettings): void {
    this.settings = { ...settings };
    this.zoomed = null;
    this.rebuild();
  }

  pointCount(): number {
    return this.series.reduce((n, s) => n + s.value.length, 0);
  }

  /** The series as given (for the owner's window and table reads). */
  seriesAt(index: number): SeriesPoints | undefined {
    return this.series[index];
  }

  dispose(): void {
    this.resizeObserver?.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  /** x of every point of series `s` in the current mode. */
  xs(s: SeriesPoints): (number | null)[] {
    return seriesXs(s, this.settings);
  }

  private downsampled(s: SeriesPoints): boolean {
    return !this.options.bars && s.total !== undefined && s.total > s.value.length &&
      this.settings.xMode !== 'metric';
  }

  private tables(): { data: uPlot.AlignedData; drawn: Drawn[] } {
    return chartTable(this.series, this.settings, x => this.downsampled(x));
  }

  private xLabel(): string {
    if (this.options.xLabel) {
      return this.options.xLabel;
    }
    switch (this.settings.xMode) {
      case 'time':
        return 'time';
      case 'relative':
        return 'time since start';
      case 'metric':
        return this.settings.xMetric ?? 'metric';
      default:
        return 'step';
    }
  }

  private rebuild(): void {
    this.plot?.destroy();
    this.plot = null;
    if (this.series.length === 0) {
      return;
    }
    const { data, drawn } = this.tables();
    this.drawn = drawn;
    const { x: xAxis, y: yAxis, xValue } = chartAxes(this.node, {
      mode: this.settings.xMode, categories: this.options.categories,
      integerX: this.options.integerX, xLabel: this.xLabel(),
      yLabel: this.options.yLabel ?? this.title,
      // The plot's height less the x axis (ticks and label) and some room at the ends.
      yLength: (this.options.height ?? HEIGHT) - 80
    });
    // Not hovering (idx null), the legend shows each line's last value, as W&B and MLflow
    // do; the x row says so. Hovering shows the values at the cursor.
    const last = this.options.lastInLegend ?? !this.options.bars;
    const series: uPlot.Series[] = [{ label: this.xLabel(),
      value: (u: uPlot, v: number | null, _s: number, idx: number | null) =>
        idx === null && last && u.data[0].length ? 'last' : xValue(u, v) }];
    const bands: uPlot.Band[] = [];
    const bars = this.options.bars ? uPlot.paths.bars!({ size: [0.7, 60] }) : undefined;
    this.series.forEach((s, i) => {
      const color = s.color ?? seriesColor(i);
      const d = drawn[i];
      if (d.lo !== null && d.hi !== null) {
        series.push({ label: `${s.label} (min)`, stroke: 'transparent', width: 0,
          points: { show: false }, spanGaps: true });
        series.push({ label: `${s.label} (max)`, stroke: 'transparent', width: 0,
          points: { show: false }, spanGaps: true });
        bands.push({ series: [d.hi, d.lo], fill: withAlpha(color, BAND_ALPHA) });
      }
      if (d.raw !== null) {
        series.push({ label: `${s.label} (raw)`, stroke: withAlpha(color, RAW_ALPHA), width: 1,
          points: { show: false }, spanGaps: true });
      }
      series.push({
        label: s.label, stroke: color, width: bars ? 0 : 1.5, spanGaps: true,
        fill: bars ? withAlpha(color, 0.8) : undefined, paths: bars,
        points: { show: !bars && s.value.length < 3 },
        value: (u: uPlot, v: number | null, sidx: number, idx: number | null) => {
          const shown = idx === null && last ? lastValue(u, sidx) : v;
          return shown === null ? '' : shortNumber(shown);
        }
      });
    });
    const onePad = this.settings.xMode === 'time' || this.settings.xMode === 'relative' ? 30 : 1;
    const opts: uPlot.Options = {
      width: Math.max(this.plotHost.clientWidth, 280),
      height: this.options.height ?? HEIGHT,
      cursor: {
        drag: { x: !bars, y: false, setScale: !bars },
        sync: this.options.syncKey ? { key: this.options.syncKey, setSeries: false,
          scales: ['x', null] } : undefined
      },
      scales: {
        // One x value (a single point): a minute of time or a step either side; uPlot pads
        // by the value's magnitude (years around an epoch time).
        x: { time: false, range: (u: uPlot, min: number, max: number) => {
          const xs = u.data[0];
          const one = xs.length > 0 && xs[0] === xs[xs.length - 1] ? xs[0] : null;
          return (bars ? [min - 0.5, max + 0.5] : one !== null
            ? [one - onePad, one + onePad] : [min, max]) as uPlot.Range.MinMax;
        } },
        // Bars grow from zero: their y range always holds it.
        y: this.settings.log ? { distr: 3, log: 10 } : bars ? { distr: 1,
          range: (_u: uPlot, min: number, max: number) => [Math.min(0, min),
            Math.max(0, max) + Math.abs(max - Math.min(0, min)) * 0.05] as uPlot.Range.MinMax }
          : { distr: 1 }
      },
      axes: [xAxis, yAxis],
      legend: { live: true },
      series,
      bands,
      hooks: {
        setScale: [(u, key) => {
          if (key === 'x') {
            this.scaled(u);
            this.countShown(u);
          }
        }]
      }
    };
    this.internal = true;
    try {
      this.plot = new uPlot(opts, data, this.plotHost);
      this.hideHelperLegend();
      if (this.zoomed) {
        this.plot.setScale('x', { min: this.zoomed[0], max: this.zoomed[1] });
      }
    } finally {
      this.internal = false;
    }
    this.countShown(this.plot);
  }

  /** Band and raw helper series have no legend row of their own. */
  private hideHelperLegend(): void {
    const rows = this.plot?.root.querySelectorAll<HTMLElement>('.u-legend .u-series');
    if (!rows) {
      return;
    }
    const helpers = new Set<number>();
    for (const d of this.drawn) {
      [d.lo, d.hi, d.raw].forEach(i => i !== null && helpers.add(i));
    }
    rows.forEach((row, i) => {
      if (helpers.has(i)) {
        row.style.display = 'none';
      }
    });
  }

  /** A scale change the user made (drag-zoom, double-click reset), not one of setData. */
  private scaled(u: uPlot): void {
    if (this.internal) {
      return;
    }
    const xs = u.data[0] as number[];
    const min = u.scales.x.min ?? -Infinity;
    const max = u.scales.x.max ?? Infinity;
    const whole = !xs.length || (min <= xs[0] && max >= xs[xs.length - 1]);
    const range: [number, number] | null = whole ? null : [min, max];
    if ((range === null) === (this.zoomed === null) && (!range ||
        (range[0] === this.zoomed![0] && range[1] === this.zoomed![1]))) {
      return;
    }
    this.zoomed = range;
    // uPlot has applied the zoom itself (drag.setScale); the owner may fetch detail.
    queueMicrotask(() => this.options.onZoom?.(range));
  }

  /** data-shown: points of the main lines inside the visible x range (tests, diagnostics). */
  private countShown(u: uPlot): void {
    this.node.dataset.shown = String(shownPoints(u, this.drawn));
  }

  private redraw(): void {
    if (!this.plot) {
      this.rebuild();
      return;
    }
    const { data, drawn } = this.tables();
    if (drawn.some((d, i) => d.lo !== this.drawn[i]?.lo || d.raw !== this.drawn[i]?.raw)) {
      this.rebuild(); // the band appeared (now downsampled) or went: other series
      return;
    }
    this.internal = true;
    try {
      this.plot.setData(data, !this.zoomed);
      if (this.zoomed) {
        this.plot.setScale('x', { min: this.zoomed[0], max: this.zoomed[1] });
      }
    } finally {
      this.internal = false;
    }
    this.countShown(this.plot);
  }

  private resize(): void {
    if (!this.plot) {
      return;
    }
    const width = Math.max(this.plotHost.clientWidth, 280);
    if (Math.abs(width - this.plot.width) > 4) {
      this.plot.setSize({ width, height: this.options.height ?? HEIGHT });
    }
  }

  /** The loaded points (raw values, not smoothed) as CSV: one row per point and series. */
  toCsv(): string {
    return chartCsv(this.series, this.xLabel(), this.settings.xMode === 'metric'
      ? s => this.xs(s) : null);
  }

  private saveCsv(): void {
    saveBlob(new Blob([this.toCsv()], { type: 'text/csv' }), `${fileName(this.title)}.csv`);
  }

  /** The chart with its title and legend on the theme's background, as a PNG. */
  toPng(): Promise<Blob | null> {
    return this.plot ? chartPng(this.plot, this.title, this.node,
      this.series.map((s, i) => [s.label, s.color ?? seriesColor(i)])) : Promise.resolve(null);
  }

  private async savePng(): Promise<void> {
    const blob = await this.toPng();
    if (blob) {
      saveBlob(blob, `${fileName(this.title)}.png`);
    }
  }
}
