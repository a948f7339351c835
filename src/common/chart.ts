// One interactive line chart over uPlot: drag to zoom (double-click resets), hover values in the
// legend, step or time on x, linear or log y, exponential smoothing. Several series overlay
// (compare view); points are appended incrementally as they arrive.
import uPlot from 'uplot';
import { h } from './dom';

export type XMode = 'step' | 'time';

export interface ChartSettings {
  xMode: XMode;
  log: boolean;
  /** 0 (raw) .. 0.99: weight of the exponential moving average. */
  smoothing: number;
}

export interface SeriesPoints {
  label: string;
  step: (number | null)[];
  time: number[];
  value: (number | null)[];
}

const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
  '#bcbd22', '#17becf'
];

/** Metric values as chartable numbers: non-finite markers and non-numbers become gaps. */
export function toNumber(value: unknown): number | null {
  if (typeof value === 'number' && isFinite(value)) {
    return value;
  }
  if (typeof value === 'boolean') {
    return value ? 1 : 0;
  }
  return null;
}

/** TensorBoard-style debiased EMA; gaps stay gaps. */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) {
    return values;
  }
  let last = 0;
  let count = 0;
  return values.map(v => {
    if (v === null) {
      return null;
    }
    last = last * weight + (1 - weight) * v;
    count += 1;
    return last / (1 - Math.pow(weight, count));
  });
}

function cssVar(el: HTMLElement, name: string, fallback: string): string {
  const value = getComputedStyle(el).getPropertyValue(name).trim();
  return value || fallback;
}

export class MetricChart {
  readonly node: HTMLElement;
  private plotHost: HTMLElement;
  private plot: uPlot | null = null;
  private series: SeriesPoints[] = [];
  private settings: ChartSettings;
  private resizeObserver: ResizeObserver | null = null;

  constructor(title: string, settings: ChartSettings) {
    this.settings = { ...settings };
    this.plotHost = h('div', { className: 'mlws-chart-plot' });
    this.node = h('div', { className: 'mlws-chart', 'data-metric': title },
      h('div', { className: 'mlws-chart-title' }, title), this.plotHost);
    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver(() => this.resize());
      this.resizeObserver.observe(this.plotHost);
    }
  }

  setSeries(series: SeriesPoints[]): void {
    this.series = series.map(s => ({ ...s, step: [...s.step], time: [...s.time],
      value: [...s.value] }));
    this.rebuild();
  }

  /** Append new points to series number `index` (cursor-based incremental reads). */
  append(index: number, step: (number | null)[], time: number[], value: (number | null)[]): void {
    const s = this.series[index];
    if (!s || value.length === 0) {
      return;
    }
    s.step.push(...step);
    s.time.push(...time);
    s.value.push(...value);
    if (this.plot) {
      this.plot.setData(this.data(), true);
    } else {
      this.rebuild();
    }
  }

  configure(settings: ChartSettings): void {
    this.settings = { ...settings };
    this.rebuild();
  }

  pointCount(): number {
    return this.series.reduce((n, s) => n + s.value.length, 0);
  }

  dispose(): void {
    this.resizeObserver?.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  private xs(s: SeriesPoints): number[] {
    if (this.settings.xMode === 'time') {
      return s.time;
    }
    // Points logged without a step are numbered in logging order.
    return s.step.map((step, i) => (step === null ? i : step));
  }

  private data(): uPlot.AlignedData {
    const tables: uPlot.AlignedData[] = this.series.map(s => {
      const xs = this.xs(s);
      let ys = smooth(s.value, this.settings.smoothing);
      if (this.settings.log) {
        ys = ys.map(v => (v !== null && v > 0 ? v : null));
      }
      // uPlot needs x ascending; sort (stable) only when it is not already.
      let sorted = true;
      for (let i = 1; i < xs.length; i++) {
        if (xs[i] < xs[i - 1]) {
          sorted = false;
          break;
        }
      }
      if (!sorted) {
        const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
        return [order.map(i => xs[i]), order.map(i => ys[i])] as uPlot.AlignedData;
      }
      return [xs, ys] as uPlot.AlignedData;
    });
    if (tables.length === 1) {
      return tables[0];
    }
    return uPlot.join(tables);
  }

  private rebuild(): void {
    this.plot?.destroy();
    this.plot = null;
    if (this.series.length === 0) {
      return;
    }
    const axisColor = cssVar(this.node, '--jp-ui-font-color2', '#666');
    const gridColor = cssVar(this.node, '--jp-border-color2', 'rgba(128,128,128,0.2)');
    const axis = (): uPlot.Axis => ({
      stroke: axisColor,
      grid: { stroke: gridColor, width: 1 },
      ticks: { stroke: gridColor, width: 1 }
    });
    const opts: uPlot.Options = {
      width: Math.max(this.plotHost.clientWidth, 280),
      height: 220,
      cursor: { drag: { x: true, y: false, setScale: true } },
      scales: {
        x: { time: this.settings.xMode === 'time' },
        y: this.settings.log ? { distr: 3, log: 10 } : { distr: 1 }
      },
      axes: [axis(), axis()],
      legend: { live: true },
      series: [
        { label: this.settings.xMode === 'time' ? 'time' : 'step' },
        ...this.series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          spanGaps: true,
          points: { show: false }
        }))
      ]
    };
    this.plot = new uPlot(opts, this.data(), this.plotHost);
  }

  private resize(): void {
    if (!this.plot) {
      return;
    }
    const width = Math.max(this.plotHost.clientWidth, 280);
    if (Math.abs(width - this.plot.width) > 4) {
      this.plot.setSize({ width, height: 220 });
    }
  }
}
