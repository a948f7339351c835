// Metrics whose value is a chart: v1's JSON artifact kinds (confusion matrix, accuracy table,
// residuals, predictions) as a heat map, ROC/precision-recall curves, a histogram and
// predicted-vs-true; lists, rows and tables as bars or lines where their shape allows.
import { MetricChart, type ChartOptions, type ChartSettings, type SeriesPoints } from './chart';
import { toNumber } from './chartMath';
import { clear, formatValue, h } from './dom';
import type { MetricKind, MetricScalar, MetricSeries } from './types';

export const ARTIFACT_KINDS: ReadonlySet<string> = new Set([
  'confusion_matrix', 'accuracy_table', 'residuals', 'predictions'
]);

const AML_PREFIX = /^aml:\/\/artifactId\/ExperimentRun\/dcid\.([^/]+)\/(.+)$/;

/** The artifact path an image/JSON metric value points at, or null when it is not one. */
export function artifactPathOf(value: unknown): string | null {
  if (typeof value !== 'string') {
    return null;
  }
  const match = AML_PREFIX.exec(value);
  return match ? match[2] : null;
}

const LINE: ChartSettings = { xMode: 'step', log: false, smoothing: 0 };

/** Charts made here live as long as their card; the owner disposes them with the card. */
export type ChartSink = (chart: MetricChart) => void;

function chart(title: string, series: SeriesPoints[], options: ChartOptions,
  sink: ChartSink): HTMLElement {
  const c = new MetricChart(title, LINE, { height: 200, lastInLegend: false, ...options });
  sink(c);
  c.setSeries(series);
  return c.node;
}

function points(label: string, xs: number[], ys: (number | null)[], color?: string):
SeriesPoints {
  return { label, step: xs, time: xs.map(() => 0), value: ys, color };
}

// ---- confusion matrix: a heat map of counts, or of shares of each true class

export function confusionMatrix(doc: { class_labels?: unknown[]; matrix?: unknown[][] }):
HTMLElement {
  const labels = (doc.class_labels ?? []).map(String);
  const matrix = (doc.matrix ?? []).map(row => (row ?? []).map(v => toNumber(v) ?? 0));
  let normalized = false;
  const grid = h('div', { className: 'mlws-heatmap-host' });
  const render = (): void => {
    clear(grid);
    const rowSums = matrix.map(r => r.reduce((a, b) => a + b, 0) || 1);
    const shown = matrix.map((r, i) => r.map(v => (normalized ? v / rowSums[i] : v)));
    const max = Math.max(1e-12, ...shown.flat());
    const table = h('table', { className: 'mlws-heatmap', role: 'grid',
      'aria-label': 'Confusion matrix: rows are true classes, columns predicted classes' },
    h('thead', null, h('tr', null, h('th', { className: 'mlws-heatmap-corner' },
      'true \\ predicted'), labels.map(l => h('th', { scope: 'col' }, l)))),
    h('tbody', null, shown.map((row, i) => h('tr', null,
      h('th', { scope: 'row' }, labels[i] ?? String(i)),
      row.map((v, j) => {
        const share = v / max;
        return h('td', {
          className: `mlws-heatmap-cell${share > 0.55 ? ' mlws-heatmap-dark' : ''}`,
          style: `background: rgba(25, 118, 210, ${(0.08 + share * 0.87).toFixed(3)})`,
          title: `true ${labels[i]}, predicted ${labels[j]}: ${matrix[i][j]}`
        }, normalized ? `${(v * 100).toFixed(1)}%` : formatValue(v));
      })))));
    grid.append(table);
  };
  const toggle = h('label', { className: 'mlws-muted' }, h('input', {
    type: 'checkbox', onchange: (ev: Event) => {
      normalized = (ev.target as HTMLInputElement).checked;
      render();
    }
  }), ' Share of each true class');
  render();
  return h('div', { className: 'mlws-confusion' }, toggle, grid);
}

// ---- accuracy table: ROC and precision-recall curves per class

interface AccuracyTable {
  probability_tables?: number[][][];
  class_labels?: unknown[];
}

export function accuracyTable(doc: AccuracyTable, sink: ChartSink): HTMLElement {
  const labels = (doc.class_labels ?? []).map(String);
  const tables = doc.probability_tables ?? [];
  const roc: SeriesPoints[] = [];
  const pr: SeriesPoints[] = [];
  tables.forEach((rows, c) => {
    const fpr: number[] = [];
    const tpr: (number | null)[] = [];
    const recall: number[] = [];
    const precision: (number | null)[] = [];
    for (const [tp, fp, tn, fn] of rows) {
      fpr.push(fp + tn ? fp / (fp + tn) : 0);
      const r = tp + fn ? tp / (tp + fn) : 0;
      tpr.push(r);
      recall.push(r);
      precision.push(tp + fp ? tp / (tp + fp) : null);
    }
    const label = `class ${labels[c] ?? c}`;
    roc.push(points(label, fpr, tpr));
    pr.push(points(label, recall, precision));
  });
  return h('div', { className: 'mlws-chart-pair' },
    chart('ROC', roc, { xLabel: 'false positive rate', yLabel: 'true positive rate' }, sink),
    chart('Precision-recall', pr, { xLabel: 'recall', yLabel: 'precision' }, sink));
}

