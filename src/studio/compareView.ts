// Compare runs (of any experiments of a workspace): overlaid charts per metric with one
// crosshair, smoothing that keeps the raw lines faded; a table of the properties, tags and
// final values that differ; v1 chart metrics and images side by side per name.
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { MetricChart, type ChartSettings, toNumber } from '../common/chart';
import { seriesColor } from '../common/chartMath';
import { ARTIFACT_KINDS, artifactPathOf, chartDocument } from '../common/chartMetrics';
import { clear, emptyState, errorMessage, formatDuration, formatValue, h, runDuration, table } from '../common/dom';
import { ImageViewer } from '../common/imageViewer';
import type { MetricKind, MetricSeries, Run } from '../common/types';
import { addRunsFlow } from './addRuns';
import type { Studio } from './studio';

function label(run: Run): string {
  return run.display_name || run.id;
}

let compareGroups = 0;

/** A list metric's elements as text: [1, 2, 3] (long lists end with "... (n)"). */
export function listText(values: unknown[]): string {
  const shown = values.slice(0, 12).map(formatValue).join(', ');
  return `[${shown}${values.length > 12 ? `, … (${values.length})` : ''}]`;
}

/** What a metric's final value is in the differences table, by kind. */
function finalText(s: MetricSeries): string | null {
  const values = s.value ?? [];
  const last = values[values.length - 1];
  if (s.kind === 'list') {
    return listText(values);
  }
  if (s.kind === 'image') {
    return null;
  }
  if (ARTIFACT_KINDS.has(s.kind)) {
    return s.kind.replace(/_/g, ' ');
  }
  if (s.kind === 'table' || (last !== null && typeof last === 'object')) {
    return `${s.total} row${s.total === 1 ? '' : 's'}`;
  }
  return last === undefined ? null : formatValue(last);
}

export class CompareContent extends Widget {
  private charts: MetricChart[] = [];
  private settings: ChartSettings = { xMode: 'step', log: false, smoothing: 0 };
  private viewers: ImageViewer[] = [];
  private syncKey = `mlws-compare-${++compareGroups}`;

  constructor(private studio: Studio, private workspaceId: string, private runIds: string[]) {
    super();
    this.addClass('mlws-compare');
    void this.load();
  }

  dispose(): void {
    this.charts.forEach(c => c.dispose());
    this.viewers.forEach(v => v.dispose());
    super.dispose();
  }

