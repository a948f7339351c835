// Compare two or more runs: overlaid charts per metric (POST metrics/query) and a table of the
// properties, tags and final metric values that differ between them.
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { MetricChart, type ChartSettings, toNumber } from '../common/chart';
import { clear, emptyState, errorMessage, formatDuration, formatValue, h, runDuration, table } from '../common/dom';
import type { MetricSeries, Run } from '../common/types';
import type { Studio } from './studio';

function label(run: Run): string {
  return run.display_name || run.id;
}

export class CompareContent extends Widget {
  private charts: MetricChart[] = [];
  private settings: ChartSettings = { xMode: 'step', log: false, smoothing: 0 };

  constructor(private studio: Studio, private workspaceId: string, private runIds: string[]) {
    super();
    this.addClass('mlws-compare');
    void this.load();
  }

  dispose(): void {
    this.charts.forEach(c => c.dispose());
    super.dispose();
  }

  private async load(): Promise<void> {
    clear(this.node);
    let runs: Run[];
    let series: MetricSeries[];
    try {
      runs = await Promise.all(this.runIds.map(id => this.studio.api.getRun(this.workspaceId, id)));
      series = await this.studio.api.queryMetrics(this.workspaceId, this.runIds, undefined, 1000);
    } catch (err) {
      this.node.append(emptyState(`The runs could not be compared: ${errorMessage(err)}`));
      return;
    }
    const logBox = h('input', {
      type: 'checkbox', 'aria-label': 'Log scale',
      onchange: () => this.reconfigure({ log: logBox.checked })
    });
    const xSelect = h('select', {
      className: 'mlws-input', 'aria-label': 'X axis',
      onchange: () => this.reconfigure({ xMode: xSelect.value as 'step' | 'time' })
    }, h('option', { value: 'step' }, 'Step'), h('option', { value: 'time' }, 'Time'));
    this.node.append(
      h('h2', null, `Comparing ${runs.length} runs`),
      h('div', { className: 'mlws-toolbar' }, h('label', null, 'X axis ', xSelect),
        h('label', null, logBox, ' Log scale'),
        h('button', { className: 'mlws-button', type: 'button', onclick: () => void this.load() },
          'Refresh')),
      this.differences(runs, series));
    const byName = new Map<string, MetricSeries[]>();
    for (const s of series) {
      if (s.kind === 'scalar' && s.total > 1) {
        byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
      }
    }
    const area = h('div', { className: 'mlws-charts' });
    this.charts.forEach(c => c.dispose());
    this.charts = [];
    if (!byName.size) {
      area.append(emptyState('These runs have no metric series in common to chart.'));
    }
    const runLabel = new Map(runs.map(r => [r.id, label(r)]));
    for (const [name, list] of [...byName.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const chart = new MetricChart(name, this.settings);
      this.charts.push(chart);
      area.append(h('div', { className: 'mlws-chart-card' }, chart.node));
      chart.setSeries(list.map(s => ({ label: runLabel.get(s.run_id) ?? s.run_id, step: s.step,
        time: s.time, value: (s.value ?? []).map(toNumber) })));
    }
    this.node.append(h('h3', null, 'Metrics'), area);
  }

  private reconfigure(change: Partial<ChartSettings>): void {
    this.settings = { ...this.settings, ...change };
    this.charts.forEach(c => c.configure(this.settings));
  }

  /** Rows whose values are not all equal; run identity rows always show. */
  private differences(runs: Run[], series: MetricSeries[]): HTMLElement {
    const rows: (string | Node)[][] = [];
    rows.push(['Status', ...runs.map(r => r.status)]);
    rows.push(['Duration', ...runs.map(r => formatDuration(runDuration(r)))]);
    const add = (name: string, values: string[]): void => {
      if (new Set(values).size > 1) {
        rows.push([name, ...values]);
      }
    };
    const keys = (pick: (r: Run) => Record<string, unknown>): string[] =>
      [...new Set(runs.flatMap(r => Object.keys(pick(r))))].sort();
    for (const k of keys(r => r.properties)) {
      add(`property: ${k}`, runs.map(r => r.properties[k] ?? ''));
    }
    for (const k of keys(r => r.tags)) {
      add(`tag: ${k}`, runs.map(r => (k in r.tags ? r.tags[k] ?? '(set)' : '')));
    }
    const finals = new Map<string, Map<string, string>>();
    for (const s of series) {
      const last = s.value?.[s.value.length - 1];
      if (s.kind !== 'image' && last !== undefined && (typeof last !== 'object' || last === null)) {
        const m = finals.get(s.name) ?? new Map<string, string>();
        m.set(s.run_id, formatValue(last));
        finals.set(s.name, m);
      }
    }
    for (const [name, m] of [...finals.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      add(`metric: ${name}`, runs.map(r => m.get(r.id) ?? ''));
    }
    return h('div', { className: 'mlws-table-scroll mlws-compare-table' },
      table(['', ...runs.map(label)], rows));
  }
}

export class CompareWidget extends MainAreaWidget<CompareContent> {
  constructor(studio: Studio, workspaceId: string, runIds: string[]) {
    super({ content: new CompareContent(studio, workspaceId, runIds) });
    this.title.label = `Compare ${runIds.length} runs`;
    this.title.closable = true;
  }
}