// ---- residuals: a histogram

function binLabels(edges: number[]): string[] {
  return edges.slice(0, -1).map((e, i) => `${formatValue(e)} to ${formatValue(edges[i + 1])}`);
}

export function residuals(doc: { bin_edges?: number[]; bin_counts?: number[] },
  sink: ChartSink): HTMLElement {
  const counts = (doc.bin_counts ?? []).map(v => toNumber(v));
  const edges = doc.bin_edges ?? [];
  const categories = edges.length === counts.length + 1 ? binLabels(edges)
    : counts.map((_, i) => String(i));
  return chart('Residuals', [points('count', counts.map((_, i) => i), counts)],
    { bars: true, categories, xLabel: 'residual', yLabel: 'count' }, sink);
}

// ---- predictions: average prediction per bin of the true value, against the ideal

export function predictions(doc: { bin_averages?: number[]; bin_errors?: number[];
  bin_edges?: number[]; }, sink: ChartSink): HTMLElement {
  const averages = (doc.bin_averages ?? []).map(v => toNumber(v));
  const edges = doc.bin_edges ?? [];
  const centers = averages.map((_, i) => edges.length > i + 1
    ? (edges[i] + edges[i + 1]) / 2 : i);
  return chart('Predicted vs. true', [
    points('average prediction', centers, averages),
    points('ideal', centers, centers, '#7f7f7f')
  ], { xLabel: 'true value (bin centre)', yLabel: 'prediction' }, sink);
}

/** A v1 chart document (schema_type + data) drawn, or null for an unknown kind. */
export function chartDocument(kind: MetricKind, doc: unknown, sink: ChartSink):
HTMLElement | null {
  const data = (doc as { data?: unknown })?.data as Record<string, unknown> | undefined;
  if (!data || typeof data !== 'object') {
    return null;
  }
  switch (kind) {
    case 'confusion_matrix':
      return confusionMatrix(data as { class_labels?: unknown[]; matrix?: unknown[][] });
    case 'accuracy_table':
      return accuracyTable(data as AccuracyTable, sink);
    case 'residuals':
      return residuals(data as { bin_edges?: number[]; bin_counts?: number[] }, sink);
    case 'predictions':
      return predictions(data as { bin_averages?: number[]; bin_edges?: number[] }, sink);
    default:
      return null;
  }
}

// ---- lists, rows and tables

/** A list metric's elements as bars (short lists) or a line; null when not numeric. */
export function listChart(name: string, series: MetricSeries, sink: ChartSink):
HTMLElement | null {
  const values = (series.value ?? []).map(toNumber);
  if (!values.length || values.every(v => v === null)) {
    return null;
  }
  const xs = values.map((_, i) => i);
  return chart(name, [points(name, xs, values)],
    { bars: values.length <= 60, xLabel: 'index', yLabel: name, integerX: true,
      lastInLegend: values.length > 60 }, sink);
}

/** Numeric columns of a row/table metric as lines over the row number, or over the first
 * column when it is numeric and increasing (an epoch, a threshold). */
export function tableChart(name: string, series: MetricSeries, sink: ChartSink):
HTMLElement | null {
  let columns = series.columns;
  if (!columns) {
    const rows = (series.value ?? []).filter(v => v && typeof v === 'object') as
      Record<string, MetricScalar>[];
    const keys = [...new Set(rows.flatMap(r => Object.keys(r)))];
    columns = Object.fromEntries(keys.map(k => [k, rows.map(r => r[k] ?? null)]));
  }
  const names = Object.keys(columns);
  const numeric = names.filter(c => columns![c].some(v => toNumber(v) !== null) &&
    columns![c].every(v => v === null || toNumber(v) !== null));
  if (!numeric.length) {
    return null;
  }
  const n = columns[names[0]]?.length ?? 0;
  if (n < 2) {
    return null;
  }
  const first = numeric[0] === names[0] ? columns[names[0]].map(toNumber) : null;
  const increasing = first !== null && first.every((v, i) => v !== null &&
    (i === 0 || v > (first[i - 1] as number)));
  const xs = increasing ? (first as number[]) : Array.from({ length: n }, (_, i) => i);
  const ys = numeric.filter(c => !(increasing && c === names[0]));
  if (!ys.length) {
    return null;
  }
  return chart(name, ys.map(c => points(c, xs, columns![c].map(toNumber))),
    { xLabel: increasing ? names[0] : 'row', yLabel: ys.length === 1 ? ys[0] : 'value',
      integerX: !increasing, lastInLegend: true }, sink);
}