  get ids(): string[] {
    return [...this.runIds];
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
    const colors = new Map(runs.map((r, i) => [r.id, seriesColor(i)]));
    const logBox = h('input', {
      type: 'checkbox', 'aria-label': 'Log scale',
      onchange: () => this.reconfigure({ log: logBox.checked })
    });
    logBox.checked = this.settings.log;
    const xSelect = h('select', {
      className: 'mlws-input', 'aria-label': 'X axis',
      onchange: () => this.reconfigure({ xMode: xSelect.value as ChartSettings['xMode'] })
    }, h('option', { value: 'step' }, 'Step'), h('option', { value: 'time' }, 'Time'),
    h('option', { value: 'relative' }, 'Relative time'));
    xSelect.value = this.settings.xMode;
    const smoothing = h('input', {
      type: 'range', min: 0, max: 0.99, step: 0.01, value: this.settings.smoothing,
      'aria-label': 'Smoothing',
      onchange: () => this.reconfigure({ smoothing: Number(smoothing.value) })
    });
    const experiments = new Set(runs.map(r => r.experiment_name));
    this.node.append(
      h('h2', null, `Comparing ${runs.length} runs` + (experiments.size > 1
        ? ` of ${experiments.size} experiments` : '')),
      h('div', { className: 'mlws-toolbar' }, h('label', null, 'X axis ', xSelect),
        h('label', null, logBox, ' Log scale'), h('label', null, 'Smoothing ', smoothing),
        h('button', { className: 'mlws-button', type: 'button',
          onclick: () => void addRunsFlow(this.studio, this.workspaceId, this.runIds,
            ids => { this.runIds = ids; void this.load(); }) }, 'Add runs…'),
        h('button', { className: 'mlws-button', type: 'button', onclick: () => void this.load() },
          'Refresh')),
      this.runKey(runs, colors),
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
    const byId = new Map(runs.map(r => [r.id, r]));
    for (const [name, list] of [...byName.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const chart = new MetricChart(name, this.settings, { syncKey: this.syncKey });
      this.charts.push(chart);
      area.append(h('div', { className: 'mlws-chart-card' }, chart.node));
      chart.setSeries(list.map(s => {
        const run = byId.get(s.run_id);
        return { label: run ? label(run) : s.run_id, step: s.step, time: s.time,
          value: (s.value ?? []).map(toNumber), seq: s.seq, total: s.total,
          origin: run?.start_time ?? run?.created_time, color: colors.get(s.run_id) };
      }));
    }
    this.node.append(h('h3', null, 'Metrics'), area);
    await this.sideBySide(runs, series);
  }

  private runKey(runs: Run[], colors: Map<string, string>): HTMLElement {
    return h('div', { className: 'mlws-run-key' }, runs.map(r => h('button', {
      className: 'mlws-run-key-item', type: 'button', title: `Open run ${r.id}`,
      onclick: () => this.studio.openRun(this.workspaceId, r.id)
    }, h('span', { className: 'mlws-swatch', style: `background: ${colors.get(r.id)}` }),
    label(r), h('span', { className: 'mlws-muted' }, ` ${r.experiment_name} #${r.number}`))));
  }

  /** Chart metrics (confusion matrix, ...) and images: the same name across runs in a row. */
  private async sideBySide(runs: Run[], series: MetricSeries[]): Promise<void> {
    this.viewers.forEach(v => v.dispose());
    this.viewers = [];
    const names = new Map<string, MetricKind>();
    for (const s of series) {
      if (ARTIFACT_KINDS.has(s.kind) || s.kind === 'image') {
        names.set(s.name, s.kind);
      }
    }
    if (!names.size) {
      return;
    }
    const section = h('section', { className: 'mlws-section' },
      h('h3', null, 'Charts and images'));
    this.node.append(section);
    for (const [name, kind] of [...names].sort(([a], [b]) => a.localeCompare(b))) {
      const row = h('div', { className: 'mlws-side-by-side', 'data-metric': name });
      section.append(h('h4', null, name, h('span', { className: 'mlws-muted' },
        ` (${kind.replace(/_/g, ' ')})`)), row);
      for (const run of runs) {
        const s = series.find(x => x.run_id === run.id && x.name === name);
        const values = s?.value ?? [];
        const path = artifactPathOf(values[values.length - 1]);
        const cell = h('figure', { className: 'mlws-side-cell' },
          h('figcaption', null, label(run)));
        row.append(cell);
        if (!path) {
          cell.append(h('p', { className: 'mlws-muted' }, 'not logged'));
          continue;
        }
        try {
          const response = await this.studio.api.getArtifact(this.workspaceId, run.id, path);
          const blob = await response.blob();
          if (kind === 'image') {
            const viewer = new ImageViewer(`${name} of ${label(run)}`, path,
              p => this.studio.api.artifactUrl(this.workspaceId, run.id, p));
            this.viewers.push(viewer);
            viewer.show(blob);
            cell.append(viewer.node);
          } else {
            const drawn = chartDocument(kind, JSON.parse(await blob.text()),
              c => this.charts.push(c));
            cell.append(drawn ?? h('p', { className: 'mlws-muted' }, 'not drawable'));
          }
        } catch (err) {
          cell.append(h('p', { className: 'mlws-error' }, errorMessage(err)));
        }
      }
    }
  }

  private reconfigure(change: Partial<ChartSettings>): void {
    this.settings = { ...this.settings, ...change };
    this.charts.forEach(c => c.configure(this.settings));
  }

  /** Rows whose values are not all equal; run identity rows always show. */
  private differences(runs: Run[], series: MetricSeries[]): HTMLElement {
    const rows: (string | Node)[][] = [];
    rows.push(['Experiment', ...runs.map(r => r.experiment_name)]);
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
      const text = finalText(s);
      if (text !== null) {
        const m = finals.get(s.name) ?? new Map<string, string>();
        m.set(s.run_id, text);
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
  /** The workspace (and experiment) the view shows: closed when they are deleted. */
  mlwsOwner?: { workspaceId: string; experiment?: string };

  constructor(studio: Studio, workspaceId: string, runIds: string[]) {
    super({ content: new CompareContent(studio, workspaceId, runIds) });
    this.title.label = `Compare ${runIds.length} runs`;
    this.title.closable = true;
  }
}
